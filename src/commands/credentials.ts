/** setCredential, clearCredential, verifyCredential: admin credentials per profile in SecretStorage. */
import * as vscode from 'vscode';
import { AccountChoiceNeeded } from '../core/cloudflare/client';
import { describeCredential, globalKeyOf, type AdminCredential, type CredentialCheck } from '../core/cloudflare/types';
import { API_TOKEN_FORMAT, credentialFromArg, GLOBAL_KEY_FORMAT, PROFILE_NAME, registerCredential } from '../core/credentials';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../core/errors';
import { missingCredential } from '../host/services';
import { COMMANDS, GITHUB_TOKEN_SECRET_KEY } from '../constants';
import { registerSecret } from '../core/redact';
import { GITHUB_TOKEN_FORMAT } from '../host/github';
import { cancelled, confirmModal, guarded, notifyError, notifyInfo, pickText, withProgressNotification, type App } from './app';
import { MultiStepInput, type Step } from './multiStep';
import { credentialArgSchema, credentialPromptArgsSchema, isRecord, parseArg, profileArgsSchema, setGitHubTokenArgsSchema, verifyFlagSchema } from './schemas';

export interface SetCredentialResult {
  profile: string;
  stored: boolean;
  verified: boolean;
  /** The account that owns the stored API token, when it is account-owned (found by Set Credential, or given). */
  accountId?: string;
  error?: { kind: ErrorKind; message: string; hint?: string };
}

/** Network-ish failures after which saving an unverified credential is a reasonable choice. */
const TRANSIENT: ReadonlySet<ErrorKind> = new Set(['network', 'server', 'rate-limited', 'ambiguous', 'internal', 'contract']);

/** The input box's check of a pasted value (today's formats, notes A2). Never quotes the value. */
function validateSecret(kind: 'token' | 'key', value: string): string | undefined {
  const v = value.trim();
  if (kind === 'token') return API_TOKEN_FORMAT.test(v) ? undefined : vscode.l10n.t('This does not look like a Cloudflare API token: 40–80 letters, digits, _ or - (today\'s tokens start with cfut_ or cfat_).');
  return GLOBAL_KEY_FORMAT.test(v) ? undefined : vscode.l10n.t('This does not look like a Global API key: cfk_ followed by letters and digits, or an older key of 37–45 lowercase hex characters.');
}

const TITLE = 'Set Cloudflare Credential';
const TOTAL = 3;

interface CredentialState {
  profile?: string;
  scheme?: 'token' | 'key';
  token?: string;
  email?: string;
  key?: string;
  /** The credential entered, once step 3 accepted it. */
  credential?: AdminCredential;
  /** Cloudflare accepted it: what it said. */
  verified?: { detail: string; credential: AdminCredential; check: CredentialCheck };
  /** Cloudflare could not be asked (network, 5xx…): offered to save unverified after the flow. */
  unchecked?: CfRotateError;
  /** An account-owned token several accounts could own: which one. */
  accounts?: readonly { id: string; name: string }[];
  /** The account picked last, when Cloudflare did not accept the token as one of its tokens (asked again). */
  refusedAccount?: { id: string; name: string; reason: string };
}

/**
 * Why a credential was refused, in the input box that keeps the entered value: what Cloudflare
 * said, that nothing was saved (the profile keeps what it held), and what to do.
 */
function refusedMessage(err: CfRotateError, profile: string, hadOne: boolean): string {
  const kept = hadOne ? vscode.l10n.t('Nothing was saved: profile "{0}" keeps its current credential.', profile) : vscode.l10n.t('Nothing was saved.');
  return vscode.l10n.t('{0} {1} Correct the value, or press Escape.', err.message.replace(/\s+$/, ''), kept);
}

/**
 * Set Credential as one multi-step input (Profile, Scheme, the secret, numbered out of 3 throughout,
 * Back on every step): the value is checked with Cloudflare while the box shows busy; a value
 * Cloudflare refuses keeps the box open with the value and says the old credential was kept.
 */
