/** addToken (wizard or argument), removeToken, openConfig: edits of .vscode/cf-rotate.json. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { acceptedSchemes, REQUIRED_PERMISSIONS } from '../core/cloudflare/client';
import { chooseScheme, schemeRefusal } from '../core/cloudflare/permissions';
import type { AccessScope, AccountInfo, AdminCredential, CloudflareApi } from '../core/cloudflare/types';
import { CONFIG_RELATIVE_PATH, CONFIG_RULES, starterConfig } from '../core/config/load';
import { credentialKey, fileTargets, targetLabel, tokenSchema, type CredentialFields, type TokenConfig, type TokenKind } from '../core/config/schema';
import { CfRotateError } from '../core/errors';
import { configPathOf } from '../host/configs';
import { missingCredential } from '../host/services';
import { samePath } from '../host/paths';
import { KIND_ICONS, KIND_LABELS, type FolderInfo } from '../views/model';
import { COMMANDS, ENV_FILE_EXCLUDE, ENV_FILE_GLOB } from '../constants';
import { cancelled, confirmModal, ensureTrusted, guarded, notifyInfo, openFile, pickFolder, pickText, resolveToken, type App } from './app';
import { MultiStepInput, type Choice, type Step } from './multiStep';
import { addTargetsText, insertToken, locateJsonPath, removeTokenText, tokenNamesOf } from './configText';
import { setCredentialInteractive } from './credentials';
import { isEnvLikeFile, suggestedKeys, suggestName, validateEnvKey, validateRelativeFile, validateTokenName } from './describe';
import { offerGitNotices } from './rotate';
import { addTokenArgsSchema, describeIssues, isRecord, openConfigArgsSchema, parseArg, removeTokenArgsSchema } from './schemas';

/** The folder of the config (`.vscode`), created through the checked writer when missing. */
const CONFIG_DIR = path.dirname(CONFIG_RELATIVE_PATH);

/** What a target variable receives, as the wizard names it. */
function fieldLabel(field: 'token' | 'clientId' | 'clientSecret' | undefined): string {
  return field === 'clientId' ? vscode.l10n.t('client ID') : field === 'clientSecret' ? vscode.l10n.t('client secret') : field === 'token' ? vscode.l10n.t('token') : vscode.l10n.t('other value');
}

/**
 * The folder's config text, through the checked reader (a regular file inside the folder, at most
 * 1 MiB); undefined when there is none, also when the folder has no .vscode yet (the checked
 * reader says so with an ENOENT cause).
 */
