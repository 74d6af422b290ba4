/**
 * Retire Previous Token Now… (`cfRotate.retirePrevious`) and Rotate Admin Credential…
 * (`cfRotate.rotateCredential`), and carrying out due retirements at activation.
 *
 * Arguments (JSON, for scripts and tests):
 *   cfRotate.retirePrevious   { name?, folder?, profile?, all?, confirm? }  — `name`/`folder`: a token's
 *                             retirement; `profile`: the previous admin token of that profile; `all`: every one.
 *   cfRotate.rotateCredential { profile?, strategy?: "replace" | "roll", overlap?: "24h", confirm? }
 */
import * as z from 'zod/mini';
import * as vscode from 'vscode';
import { DURATION } from '../core/config/schema';
import { PROFILE_NAME } from '../core/credentials';
import { adminTokenName } from '../core/engine/after';
import type { RotationResult } from '../core/engine/engine';
import { CfRotateError, type ErrorKind } from '../core/errors';
import { retirementLabel, type Retirement, type RetirementResult } from '../core/retire';
import { plural } from '../core/l10n';
import { relativeTime } from '../core/schedule';
import { samePath } from '../host/paths';
import { COMMANDS } from '../constants';
import { confirmModal, ensureTrusted, guarded, localDateTime, notifyError, notifyInfo, notifyWarning, type App } from './app';
import { localiseInstants } from './describe';
import { presentResult, toPublic, type CommandRotationResult } from './rotate';
import { parseArg } from './schemas';

const nonEmpty = z.string().check(z.minLength(1, 'must not be empty'));
const profileName = z.string().check(z.regex(PROFILE_NAME, 'must be a profile name (letters, digits, space, . _ -)'));

export const retirePreviousArgsSchema = z.object({
  name: z.optional(nonEmpty),
  folder: z.optional(nonEmpty),
  profile: z.optional(profileName),
  all: z.optional(z.boolean()),
  confirm: z.optional(z.boolean()),
});

export const rotateCredentialArgsSchema = z.object({
  profile: z.optional(profileName),
  strategy: z.optional(z.enum(['replace', 'roll'])),
  overlap: z.optional(z.string().check(z.regex(DURATION, 'must be a duration such as 0s, 1h, 24h or 7d'))),
  confirm: z.optional(z.boolean()),
});

/** Retirements this window carries out: of its workspace folders, and of admin credentials (any window). */
function ours(app: App, r: Retirement): boolean {
  return r.admin === true || app.configs.folders().some((f) => samePath(f.path, r.folder));
}

/** A retirement must not delete a token that a cf-rotate.json of the workspace names again. */
function inUse(app: App): (r: Retirement) => string | undefined {
  return (r) => {
    const id = r.resource.tokenId?.toLowerCase();
    if (id === undefined || r.admin) return undefined;
    const rt = app.configs.tokens().find((x) => (x.token.kind === 'account-api-token' || x.token.kind === 'user-api-token') && x.token.tokenId.toLowerCase() === id);
    return rt ? vscode.l10n.t('cf-rotate.json names it again ("tokenId" of "{0}" in {1}).', rt.token.name, rt.folder.name) : undefined;
  };
}

function describe(r: Retirement, now: number): string {
  return r.lastError ? vscode.l10n.t('failed {0}× ({1})', r.attempts, r.lastError) : r.dueAt <= now ? vscode.l10n.t('due now') : vscode.l10n.t('due {0}', relativeTime(r.dueAt, now));
}

function presentRetirements(app: App, results: readonly RetirementResult[]): void {
  const done = results.filter((r) => r.state === 'retired' || r.state === 'already-gone');
  const bad = results.filter((r) => r.state === 'failed' || r.state === 'refused');
  if (done.length > 0) notifyInfo(app, vscode.l10n.t('Deleted {0}.', done.map((r) => (r.state === 'already-gone' ? vscode.l10n.t('{0} (already gone)', r.label) : r.label)).join('; ')));
  for (const r of bad) {
    notifyError(app, undefined, new CfRotateError((r.error?.kind ?? 'internal') as ErrorKind, r.error?.message ?? vscode.l10n.t('Could not delete {0}.', r.label), r.error?.hint ? { hint: r.error.hint } : {}), [
      { title: vscode.l10n.t('Try Again'), run: () => vscode.commands.executeCommand(COMMANDS.retirePrevious, { name: r.name, ...(r.folder ? { folder: r.folder } : {}), confirm: false }) },
    ]);
  }
}