async function askAndCheck(app: App, preset: string | undefined): Promise<CredentialState & { profile: string; credential: AdminCredential }> {
  const existing = preset === undefined ? await app.credentials.profiles().catch(() => [] as string[]) : [];
  const accept = (s: CredentialState, build: (v: string) => AdminCredential) => async (value: string, signal: AbortSignal): Promise<string | undefined> => {
    const profile = s.profile as string;
    const c = build(value.trim());
    registerCredential(c);
    s.credential = c;
    s.verified = undefined;
    s.unchecked = undefined;
    s.accounts = undefined;
    try {
      s.verified = await checkCredential(app, c, profile, signal);
      return undefined;
    } catch (e) {
      if (signal.aborted) return undefined;
      if (e instanceof AccountChoiceNeeded && c.type === 'api-token') {
        s.accounts = e.accounts;
        return undefined;
      }
      const err = toCfRotateError(e);
      if (err.kind === 'cancelled') return undefined;
      if (TRANSIENT.has(err.kind)) {
        s.unchecked = err;
        return undefined;
      }
      const had = (await app.credentials.get(profile).catch(() => undefined)) !== undefined;
      return refusedMessage(err, profile, had);
    }
  };
  const profileStep: Step<CredentialState> = async (flow, s) => {
    const v = await flow.input({
      title: TITLE,
      step: 1,
      totalSteps: TOTAL,
      prompt: existing.length
        ? vscode.l10n.t('Profile name: tokens in cf-rotate.json use "profile" (default "default"). Stored: {0}.', existing.join(', '))
        : vscode.l10n.t('Profile name: tokens in cf-rotate.json use "profile" (default "default")'),
      value: s.profile ?? 'default',
      validate: (x) => (PROFILE_NAME.test(x) ? undefined : '1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)'),
    });
    s.profile = v;
    return schemeStep;
  };
  const schemeStep: Step<CredentialState> = async (flow, s) => {
    s.scheme = await flow.pick<'token' | 'key'>({
      title: vscode.l10n.t('{0} for "{1}"', TITLE, s.profile as string),
      step: 2,
      totalSteps: TOTAL,
      placeholder: vscode.l10n.t('How does cf-rotate authenticate to Cloudflare?'),
      ...(s.scheme !== undefined ? { active: s.scheme } : {}),
      items: [
        { label: vscode.l10n.t('API token'), description: vscode.l10n.t('recommended'), detail: vscode.l10n.t('A user-owned (cfut_…) or account-owned (cfat_…) token with the permissions the rotations need (e.g. "Account API Tokens Write", "Access: Service Tokens Write").'), value: 'token' },
        { label: vscode.l10n.t('Email + Global API key'), description: vscode.l10n.t('legacy'), detail: vscode.l10n.t('Full access to everything your user can do. Zone-level Access service tokens accept only this; elsewhere prefer an API token (a profile can hold both).'), value: 'key' },
      ],
    });
    return secretStep;
  };
  const secretStep: Step<CredentialState> = async (flow, s) => {
    const title = `${TITLE} for "${s.profile as string}"`;
    if (s.scheme === 'token') {
      s.token = await flow.input({
        title,
        step: 3,
        totalSteps: TOTAL,
        prompt: vscode.l10n.t('Cloudflare API token used to rotate your credentials (stored in the OS secret storage, never in files). It is checked with Cloudflare before it is saved.'),
        password: true,
        validate: (v) => validateSecret('token', v),
        accept: accept(s, (v) => ({ type: 'api-token', token: v })),
      });
    } else {
      s.email = (
        await flow.input({
          title,
          step: 3,
          totalSteps: TOTAL,
          prompt: vscode.l10n.t('Email address of your Cloudflare user'),
          ...(s.email !== undefined ? { value: s.email } : {}),
          validate: (v) => (/^[^\s@]+@[^\s@]+$/.test(v.trim()) ? undefined : vscode.l10n.t('Enter an email address.')),
        })
      ).trim();
      const email = s.email;
      s.key = await flow.input({
        title,
        step: 3,
        totalSteps: TOTAL,
        prompt: vscode.l10n.t('Global API key (My Profile › API Tokens › Global API Key). It is checked with Cloudflare before it is saved.'),
        password: true,
        validate: (v) => validateSecret('key', v),
        accept: accept(s, (v) => ({ type: 'global-key', email, key: v })),
      });
    }
    return s.accounts ? accountStep : undefined;
  };
  const accountStep: Step<CredentialState> = async (flow, s) => {
    const refused = s.refusedAccount;
    const id = await flow.pick<string>({
      title: vscode.l10n.t('{0} for "{1}"', TITLE, s.profile as string),
      step: 3,
      totalSteps: TOTAL,
      placeholder: refused
        ? vscode.l10n.t('Cloudflare did not accept the token as a token of "{0}" ({1}), so nothing was saved. Which account owns it?', pickText(refused.name), refused.reason)
        : vscode.l10n.t('The token is account-owned: which account owns it?'),
      items: (s.accounts ?? []).map((a) => ({ label: pickText(a.name), detail: a.id, value: a.id })),
    });
    s.refusedAccount = undefined;
    const c = { ...(s.credential as AdminCredential), accountId: id } as AdminCredential;
    s.credential = c;
    try {
      s.verified = await withProgressNotification(vscode.l10n.t('Checking the Cloudflare credential for "{0}"…', s.profile as string), (_report, signal) => checkCredential(app, c, s.profile as string, signal));
    } catch (e) {
      const err = toCfRotateError(e);
      if (err.kind === 'cancelled') throw cancelled();
      if (!TRANSIENT.has(err.kind)) {
        // Another account than the one that owns the token (the token itself listed the accounts): ask again.
        app.logger.warn(`Set Credential: the token is not accepted as a token of account ${id}: ${err.message}`);
        const name = s.accounts?.find((a) => a.id === id)?.name ?? id;
        s.refusedAccount = { id, name, reason: err.status !== undefined ? `HTTP ${err.status}` : err.kind };
        return accountStep;
      }
      s.unchecked = err;
    }
    return undefined;
  };
  const s = await MultiStepInput.run<CredentialState>(preset !== undefined ? { profile: preset } : {}, preset !== undefined ? schemeStep : profileStep);
  return s as CredentialState & { profile: string; credential: AdminCredential };
}