async function readText(app: App, folder: string): Promise<string | undefined> {
  let r: { bytes: Uint8Array } | undefined;
  try {
    r = await app.files.read(folder, CONFIG_RELATIVE_PATH, CONFIG_RULES);
  } catch (e) {
    if (e instanceof CfRotateError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw e;
  }
  return r && Buffer.from(r.bytes).toString('utf8');
}

/** Write the config, refusing when an editor holds unsaved changes of it (they would conflict). */
async function writeConfig(app: App, folder: FolderInfo, text: string): Promise<void> {
  const file = configPathOf(folder.path);
  if (vscode.workspace.textDocuments.some((d) => d.isDirty && d.uri.scheme === 'file' && samePath(d.uri.fsPath, file))) {
    throw new CfRotateError('file', vscode.l10n.t('{0} in {1} has unsaved changes in an editor.', path.join('.vscode', 'cf-rotate.json'), folder.name), {
      hint: vscode.l10n.t('Save or revert it, then try again.'),
    });
  }
  await app.files.createFolder(folder.path, CONFIG_DIR, { denyGitDir: true });
  await app.files.write(folder.path, CONFIG_RELATIVE_PATH, Buffer.from(text, 'utf8'), { ...CONFIG_RULES, mode: 0o644 });
  await app.configs.reload(folder.path);
  await app.view.rebuild();
}

// ------------------------------------------------------------------------------ openConfig

async function openConfig(app: App, raw: unknown): Promise<{ folder: string; file: string; created: boolean } | undefined> {
  const args = parseArg(openConfigArgsSchema, raw, COMMANDS.openConfig);
  const folder = await pickFolder(app, args?.folder, vscode.l10n.t('Open the cf-rotate.json of which folder?'));
  if (!folder) return undefined;
  const file = configPathOf(folder.path);
  let created = false;
  if ((await readText(app, folder.path)) === undefined) {
    // Through the checked writer, as every write: .vscode made inside the folder (a .vscode that
    // links out of it is refused), the starter created, never replacing a file that appeared
    // meanwhile and never through a link.
    await app.files.createFolder(folder.path, CONFIG_DIR, { denyGitDir: true });
    try {
      await app.files.write(folder.path, CONFIG_RELATIVE_PATH, Buffer.from(starterConfig(), 'utf8'), { ...CONFIG_RULES, mode: 0o644, createOnly: true });
      created = true;
      app.logger.info(`Created ${file}.`);
    } catch (e) {
      if (!(e instanceof CfRotateError && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST')) throw e;
    }
    await app.configs.reload(folder.path);
    await app.view.rebuild();
  }
  const editor = await openFile(file);
  if (args?.path) {
    const loc = locateJsonPath(editor.document.getText(), args.path);
    if (loc) {
      const range = new vscode.Range(editor.document.positionAt(loc.offset), editor.document.positionAt(loc.offset + loc.length));
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }
  return { folder: folder.path, file, created };
}

// -------------------------------------------------------------------------------- addToken

/** Add Token's steps, always numbered out of the same total (a step may ask more than once: the account, then the token). */
const STEPS = { kind: 1, credential: 2, resource: 3, name: 4, target: 5, schedule: 6 } as const;
const TOTAL = 6;
/** The wizard's title ("Add Token: Kind"). */
const title = (): string => vscode.l10n.t('Add Token');

/** Names come from Cloudflare and the repository: plain text in the list (no control or bidi characters). */
function plainChoices<T>(items: readonly Choice<T>[]): Choice<T>[] {
  return items.map((i) => ({ ...i, label: pickText(i.label), ...(i.description !== undefined ? { description: pickText(i.description) } : {}), ...(i.detail !== undefined ? { detail: pickText(i.detail) } : {}) }));
}

function pickOne<T>(flow: MultiStepInput, step: keyof typeof STEPS, what: string, placeholder: string, items: readonly Choice<T>[], active?: T): Promise<T> {
  return flow.pick<T>({ title: vscode.l10n.t('{0}: {1}', title(), what), step: STEPS[step], totalSteps: TOTAL, placeholder, items: plainChoices(items), ...(active !== undefined ? { active } : {}) });
}

/**
 * A list from Cloudflare, in the picker itself: shown at once, busy with "Loading … from
 * Cloudflare…" until it arrives (Escape or Back stops the read). An empty list ends the wizard
 * with `empty()`; a single item is taken without asking when `single` is set.
 */
function pickLoaded<T, I>(
  flow: MultiStepInput,
  step: keyof typeof STEPS,
  what: string,
  placeholder: string,
  loading: string,
  fetch: (signal: AbortSignal) => Promise<I[]>,
  toChoice: (item: I) => Choice<T>,
  empty: () => CfRotateError,
  single = false,
): Promise<T> {
  return flow.pick<T>({
    title: vscode.l10n.t('{0}: {1}', title(), what),
    step: STEPS[step],
    totalSteps: TOTAL,
    placeholder,
    loading: vscode.l10n.t('Loading {0} from Cloudflare…', loading),
    autoPickSingle: single,
    items: async (signal) => {
      const items = await fetch(signal);
      if (items.length === 0) throw empty();
      return plainChoices(items.map(toChoice));
    },
  });
}

/** `what`: the translated plural noun ("zones"); `where`: the account or zone searched, if any. */
function noneFound(what: string, profile: string, permission: string | undefined, where?: string): () => CfRotateError {
  return () =>
    new CfRotateError('not-found', where !== undefined ? vscode.l10n.t('Cloudflare lists no {0} in {1} for the credential of profile "{2}".', what, where, profile) : vscode.l10n.t('Cloudflare lists no {0} for the credential of profile "{1}".', what, profile), {
      hint: permission ? vscode.l10n.t('Create one in the dashboard, or give the credential the "{0}" permission.', permission) : vscode.l10n.t('Create one in the Cloudflare dashboard first.'),
    });
}

function pickAccount(flow: MultiStepInput, api: CloudflareApi, profile: string): Promise<AccountInfo> {
  return pickLoaded(flow, 'resource', vscode.l10n.t('Account'), vscode.l10n.t('Which Cloudflare account?'), vscode.l10n.t('accounts'), (signal) => api.listAccounts({ signal }), (a) => ({ label: a.name, detail: a.id, value: a }), noneFound(vscode.l10n.t('accounts'), profile, REQUIRED_PERMISSIONS.listAccounts), true);
}

/** "expires 2026-12-01", "last used …", "last seen …" of a listed item (the date Cloudflare gives). */
function dateNote(what: 'expires' | 'last used' | 'last seen', iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const day = iso.slice(0, 10);
  return what === 'expires' ? vscode.l10n.t('expires {0}', day) : what === 'last used' ? vscode.l10n.t('last used {0}', day) : vscode.l10n.t('last seen {0}', day);
}

/** The entries of the folder's config by the credential they rotate (`credentialKey` → name). */
type Configured = ReadonlyMap<string, string>;

/** "already configured as 'deploy'" for a listed item whose credential an entry rotates already. */
function configuredNote(configured: Configured, fields: CredentialFields): string | undefined {
  const name = configured.get(credentialKey(fields));
  return name !== undefined ? vscode.l10n.t('already configured as \'{0}\'', name) : undefined;
}

/** A list item's description: its own text, and the "already configured" mark. */
function describeItem(own: string | undefined, configured: Configured, fields: CredentialFields): { description?: string } {
  const note = configuredNote(configured, fields);
  const text = [note ? `$(check) ${note}` : undefined, own].filter(Boolean).join(' · ');
  return text ? { description: text } : {};
}

interface Resource {
  fields: Record<string, string | number>;
  suggested: string;
  existing?: string | undefined;
}

/**
 * Resource fields plus a name suggestion, from the API's lists (no copying ids). Items that an
 * entry of this folder already rotates are marked "already configured as '…'"; `existing` names
 * that entry when one of them is picked.
 */
async function pickResource(flow: MultiStepInput, kind: TokenKind, api: CloudflareApi, profile: string, credential: AdminCredential, configured: Configured): Promise<Resource> {
  const existing = (fields: CredentialFields): { existing?: string } => {
    const name = configured.get(credentialKey(fields));
    return name !== undefined ? { existing: name } : {};
  };
  switch (kind) {
    case 'account-api-token': {
      const account = await pickAccount(flow, api, profile);
      const t = await pickLoaded(
        flow, 'resource', vscode.l10n.t('Token'), vscode.l10n.t('Which account API token of {0} should cf-rotate roll?', account.name), vscode.l10n.t('account API tokens'),
        (signal) => api.listAccountTokens(account.id, { signal }),
        (x) => ({ label: x.name, ...describeItem(x.status, configured, { kind, accountId: account.id, tokenId: x.id }), detail: [x.id, dateNote('expires', x.expiresOn), dateNote('last used', x.lastUsedOn)].filter(Boolean).join(' · '), value: x }),
        noneFound(vscode.l10n.t('account API tokens'), profile, REQUIRED_PERMISSIONS.listAccountTokens, account.name),
      );
      return { fields: { accountId: account.id, tokenId: t.id }, suggested: t.name, ...existing({ kind, accountId: account.id, tokenId: t.id }) };
    }
    case 'user-api-token': {
      const t = await pickLoaded(
        flow, 'resource', vscode.l10n.t('Token'), vscode.l10n.t('Which user API token should cf-rotate roll?'), vscode.l10n.t('user API tokens'),
        (signal) => api.listUserTokens({ signal }),
        (x) => ({ label: x.name, ...describeItem(x.status, configured, { kind, tokenId: x.id }), detail: [x.id, dateNote('expires', x.expiresOn), dateNote('last used', x.lastUsedOn)].filter(Boolean).join(' · '), value: x }),
        noneFound(vscode.l10n.t('user API tokens'), profile, REQUIRED_PERMISSIONS.listUserTokens),
      );
      return { fields: { tokenId: t.id }, suggested: t.name, ...existing({ kind, tokenId: t.id }) };
    }
    case 'access-service-token': {
      const level = await pickOne(flow, 'resource', vscode.l10n.t('Scope'), vscode.l10n.t('Where does the service token live?'), [
        { label: vscode.l10n.t('Account'), detail: vscode.l10n.t('Zero Trust › Access › Service credentials (most tokens)'), value: 'account' as const },
        { label: vscode.l10n.t('Zone'), detail: vscode.l10n.t('A zone-level Access service token (Cloudflare accepts only email + Global API key for these)'), value: 'zone' as const },
      ]);
      if (level === 'zone') {
        // Zone-level service tokens accept only email + Global API key (A5): never send them a Bearer token.
        const accepted = acceptedSchemes('listServiceTokens', { zoneId: 'zone' });
        if (chooseScheme(accepted, credential) === undefined) throw schemeRefusal('listing zone-level Access service tokens', accepted, credential, profile, 'zone-level Access service tokens accept only email + Global API key');
      }
      const account = await pickAccount(flow, api, profile);
      let scope: AccessScope = { accountId: account.id };
      let where = account.name;
      if (level === 'zone') {
        const zone = await pickLoaded(flow, 'resource', vscode.l10n.t('Zone'), vscode.l10n.t('Which zone?'), vscode.l10n.t('zones'), (signal) => api.listZones(account.id, { signal }), (z) => ({ label: z.name, detail: z.id, value: z }), noneFound(vscode.l10n.t('zones'), profile, REQUIRED_PERMISSIONS.listZones, account.name));
        scope = { zoneId: zone.id };
        where = zone.name;
      }
      const scopeFields: { accountId: string } | { zoneId: string } = scope.accountId !== undefined ? { accountId: scope.accountId } : { zoneId: scope.zoneId as string };
      const t = await pickLoaded(
        flow, 'resource', vscode.l10n.t('Service token'), vscode.l10n.t('Which service token of {0}?', where), vscode.l10n.t('service tokens'),
        (signal) => api.listServiceTokens(scope, { signal }),
        (x) => ({ label: x.name, ...describeItem(undefined, configured, { kind, ...scopeFields, serviceTokenId: x.id }), detail: [x.id, dateNote('expires', x.expiresAt), dateNote('last seen', x.lastSeenAt)].filter(Boolean).join(' · '), value: x }),
        noneFound(vscode.l10n.t('Access service tokens'), profile, REQUIRED_PERMISSIONS.listServiceTokens, where),
      );
      const already = existing({ kind, ...scopeFields, serviceTokenId: t.id });
      const fields: Record<string, string | number> = { ...scopeFields, serviceTokenId: t.id };
      if (level === 'zone' && already.existing === undefined) {
        // Zone tokens rotate by client_secret_version + 1, and Cloudflare does not report the version (A3).
        const v = await flow.input({
          title: vscode.l10n.t('{0}: Secret version', title()),
          step: STEPS.resource,
          totalSteps: TOTAL,
          prompt: vscode.l10n.t('The client_secret_version "{0}" has now (Cloudflare does not report it; 1 if it was never rotated by version). cf-rotate remembers the versions it sets.', pickText(t.name)),
          value: '1',
          validate: (x) => (/^[1-9]\d{0,6}$/.test(x.trim()) ? undefined : vscode.l10n.t('A whole number, 1 or more.')),
        });
        fields['clientSecretVersion'] = Number(v.trim());
      }
      return { fields, suggested: t.name, ...already };
    }
    case 'moq-relay-token': {
      const account = await pickAccount(flow, api, profile);
      const relay = await pickLoaded(flow, 'resource', vscode.l10n.t('Relay'), vscode.l10n.t('Which MoQ relay?'), vscode.l10n.t('MoQ relays'), (signal) => api.listMoqRelays(account.id, { signal }), (r) => ({ label: r.name, detail: r.id, value: r }), noneFound(vscode.l10n.t('MoQ relays'), profile, REQUIRED_PERMISSIONS.listMoqRelays, account.name));
      const f = (tokenType: string): CredentialFields => ({ kind, accountId: account.id, relayId: relay.id, tokenType });
      const type = await pickOne(flow, 'resource', vscode.l10n.t('Token type'), vscode.l10n.t('Which token of the relay?'), [
        { label: vscode.l10n.t('Publish + subscribe'), ...describeItem('publish_subscribe', configured, f('publish_subscribe')), value: 'publish_subscribe' as const },
        { label: vscode.l10n.t('Subscribe only'), ...describeItem('subscribe', configured, f('subscribe')), value: 'subscribe' as const },
      ]);
      return { fields: { accountId: account.id, relayId: relay.id, tokenType: type }, suggested: `${relay.name} ${type === 'subscribe' ? 'subscribe' : 'publish'}`, ...existing(f(type)) };
    }
    case 'turnstile-secret': {
      const account = await pickAccount(flow, api, profile);
      const f = (sitekey: string): CredentialFields => ({ kind, accountId: account.id, sitekey });
      const w = await pickLoaded(
        flow, 'resource', vscode.l10n.t('Widget'), vscode.l10n.t('Which Turnstile widget of {0}? Its secret is rotated (the previous one stays valid 2 hours).', account.name), vscode.l10n.t('Turnstile widgets'),
        (signal) => api.listTurnstileWidgets(account.id, { signal }),
        (x) => ({ label: x.name || x.sitekey, ...describeItem(x.mode, configured, f(x.sitekey)), detail: [x.sitekey, (x.domains ?? []).slice(0, 3).join(', ')].filter(Boolean).join(' · '), value: x }),
        noneFound(vscode.l10n.t('Turnstile widgets'), profile, REQUIRED_PERMISSIONS.listTurnstileWidgets, account.name),
      );
      return { fields: { accountId: account.id, sitekey: w.sitekey }, suggested: w.name || 'turnstile', ...existing(f(w.sitekey)) };
    }
    case 'oauth-client-secret': {
      const account = await pickAccount(flow, api, profile);
      const f = (clientId: string): CredentialFields => ({ kind, accountId: account.id, clientId });
      const c = await pickLoaded(
        flow, 'resource', vscode.l10n.t('OAuth client'), vscode.l10n.t('Which OAuth client of {0}? It gets a second secret; the previous one is deleted after the overlap (24 h).', account.name), vscode.l10n.t('OAuth clients'),
        (signal) => api.listOAuthClients(account.id, { signal }),
        (x) => ({ label: x.name || x.clientId, ...describeItem(x.hasRotatedSecret ? vscode.l10n.t('has a previous secret') : undefined, configured, f(x.clientId)), detail: x.clientId, value: x }),
        noneFound(vscode.l10n.t('OAuth clients'), profile, REQUIRED_PERMISSIONS.listOAuthClients, account.name),
      );
      return { fields: { accountId: account.id, clientId: c.clientId }, suggested: c.name || 'oauth-client', ...existing(f(c.clientId)) };
    }
  }
}

/**
 * A folder for a new file that does not exist yet: offered, and created through the checked
 * writer (inside the workspace folder, never through a link, never under .git).
 */
async function offerFolder(app: App, folder: FolderInfo, rel: string): Promise<boolean> {
  const dir = path.posix.dirname(rel);
  if (dir === '.' || existsSync(path.resolve(folder.path, dir))) return true;
  const create = `Create ${dir}`;
  const answer = await vscode.window.showInformationMessage(vscode.l10n.t('The folder {0} does not exist in {1}.', dir, folder.name), { modal: true, detail: vscode.l10n.t('cf-rotate creates it now, and {0} (mode 0600) at the first rotation.', rel) }, create);
  if (answer !== create) return false;
  await app.files.createFolder(folder.path, dir, { denyGitDir: true });
  app.logger.info(`Created the folder ${dir} in ${folder.name} for ${rel}.`);
  return true;
}

async function pickTargetFile(app: App, flow: MultiStepInput, folder: FolderInfo, active: string | undefined): Promise<string> {
  const NEW = '\u0000new';
  const choice = await flow.pick<string>({
    title: vscode.l10n.t('{0}: Target file', title()),
    step: STEPS.target,
    totalSteps: TOTAL,
    placeholder: vscode.l10n.t('Which file receives the new secret?'),
    loading: vscode.l10n.t('Looking for .env files…'),
    ...(active !== undefined ? { active } : {}),
    items: async () => {
      const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(folder.path), ENV_FILE_GLOB), ENV_FILE_EXCLUDE, 500);
      const rels = [...new Set(uris.map((u) => path.relative(folder.path, u.fsPath).split(path.sep).join('/')))].filter(isEnvLikeFile).sort();
      const dirsWithDevVars = new Set(rels.filter((r) => /(^|\/)\.dev\.vars$/.test(r)).map((r) => path.posix.dirname(r)));
      const items: Choice<string>[] = rels.map((r) => {
        const base = path.posix.basename(r);
        const shadowed = base.startsWith('.env') && dirsWithDevVars.has(path.posix.dirname(r));
        return {
          label: r,
          iconPath: new vscode.ThemeIcon('file'),
          ...(base.startsWith('.dev.vars') ? { description: vscode.l10n.t('wrangler dev') } : shadowed ? { description: vscode.l10n.t('ignored by wrangler dev while .dev.vars exists') } : /example|sample|template/i.test(base) ? { description: vscode.l10n.t('looks like a template') } : {}),
          value: r,
        };
      });
      items.push({ label: vscode.l10n.t('New file…'), iconPath: new vscode.ThemeIcon('new-file'), detail: vscode.l10n.t('cf-rotate creates it (mode 0600) at the first rotation'), value: NEW });
      return plainChoices(items);
    },
  });
  if (choice !== NEW) return choice;
  for (;;) {
    const rel = (
      await flow.input({
        title: vscode.l10n.t('{0}: New target file', title()),
        step: STEPS.target,
        totalSteps: TOTAL,
        prompt: vscode.l10n.t('Path relative to the workspace folder (a missing folder is offered to be created)'),
        value: active ?? '.env',
        validate: (v) => validateRelativeFile(v.trim()),
      })
    ).trim().split('\\').join('/').replace(/^\.\//, '');
    if (await offerFolder(app, folder, rel)) return rel;
    active = rel;
  }
}

/** What the wizard produced: a new entry, or targets to add to the entry that already rotates the picked credential. */
type WizardResult = { entry: Record<string, unknown> } | { addTo: string; targets: Record<string, unknown>[] };

interface WizardState {
  kind?: TokenKind;
  profile?: string;
  credential?: AdminCredential;
  resource?: Resource;
  addTo?: string;
  name?: string;
  file?: string;
  targets?: { file: string; key: string; field?: string }[];
  every?: number | undefined;
  done?: boolean;
}

const KIND_CHOICES: Choice<TokenKind>[] = [
  { label: KIND_LABELS['account-api-token'], iconPath: new vscode.ThemeIcon(KIND_ICONS['account-api-token']), detail: vscode.l10n.t('An API token owned by an account (cfat_…). Rolled: the old value dies at once.'), value: 'account-api-token' },
  { label: KIND_LABELS['user-api-token'], iconPath: new vscode.ThemeIcon(KIND_ICONS['user-api-token']), detail: vscode.l10n.t('An API token owned by your user (cfut_…). Rolled: the old value dies at once.'), value: 'user-api-token' },
  { label: KIND_LABELS['access-service-token'], iconPath: new vscode.ThemeIcon(KIND_ICONS['access-service-token']), detail: vscode.l10n.t('Client ID + secret for Cloudflare Access. The previous secret can stay valid for a grace period.'), value: 'access-service-token' },
  { label: KIND_LABELS['moq-relay-token'], iconPath: new vscode.ThemeIcon(KIND_ICONS['moq-relay-token']), detail: vscode.l10n.t('A publish/subscribe token of a Media over QUIC relay.'), value: 'moq-relay-token' },
  { label: KIND_LABELS['turnstile-secret'], iconPath: new vscode.ThemeIcon(KIND_ICONS['turnstile-secret']), detail: vscode.l10n.t('The secret key of a Turnstile widget. The previous secret stays valid for 2 hours.'), value: 'turnstile-secret' },
  { label: KIND_LABELS['oauth-client-secret'], iconPath: new vscode.ThemeIcon(KIND_ICONS['oauth-client-secret']), detail: vscode.l10n.t('The secret of an OAuth client. Both secrets work until the previous one is deleted after the overlap.'), value: 'oauth-client-secret' },
];

/**
 * Add Token as one multi-step input: Kind, Credential, the resource (lists loaded in the picker),
 * Name, Target file and variables, Schedule, numbered out of 6 throughout, with Back.
 */
async function wizard(app: App, folder: FolderInfo): Promise<WizardResult> {
  const state = app.configs.state(folder.path);
  const existingText = await readText(app, folder.path);
  const taken = tokenNamesOf(existingText);
  const used = new Map<string, string>(state?.status === 'ok' ? state.tokens.flatMap((t) => fileTargets(t).map((x) => [`${x.file}\u0000${x.key}`, t.name] as const)) : []);
  const configured = new Map<string, string>(state?.status === 'ok' ? state.tokens.map((t) => [credentialKey(t), t.name] as const) : []);

  const kindStep: Step<WizardState> = async (flow, s) => {
    s.kind = await pickOne(flow, 'kind', vscode.l10n.t('Kind'), vscode.l10n.t('What kind of credential should cf-rotate rotate?'), KIND_CHOICES, s.kind);
    return credentialStep;
  };
  const credentialStep: Step<WizardState> = async (flow, s) => {
    const profiles = await app.credentials.profiles();
    const NEW = '\u0000new';
    const choice =
      profiles.length === 0
        ? NEW
        : await pickOne(flow, 'credential', vscode.l10n.t('Credential'), vscode.l10n.t('Which admin credential (profile) rotates this token?'), [
            ...profiles.map((p) => ({ label: p, iconPath: new vscode.ThemeIcon('key'), value: p })),
            { label: vscode.l10n.t('Set a new credential…'), iconPath: new vscode.ThemeIcon('add'), value: NEW },
          ], s.profile);
    let profile = choice;
    if (choice === NEW) {
      flow.hide();
      const stored = await setCredentialInteractive(app);
      if (stored === undefined) throw cancelled();
      profile = stored;
    }
    const credential = await app.credentials.get(profile);
    if (!credential) throw missingCredential(profile);
    s.profile = profile;
    s.credential = credential;
    return resourceStep;
  };
  const resourceStep: Step<WizardState> = async (flow, s) => {
    const kind = s.kind as TokenKind;
    const profile = s.profile as string;
    const credential = s.credential as AdminCredential;
    const resource = await pickResource(flow, kind, app.newClient(credential, profile), profile, credential, configured);
    s.resource = resource;
    s.addTo = undefined;
    if (resource.existing !== undefined) {
      // The same Cloudflare credential in two entries would be rotated twice (the second roll kills the first value).
      const add = await pickOne(flow, 'resource', vscode.l10n.t('Already configured'), vscode.l10n.t('"{0}" is already configured as \'{1}\'. Rotating it from two entries would invalidate what the first one wrote.', pickText(resource.suggested), pickText(resource.existing)), [
        { label: vscode.l10n.t('Add a target to \'{0}\'', resource.existing), detail: vscode.l10n.t('\'{0}\' then also writes the new secret into the variable you choose next', resource.existing), value: true },
        { label: vscode.l10n.t('Cancel'), detail: vscode.l10n.t('Change nothing'), value: false },
      ]);
      if (!add) throw cancelled();
      s.addTo = resource.existing;
      return targetStep;
    }
    return nameStep;
  };
  const nameStep: Step<WizardState> = async (flow, s) => {
    const name = await flow.input({
      title: vscode.l10n.t('{0}: Name', title()),
      step: STEPS.name,
      totalSteps: TOTAL,
      prompt: vscode.l10n.t('Name of this entry in cf-rotate.json'),
      value: s.name ?? suggestName((s.resource as Resource).suggested, taken),
      validate: (v) => validateTokenName(v.trim(), taken),
    });
    s.name = name.trim();
    return targetStep;
  };
  const targetStep: Step<WizardState> = async (flow, s) => {
    const kind = s.kind as TokenKind;
    const tokenType = (s.resource as Resource).fields.tokenType as 'publish_subscribe' | 'subscribe' | undefined;
    const file = await pickTargetFile(app, flow, folder, s.file);
    s.file = file;
    const targets: { file: string; key: string; field?: string }[] = [];
    for (const sug of suggestedKeys(kind, tokenType)) {
      const earlier = s.targets?.find((t) => t.field === sug.field || (t.field === undefined && targets.length === 0))?.key;
      const key = await flow.input({
        title: vscode.l10n.t('{0}: Variable for the {1}', title(), fieldLabel(sug.field)),
        step: STEPS.target,
        totalSteps: TOTAL,
        prompt: vscode.l10n.t('Variable in {0} that receives the {1}', file, fieldLabel(sug.field)),
        value: earlier ?? sug.key,
        validate: (v) => {
          const k = v.trim();
          const bad = validateEnvKey(k);
          if (bad) return bad;
          const owner = used.get(`${file}\u0000${k}`);
          if (owner !== undefined) return vscode.l10n.t('{0} in {1} is already written by another token ("{2}").', k, file, pickText(owner));
          if (targets.some((t) => t.key === k)) return vscode.l10n.t('{0} is already used for the {1}.', k, fieldLabel(targets.find((t) => t.key === k)?.field as 'token' | 'clientId' | 'clientSecret' | undefined));
          return undefined;
        },
      });
      targets.push({ file, key: key.trim(), ...(kind === 'access-service-token' ? { field: sug.field } : {}) });
    }
    s.targets = targets;
    return s.addTo !== undefined ? undefined : scheduleStep;
  };
  const scheduleStep: Step<WizardState> = async (flow, s) => {
    s.every = await pickOne<number | undefined>(flow, 'schedule', vscode.l10n.t('Schedule'), vscode.l10n.t('Remind me to rotate it…'), [
      { label: vscode.l10n.t('No schedule'), detail: vscode.l10n.t('Rotate on demand only'), value: undefined },
      { label: vscode.l10n.t('Every 30 days'), value: 30 },
      { label: vscode.l10n.t('Every 60 days'), value: 60 },
      { label: vscode.l10n.t('Every 90 days'), value: 90 },
    ], s.every);
    return undefined;
  };

  const s = await MultiStepInput.run<WizardState>({}, kindStep);
  const targets = s.targets ?? [];
  if (s.addTo !== undefined) return { addTo: s.addTo, targets };
  const profile = s.profile as string;
  return {
    entry: {
      name: s.name,
      kind: s.kind,
      ...(profile !== 'default' ? { profile } : {}),
      ...(s.resource as Resource).fields,
      ...(s.every !== undefined ? { rotateEveryDays: s.every } : {}),
      targets,
    },
  };
}

function validateToken(raw: unknown): TokenConfig {
  const r = tokenSchema.safeParse(raw);
  if (!r.success) throw new CfRotateError('validation', vscode.l10n.t('The token entry is invalid: {0}.', describeIssues(r.error.issues)), { hint: vscode.l10n.t('Check the fields against the cf-rotate.json schema.') });
  return r.data;
}

async function addToken(app: App, raw: unknown): Promise<{ folder: string; name: string; addedTargets?: number } | undefined> {
  ensureTrusted();
  let folderRef: string | undefined;
  let entry: Record<string, unknown> | undefined;
  if (isRecord(raw) && 'kind' in raw && !('type' in raw)) {
    entry = { ...validateToken(raw) };
  } else {
    const args = parseArg(addTokenArgsSchema, raw, COMMANDS.addToken);
    folderRef = args?.folder;
    if (args?.token) entry = { ...args.token };
  }
  await app.configs.ready();
  const folder = await pickFolder(app, folderRef, vscode.l10n.t('Add the token to which folder?'));
  if (!folder) return undefined;
  const scripted = entry !== undefined;
  if (!entry) {
    const w = await wizard(app, folder);
    if ('addTo' in w) return await addTargets(app, folder, w.addTo, w.targets);
    entry = w.entry;
    validateToken(entry);
  }
  const file = configPathOf(folder.path);
  const text = insertToken(await readText(app, folder.path), entry, path.join('.vscode', 'cf-rotate.json'));
  await writeConfig(app, folder, text);
  const token = validateToken(entry);
  app.logger.info(`Added "${token.name}" (${token.kind}) to ${file}.`);
  if (!scripted) {
    notifyInfo(app, vscode.l10n.t('Added "{0}" to .vscode/cf-rotate.json. Its first rotation writes {1}.', token.name, token.targets.map(targetLabel).join(', ')), [
      { title: vscode.l10n.t('Rotate Now'), run: () => vscode.commands.executeCommand(COMMANDS.rotate, { name: token.name, folder: folder.path }) },
      { title: vscode.l10n.t('Open Configuration'), run: () => vscode.commands.executeCommand(COMMANDS.openConfig, { folder: folder.path }) },
    ]);
  }
  offerGitNotices(app, [{ folder: folder.path, token }]);
  return { folder: folder.path, name: token.name };
}

/** The wizard picked a credential an entry already rotates: add the new targets to that entry. */
async function addTargets(app: App, folder: FolderInfo, name: string, targets: Record<string, unknown>[]): Promise<{ folder: string; name: string; addedTargets: number }> {
  const text = await readText(app, folder.path);
  if (text === undefined) throw new CfRotateError('not-found', vscode.l10n.t('{0} no longer exists.', configPathOf(folder.path)), { hint: vscode.l10n.t('Refresh the view and try again.') });
  await writeConfig(app, folder, addTargetsText(text, name, targets, path.join('.vscode', 'cf-rotate.json')));
  const where = targets.map((t) => `${String(t.file)} › ${String(t.key)}`).join(', ');
  app.logger.info(`Added ${where} to "${name}" in ${configPathOf(folder.path)}.`);
  notifyInfo(app, vscode.l10n.t('Added {0} to "{1}" in .vscode/cf-rotate.json. Its next rotation writes there too.', where, name), [
    { title: vscode.l10n.t('Open Configuration'), run: () => vscode.commands.executeCommand(COMMANDS.openConfig, { folder: folder.path }) },
  ]);
  return { folder: folder.path, name, addedTargets: targets.length };
}

// ----------------------------------------------------------------------------- removeToken

async function removeToken(app: App, raw: unknown): Promise<{ folder: string; name: string; removed: boolean } | undefined> {
  const args = parseArg(removeTokenArgsSchema, raw, COMMANDS.removeToken);
  ensureTrusted();
  const rt = await resolveToken(app, args, vscode.l10n.t('Select the token to remove from cf-rotate.json'));
  if (!rt) return undefined;
  const { folder, token } = rt;
  if (args?.confirm !== false && args?.skipConfirm !== true) {
    const ok = await confirmModal(
      vscode.l10n.t('Remove "{0}" from cf-rotate.json?', token.name),
      vscode.l10n.t('Only the configuration entry is removed: the credential stays valid at Cloudflare and the .env files are not changed.'),
      vscode.l10n.t('Remove'),
    );
    if (!ok) return { folder: folder.path, name: token.name, removed: false };
  }
  const file = configPathOf(folder.path);
  const text = await readText(app, folder.path);
  if (text === undefined) throw new CfRotateError('not-found', vscode.l10n.t('{0} no longer exists.', file), { hint: vscode.l10n.t('Refresh the view.') });
  await writeConfig(app, folder, removeTokenText(text, token.name, path.join('.vscode', 'cf-rotate.json')));
  notifyInfo(app, vscode.l10n.t('Removed "{0}" from cf-rotate.json.', token.name));
  return { folder: folder.path, name: token.name, removed: true };
}

export function registerConfigCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.addToken, (arg: unknown) => guarded(app, vscode.l10n.t('Add token failed'), () => addToken(app, arg))),
    app.registerCommand(COMMANDS.removeToken, (arg: unknown) => guarded(app, vscode.l10n.t('Remove token failed'), () => removeToken(app, arg))),
    app.registerCommand(COMMANDS.openConfig, (arg: unknown) => guarded(app, vscode.l10n.t('Open configuration failed'), () => openConfig(app, arg))),
  ];
}