async function retirePrevious(app: App, raw: unknown): Promise<RetirementResult[] | undefined> {
  const args = parseArg(retirePreviousArgsSchema, raw, COMMANDS.retirePrevious);
  ensureTrusted();
  // cf-rotate.json as it is on disk now (a replace just pointed it at the twin): "in use" is judged from it.
  await app.configs.reloadAll();
  const now = Date.now();
  let pending = (await app.engine.retirements.list()).filter((r) => ours(app, r));
  // A token node (or {name, folder}) names a token's retirement; a credential node (or {profile}) the previous admin token.
  if (args?.name !== undefined) {
    const folder = args.folder !== undefined ? app.configs.resolveFolder(args.folder)?.path ?? args.folder : undefined;
    pending = pending.filter((r) => !r.admin && r.name === args.name && (folder === undefined || samePath(r.folder, folder)));
  } else if (args?.profile !== undefined) pending = pending.filter((r) => r.admin === true && r.profile === args.profile);
  if (pending.length === 0) {
    if (args?.name !== undefined || args?.profile !== undefined) {
      throw new CfRotateError('not-found', args.name !== undefined ? vscode.l10n.t('Nothing of "{0}" is waiting to be retired.', args.name) : vscode.l10n.t('Nothing of profile "{0}" is waiting to be retired.', args.profile ?? ''), {
        hint: vscode.l10n.t('It may have been retired already, in this or another window.'),
      });
    }
    notifyInfo(app, vscode.l10n.t('No previous token or secret is waiting to be retired.'));
    return [];
  }
  let chosen = pending;
  if (!args || (args.name === undefined && args.profile === undefined && args.all !== true && pending.length > 1)) {
    const picked = await vscode.window.showQuickPick(
      pending.map((r) => ({ label: r.admin ? adminTokenName(r.profile) : r.name, description: describe(r, now), detail: retirementLabel(r), r })),
      { canPickMany: true, placeHolder: vscode.l10n.t('Which previous credentials should stop working now?'), ignoreFocusOut: true },
    );
    if (!picked || picked.length === 0) return [];
    chosen = picked.map((p) => p.r);
  }
  if (args?.confirm !== false) {
    const ok = await confirmModal(
      chosen.length === 1 ? vscode.l10n.t('Delete {0} now?', retirementLabel(chosen[0] as Retirement)) : vscode.l10n.t('Delete {0} previous credentials now?', chosen.length),
      `${chosen.map((r) => `• ${retirementLabel(r)} (${describe(r, now)})`).join('\n')}\n\n${plural(
        chosen.length,
        vscode.l10n.t('Anything that still uses it stops working at once. The new values are already in every target.'),
        vscode.l10n.t('Anything that still uses them stops working at once. The new values are already in every target.'),
      )}`,
      vscode.l10n.t('Delete Now'),
    );
    if (!ok) return [];
  }
  const ids = new Set(chosen.map((r) => r.id));
  let results: RetirementResult[];
  try {
    results = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Deleting the previous credentials…') }, () =>
      app.engine.retirements.carryOut((r) => ids.has(r.id), { now: true, inUse: inUse(app) }),
    );
  } finally {
    await app.view.rebuild();
  }
  presentRetirements(app, results);
  return results;
}

/** Activation (and the view's periodic tick): carry out the due retirements of this workspace and of admin credentials. */
export async function retireDue(app: App): Promise<RetirementResult[]> {
  if (!vscode.workspace.isTrusted) return [];
  const now = Date.now();
  const due = (await app.engine.retirements.list()).filter((r) => ours(app, r) && r.dueAt <= now);
  if (due.length === 0) return [];
  await app.configs.reloadAll();
  const ids = new Set(due.map((r) => r.id));
  const results = await app.engine.retirements.carryOut((r) => ids.has(r.id), { inUse: inUse(app) });
  const bad = results.filter((r) => r.state === 'failed' || r.state === 'refused');
  for (const r of results.filter((x) => x.state === 'retired' || x.state === 'already-gone')) app.logger.info(`Retired ${r.label}.`);
  if (bad.length > 0) {
    const labels = bad.map((r) => r.label).join('; ');
    const why = bad[0]?.error?.message ?? '';
    notifyWarning(
      app,
      plural(
        bad.length,
        vscode.l10n.t({ message: 'A previous credential could not be deleted when due ({1}): {2} It stays pending and is tried again.', args: [bad.length, labels, why], comment: ['{0}: the number of credentials (one), for languages whose "one" form names it'] }),
        vscode.l10n.t('{0} previous credentials could not be deleted when due ({1}): {2} They stay pending and are tried again.', bad.length, labels, why),
      ),
      [
      { title: vscode.l10n.t('Retire Previous Token Now…'), run: () => vscode.commands.executeCommand(COMMANDS.retirePrevious) },
    ]);
  }
  if (results.length > 0) await app.view.rebuild();
  return results;
}

// ----------------------------------------------------------------------------- rotateCredential