/** "token active", "account-owned token of account …, active", "user a@b.c", joined. */
function describeCheck(r: { status?: string | undefined; email?: string | undefined; accountId?: string | undefined }): string {
  const parts: string[] = [];
  if (r.status) parts.push(r.accountId ? `account-owned token of account ${r.accountId}, ${r.status}` : `token ${r.status}`);
  if (r.email) parts.push(`user ${r.email}`);
  return parts.join('; ') || 'valid';
}

/** Check a credential with Cloudflare (every scheme it holds); the account that accepted an account-owned token. */
async function checkCredential(app: App, c: AdminCredential, profile: string, signal: AbortSignal): Promise<{ detail: string; credential: AdminCredential; check: CredentialCheck }> {
  const r = await app.newClient(c, profile).verifyCredential({ schemes: 'all', signal });
  const found = c.type === 'api-token' && r.accountId !== undefined ? { ...c, accountId: r.accountId } : c;
  return { detail: describeCheck(r), credential: found, check: r };
}

/**
 * Check a credential against Cloudflare, every scheme it holds, without asking anything (a script's
 * argument, Verify Credential). An API token the user verify route does not know (401) is looked
 * for in the accounts it can see (GET /accounts, notes A1): the client does that when there is one;
 * when there are several, the argument must name the owner (`accountId`). The interactive Set
 * Credential asks instead (`accountStep`). Returns the credential with the account that accepted it.
 */
async function verify(
  app: App,
  credential: AdminCredential,
  profile: string,
): Promise<{ ok: true; detail: string; credential: AdminCredential; check: CredentialCheck } | { ok: false; error: CfRotateError }> {
  try {
    // Cancellable: Cancel stops the check (nothing is saved).
    const r = await withProgressNotification(vscode.l10n.t('Checking the Cloudflare credential for "{0}"…', profile), (_report, signal) => checkCredential(app, credential, profile, signal));
    return { ok: true, ...r };
  } catch (e) {
    if (e instanceof AccountChoiceNeeded && credential.type === 'api-token') {
      return { ok: false, error: new CfRotateError('auth', e.message, { hint: vscode.l10n.t('Pass "accountId" (the account that owns the token) with the token. {0}', e.hint ?? '').trim(), status: 401 }) };
    }
    if (toCfRotateError(e).kind === 'cancelled') throw cancelled();
    return { ok: false, error: toCfRotateError(e) };
  }
}

/**
 * The profile already holds a scheme the new credential lacks: keep it beside the new one
 * (each operation then uses the scheme Cloudflare accepts for it), or replace it.
 */
async function keepOtherScheme(profile: string, existing: AdminCredential | undefined, fresh: AdminCredential): Promise<AdminCredential> {
  if (!existing) return fresh;
  const existingKey = globalKeyOf(existing);
  if (fresh.type === 'api-token' && existingKey && !fresh.globalKey) {
    return (await askKeep(profile, 'email + Global API key', 'API token')) ? { ...fresh, globalKey: existingKey } : fresh;
  }
  if (fresh.type === 'global-key' && existing.type === 'api-token') {
    return (await askKeep(profile, 'API token', 'email + Global API key'))
      ? { type: 'api-token', token: existing.token, ...(existing.accountId ? { accountId: existing.accountId } : {}), globalKey: { email: fresh.email, key: fresh.key } }
      : fresh;
  }
  return fresh;
}

async function askKeep(profile: string, stored: string, entered: string): Promise<boolean> {
  const choice = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('Keep both'),
        description: vscode.l10n.t('recommended'),
        detail: vscode.l10n.t('Each operation uses the scheme Cloudflare accepts for it: the API token wherever it works, email + Global API key where only that works (zone-level Access service tokens).'),
        keep: true,
      },
      { label: vscode.l10n.t('Replace'), detail: vscode.l10n.t('Store only the new {0}; the stored {1} is removed from this profile.', entered, stored), keep: false },
    ],
    { title: vscode.l10n.t('Set Cloudflare Credential for "{0}"', profile), placeHolder: vscode.l10n.t('Profile "{0}" also holds {1}. Keep it beside the new {2}?', profile, stored === 'API token' ? 'an API token' : stored, entered), ignoreFocusOut: true },
  );
  if (!choice) throw cancelled();
  return choice.keep;
}

/**
 * Store a credential, verified first. With a `{profile, apiToken, accountId?}` /
 * `{profile, email, apiKey}` / `{profile, apiToken, email, apiKey}` argument nothing is asked
 * (`verify: false` skips the API check) and the argument replaces what the profile held.
 */
async function hasCredential(app: App, profile: string): Promise<boolean> {
  return (await app.credentials.get(profile).catch(() => undefined)) !== undefined;
}