async function rotateCredential(app: App, raw: unknown): Promise<CommandRotationResult | undefined> {
  const args = parseArg(rotateCredentialArgsSchema, raw, COMMANDS.rotateCredential);
  ensureTrusted();
  let profile = args?.profile;
  if (profile === undefined) {
    const profiles = await app.credentials.profiles();
    if (profiles.length === 0) {
      notifyInfo(app, vscode.l10n.t('No Cloudflare credential is stored.'), [{ title: vscode.l10n.t('Set Credential'), run: () => vscode.commands.executeCommand(COMMANDS.setCredential) }]);
      return undefined;
    }
    profile = profiles.length === 1 ? profiles[0] : await vscode.window.showQuickPick(profiles, { placeHolder: vscode.l10n.t('Rotate the admin credential of which profile?'), ignoreFocusOut: true });
    if (profile === undefined) return undefined;
  }
  const credential = await app.credentials.get(profile);
  if (!credential) throw new CfRotateError('credential-missing', vscode.l10n.t('No Cloudflare credential is set for profile "{0}".', profile), { hint: vscode.l10n.t('Run "Cloudflare Rotate: Set Credential…" for profile "{0}".', profile) });
  if (credential.type !== 'api-token') {
    throw new CfRotateError('validation', vscode.l10n.t('Profile "{0}" holds an email + Global API key, and Cloudflare offers no API to rotate a Global API key.', profile), {
      hint: vscode.l10n.t('Change it in the Cloudflare dashboard (My Profile › API Tokens › Global API Key › Change) and store it again with Set Credential…; better, give the profile an API token, which cf-rotate can rotate.'),
    });
  }
  let strategy = args?.strategy;
  if (strategy === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        {
          label: vscode.l10n.t('Replace'),
          description: vscode.l10n.t('recommended'),
          detail: vscode.l10n.t('A twin with the same permissions becomes the credential; the current token keeps working for {0}, then it is deleted.', args?.overlap ?? '24h'),
          value: 'replace' as const,
        },
        { label: vscode.l10n.t('Roll'), detail: vscode.l10n.t('The token keeps its id and gets a new value; the current value stops working at once (other places that use it break).'), value: 'roll' as const },
      ],
      { title: vscode.l10n.t('Rotate the admin credential of "{0}"', profile), placeHolder: vscode.l10n.t('How?'), ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    strategy = pick.value;
  }
  const overlap = args?.overlap ?? '24h';
  if (args?.confirm !== false) {
    const ok = await confirmModal(
      vscode.l10n.t('Rotate the admin credential of profile "{0}" now?', profile),
      strategy === 'replace'
        ? vscode.l10n.t('cf-rotate creates a twin of the API token of "{0}" (same permissions), verifies it and stores it in the secret storage. The current token keeps working for {1} (anything else that uses it has until then), then it is deleted.', profile, overlap)
        : vscode.l10n.t('cf-rotate rolls the API token of "{0}", verifies the new value and stores it in the secret storage. The current value stops working at once: anything else that uses it (CI secrets, other machines) breaks until it gets the new one.', profile),
      vscode.l10n.t('Rotate'),
    );
    if (!ok) return { name: adminTokenName(profile), folder: '', ok: false, state: 'cancelled', targets: [], warnings: [] };
  }
  let result: RotationResult;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Rotating the admin credential of "{0}"', profile), cancellable: false }, () =>
      app.engine.rotateAdmin(profile, { strategy, overlap }),
    );
  } finally {
    await app.view.rebuild();
  }
  if (result.state === 'rotated' || result.state === 'recovered') {
    const stored = await app.credentials.get(profile).catch(() => undefined);
    await app.credentialInfo.noteRotated(profile, result.tokenId ?? app.credentialInfo.get(profile)?.tokenId, stored?.type === 'api-token' ? stored.accountId : undefined, result.expiresAt).catch(() => undefined);
    await app.view.rebuild();
    const done =
      strategy === 'replace'
        ? vscode.l10n.t('Rotated the admin credential of profile "{0}" (replaced by a twin): the new token is verified and stored in the secret storage.', profile)
        : vscode.l10n.t('Rotated the admin credential of profile "{0}" (rolled): the new token is verified and stored in the secret storage.', profile);
    const previous = result.retired
      ? vscode.l10n.t('The previous token was deleted.')
      : result.retiresAt
        ? vscode.l10n.t('The previous token keeps working until {0}, then it is deleted.', localiseInstants(result.retiresAt, localDateTime))
        : undefined;
    notifyInfo(app, previous === undefined ? done : `${done} ${previous}`);
    if (result.warnings.length > 0) notifyWarning(app, result.warnings.join(' '));
  } else presentResult(app, result);
  return toPublic(result);
}

export function registerZeroDowntimeCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.retirePrevious, (arg: unknown) => guarded(app, vscode.l10n.t('Retiring the previous credential failed'), () => retirePrevious(app, arg))),
    app.registerCommand(COMMANDS.rotateCredential, (arg: unknown) => guarded(app, vscode.l10n.t('Rotating the admin credential failed'), () => rotateCredential(app, arg))),
  ];
}