async function setCredential(app: App, raw: unknown): Promise<SetCredentialResult | undefined> {
  let profile: string;
  let credential: AdminCredential;
  let shouldVerify = true;
  let verified = false;
  let checkResult: CredentialCheck | undefined;
  const scripted = isRecord(raw) && ('apiToken' in raw || 'apiKey' in raw);
  if (scripted) {
    const parsed = parseArg(credentialArgSchema, raw, COMMANDS.setCredential);
    if (!parsed) return undefined;
    ({ profile, credential } = credentialFromArg(parsed));
    shouldVerify = parseArg(verifyFlagSchema, raw, COMMANDS.setCredential)?.verify ?? true;
  } else {
    const args = parseArg(credentialPromptArgsSchema, raw, COMMANDS.setCredential);
    const asked = await askAndCheck(app, args?.profile);
    profile = asked.profile;
    credential = asked.credential;
    if (asked.verified) {
      credential = asked.verified.credential;
      verified = true;
      checkResult = asked.verified.check;
      app.logger.info(`Verified the credential for profile "${profile}" (${asked.verified.detail}).`);
    } else if (asked.unchecked) {
      const err = asked.unchecked;
      const result: SetCredentialResult = { profile, stored: false, verified: false, error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
      const save = await confirmModal(
        vscode.l10n.t('Cloudflare could not check the credential for "{0}".', profile),
        `${err.userMessage}\n\n${(await hasCredential(app, profile)) ? vscode.l10n.t('Save it anyway? It is checked again at the first rotation. If you do not, nothing is saved and profile "{0}" keeps its current credential.', profile) : vscode.l10n.t('Save it anyway? It is checked again at the first rotation. If you do not, nothing is saved.')}`,
        vscode.l10n.t('Save Anyway'),
      );
      if (!save) return result;
    }
  }
  if (scripted && shouldVerify) {
    registerCredential(credential);
    const v = await verify(app, credential, profile);
    if (!v.ok) {
      const err = v.error;
      const result: SetCredentialResult = { profile, stored: false, verified: false, error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
      notifyError(app, vscode.l10n.t('The credential for profile "{0}" was not saved{1}', profile, (await hasCredential(app, profile)) ? ' (its current credential was kept)' : ''), err);
      return result;
    }
    verified = true;
    checkResult = v.check;
    credential = v.credential;
    app.logger.info(`Verified the credential for profile "${profile}" (${v.detail}).`);
  }
  if (!scripted) credential = await keepOtherScheme(profile, await app.credentials.get(profile).catch(() => undefined), credential);
  await app.credentials.set(profile, credential);
  if (checkResult) await app.credentialInfo.noteCheck(profile, checkResult).catch(() => undefined);
  else await app.credentialInfo.forget(profile).catch(() => undefined);
  app.engine.resetClients();
  await app.view.rebuild();
  const accountId = credential.type === 'api-token' ? credential.accountId : undefined;
  notifyInfo(
    app,
    accountId
      ? verified
        ? vscode.l10n.t('Saved the Cloudflare credential for profile "{0}" (verified) in the secret storage: {1} (account-owned token of account {2}).', profile, describeCredential(credential), accountId)
        : vscode.l10n.t('Saved the Cloudflare credential for profile "{0}" (not verified) in the secret storage: {1} (account-owned token of account {2}).', profile, describeCredential(credential), accountId)
      : verified
        ? vscode.l10n.t('Saved the Cloudflare credential for profile "{0}" (verified) in the secret storage: {1}.', profile, describeCredential(credential))
        : vscode.l10n.t('Saved the Cloudflare credential for profile "{0}" (not verified) in the secret storage: {1}.', profile, describeCredential(credential)),
  );
  return { profile, stored: true, verified, ...(accountId ? { accountId } : {}) };
}

async function pickProfile(app: App, preset: string | undefined, placeHolder: string): Promise<string | undefined> {
  if (preset !== undefined) return preset;
  const profiles = await app.credentials.profiles();
  if (profiles.length === 0) {
    notifyInfo(app, vscode.l10n.t('No Cloudflare credential is stored.'), [{ title: vscode.l10n.t('Set Credential'), run: () => vscode.commands.executeCommand(COMMANDS.setCredential) }]);
    return undefined;
  }
  if (profiles.length === 1) return profiles[0];
  return vscode.window.showQuickPick(profiles, { placeHolder, ignoreFocusOut: true });
}

async function clearCredential(app: App, raw: unknown): Promise<{ profile: string; cleared: boolean } | undefined> {
  const args = parseArg(profileArgsSchema, raw, COMMANDS.clearCredential);
  const profile = await pickProfile(app, args?.profile, vscode.l10n.t('Select the credential to delete'));
  if (profile === undefined) return undefined;
  if (args?.confirm !== false) {
    const ok = await confirmModal(
      vscode.l10n.t('Delete the Cloudflare credential of profile "{0}"?', profile),
      vscode.l10n.t('It is removed from this machine\'s secret storage (the token itself stays valid at Cloudflare). Tokens of this profile cannot be rotated until you set a credential again.'),
      vscode.l10n.t('Delete'),
    );
    if (!ok) return { profile, cleared: false };
  }
  await app.credentials.delete(profile);
  await app.credentialInfo.forget(profile).catch(() => undefined);
  app.engine.resetClients();
  await app.view.rebuild();
  notifyInfo(app, vscode.l10n.t('Deleted the Cloudflare credential of profile "{0}".', profile));
  return { profile, cleared: true };
}

async function verifyCredential(app: App, raw: unknown): Promise<{ profile: string; ok: boolean; detail?: string; error?: { kind: ErrorKind; message: string; hint?: string } } | undefined> {
  const args = parseArg(profileArgsSchema, raw, COMMANDS.verifyCredential);
  const profile = await pickProfile(app, args?.profile, vscode.l10n.t('Select the credential to check'));
  if (profile === undefined) return undefined;
  const credential = await app.credentials.get(profile);
  if (!credential) throw missingCredential(profile);
  const v = await verify(app, credential, profile);
  if (!v.ok) {
    notifyError(app, vscode.l10n.t('The credential for profile "{0}" does not work', profile), v.error);
    return { profile, ok: false, error: { kind: v.error.kind, message: v.error.message, ...(v.error.hint ? { hint: v.error.hint } : {}) } };
  }
  if (v.check) await app.credentialInfo.noteCheck(profile, v.check).catch(() => undefined);
  void app.view.rebuild();
  notifyInfo(app, vscode.l10n.t('The Cloudflare credential for profile "{0}" works ({1}).', profile, v.detail));
  return { profile, ok: true, detail: v.detail };
}

/**
 * Set GitHub Token…: a token for GitHub Actions targets, kept in SecretStorage, for where VS Code
 * has no GitHub sign-in (code-server, GitHub Enterprise Server) or another account must write.
 * Used before the GitHub sign-in when both exist. Format-checked only: it is first used in the
 * preflight of a rotation, which says what GitHub thinks of it before anything is rotated.
 */
async function setGitHubToken(app: App, raw: unknown): Promise<{ stored: boolean; cleared?: boolean } | undefined> {
  const args = parseArg(setGitHubTokenArgsSchema, raw, COMMANDS.setGitHubToken);
  if (args && 'clear' in args) {
    await app.secrets.delete(GITHUB_TOKEN_SECRET_KEY);
    notifyInfo(app, vscode.l10n.t('Deleted the stored GitHub token; GitHub Actions targets use your GitHub sign-in now, if there is one.'));
    return { stored: false, cleared: true };
  }
  let token = args?.token;
  if (token === undefined) {
    const had = (await app.secrets.get(GITHUB_TOKEN_SECRET_KEY)) !== undefined;
    const entered = await vscode.window.showInputBox({
      title: vscode.l10n.t('Set GitHub Token'),
      prompt: had
        ? vscode.l10n.t('A GitHub token that may write the Actions secrets of the repositories in cf-rotate.json ("Secrets" and, for environments, "Environments" read and write; or the "repo" scope). Stored in the OS secret storage. Leave empty to delete the stored token.')
        : vscode.l10n.t('A GitHub token that may write the Actions secrets of the repositories in cf-rotate.json ("Secrets" and, for environments, "Environments" read and write; or the "repo" scope). Stored in the OS secret storage.'),
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' && had) || GITHUB_TOKEN_FORMAT.test(v.trim()) ? undefined : vscode.l10n.t('This does not look like a GitHub token (20-255 characters, no spaces).'),
    });
    if (entered === undefined) throw cancelled();
    if (entered.trim() === '') return setGitHubToken(app, { clear: true });
    token = entered.trim();
  }
  registerSecret(token);
  await app.secrets.store(GITHUB_TOKEN_SECRET_KEY, token);
  notifyInfo(app, vscode.l10n.t('Saved the GitHub token in the secret storage. Rotations check it against GitHub before anything is rotated.'));
  return { stored: true };
}

export function registerCredentialCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.setCredential, (arg: unknown) => guarded(app, vscode.l10n.t('Set credential failed'), () => setCredential(app, arg))),
    app.registerCommand(COMMANDS.clearCredential, (arg: unknown) => guarded(app, vscode.l10n.t('Clear credential failed'), () => clearCredential(app, arg))),
    app.registerCommand(COMMANDS.verifyCredential, (arg: unknown) => guarded(app, vscode.l10n.t('Verify credential failed'), () => verifyCredential(app, arg))),
    app.registerCommand(COMMANDS.setGitHubToken, (arg: unknown) => guarded(app, vscode.l10n.t('Set GitHub token failed'), () => setGitHubToken(app, arg))),
  ];
}

/** For the add-token wizard: run the interactive flow and return the stored profile. */
export async function setCredentialInteractive(app: App, profile?: string): Promise<string | undefined> {
  const r = await setCredential(app, profile !== undefined ? { profile } : undefined);
  if (!r?.stored) return undefined;
  return r.profile;
}

