/** setCredential, clearCredential, verifyCredential: admin credentials per profile in SecretStorage. */
import * as vscode from 'vscode';
import { AccountChoiceNeeded } from '../core/cloudflare/client';
import { describeCredential, globalKeyOf, type AdminCredential } from '../core/cloudflare/types';
import { API_TOKEN_FORMAT, credentialFromArg, GLOBAL_KEY_FORMAT, PROFILE_NAME, registerCredential } from '../core/credentials';
import { CfRotateError, toCfRotateError, type ErrorKind } from '../core/errors';
import { missingCredential } from '../host/services';
import { COMMANDS, GITHUB_TOKEN_SECRET_KEY } from '../constants';
import { registerSecret } from '../core/redact';
import { GITHUB_TOKEN_FORMAT } from '../host/github';
import { cancelled, confirmModal, guarded, notifyError, notifyInfo, withProgressNotification, type App } from './app';
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

async function askProfile(app: App, preset: string | undefined): Promise<string> {
  if (preset !== undefined) return preset;
  const existing = await app.credentials.profiles().catch(() => [] as string[]);
  const profile = await vscode.window.showInputBox({
    title: 'Set Cloudflare Credential (1/3)',
    prompt: `Profile name: tokens in cf-rotate.json use "profile" (default "default").${existing.length ? ` Stored: ${existing.join(', ')}.` : ''}`,
    value: 'default',
    ignoreFocusOut: true,
    validateInput: (v) => (PROFILE_NAME.test(v) ? undefined : '1-64 characters: letters, digits, space, . _ - (starting with a letter or digit)'),
  });
  if (profile === undefined) throw cancelled();
  return profile;
}

/** The input box's check of a pasted value (today's formats, notes A2). Never quotes the value. */
function validateSecret(kind: 'token' | 'key', value: string): string | undefined {
  const v = value.trim();
  if (kind === 'token') return API_TOKEN_FORMAT.test(v) ? undefined : 'This does not look like a Cloudflare API token: 40–80 letters, digits, _ or - (today\'s tokens start with cfut_ or cfat_).';
  return GLOBAL_KEY_FORMAT.test(v) ? undefined : 'This does not look like a Global API key: cfk_ followed by letters and digits, or an older key of 37–45 lowercase hex characters.';
}

async function askCredential(profile: string): Promise<AdminCredential> {
  const scheme = await vscode.window.showQuickPick(
    [
      { label: 'API token', description: 'recommended', detail: 'A user-owned (cfut_…) or account-owned (cfat_…) token with the permissions the rotations need (e.g. "Account API Tokens Write", "Access: Service Tokens Write").', value: 'token' as const },
      { label: 'Email + Global API key', description: 'legacy', detail: 'Full access to everything your user can do. Zone-level Access service tokens accept only this; elsewhere prefer an API token (a profile can hold both).', value: 'key' as const },
    ],
    { title: `Set Cloudflare Credential for "${profile}" (2/3)`, placeHolder: 'How does cf-rotate authenticate to Cloudflare?', ignoreFocusOut: true },
  );
  if (!scheme) throw cancelled();
  if (scheme.value === 'token') {
    const token = await vscode.window.showInputBox({
      title: `Set Cloudflare Credential for "${profile}" (3/3)`,
      prompt: 'Cloudflare API token used to rotate your credentials (stored in the OS secret storage, never in files).',
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => validateSecret('token', v),
    });
    if (token === undefined) throw cancelled();
    return { type: 'api-token', token: token.trim() };
  }
  const email = await vscode.window.showInputBox({
    title: `Set Cloudflare Credential for "${profile}" (3/4)`,
    prompt: 'Email address of your Cloudflare user',
    ignoreFocusOut: true,
    validateInput: (v) => (/^[^\s@]+@[^\s@]+$/.test(v.trim()) ? undefined : 'Enter an email address.'),
  });
  if (email === undefined) throw cancelled();
  const key = await vscode.window.showInputBox({
    title: `Set Cloudflare Credential for "${profile}" (4/4)`,
    prompt: 'Global API key (My Profile › API Tokens › Global API Key)',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => validateSecret('key', v),
  });
  if (key === undefined) throw cancelled();
  return { type: 'global-key', email: email.trim(), key: key.trim() };
}

/** "token active", "account-owned token of account …, active", "user a@b.c", joined. */
function describeCheck(r: { status?: string | undefined; email?: string | undefined; accountId?: string | undefined }): string {
  const parts: string[] = [];
  if (r.status) parts.push(r.accountId ? `account-owned token of account ${r.accountId}, ${r.status}` : `token ${r.status}`);
  if (r.email) parts.push(`user ${r.email}`);
  return parts.join('; ') || 'valid';
}

/**
 * Check a credential against Cloudflare, every scheme it holds. An API token the user verify
 * route does not know (401) is looked for in the accounts it can see (GET /accounts, notes A1):
 * the client does that when there is one; when there are several, the user picks the owner
 * (interactive) or the argument must name it (`accountId`). Returns the credential with the
 * account that accepted it.
 */
async function verify(
  app: App,
  credential: AdminCredential,
  profile: string,
  interactive: boolean,
): Promise<{ ok: true; detail: string; credential: AdminCredential } | { ok: false; error: CfRotateError }> {
  const check = async (c: AdminCredential): Promise<{ detail: string; credential: AdminCredential }> => {
    // Cancellable: Cancel stops the check (nothing is saved).
    const r = await withProgressNotification(`Checking the Cloudflare credential for "${profile}"…`, (_report, signal) => app.newClient(c, profile).verifyCredential({ schemes: 'all', signal }));
    const found = c.type === 'api-token' && r.accountId !== undefined ? { ...c, accountId: r.accountId } : c;
    return { detail: describeCheck(r), credential: found };
  };
  try {
    return { ok: true, ...(await check(credential)) };
  } catch (e) {
    if (e instanceof AccountChoiceNeeded && credential.type === 'api-token') {
      if (!interactive) {
        return { ok: false, error: new CfRotateError('auth', e.message, { hint: `Pass "accountId" (the account that owns the token) with the token. ${e.hint ?? ''}`.trim(), status: 401 }) };
      }
      const pick = await vscode.window.showQuickPick(
        e.accounts.map((a) => ({ label: a.name, detail: a.id, id: a.id })),
        { title: `Set Cloudflare Credential for "${profile}"`, placeHolder: 'The token is account-owned: which account owns it?', ignoreFocusOut: true },
      );
      if (!pick) throw cancelled();
      try {
        return { ok: true, ...(await check({ ...credential, accountId: pick.id })) };
      } catch (e2) {
        if (toCfRotateError(e2).kind === 'cancelled') throw cancelled();
        return { ok: false, error: toCfRotateError(e2) };
      }
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
        label: 'Keep both',
        description: 'recommended',
        detail: 'Each operation uses the scheme Cloudflare accepts for it: the API token wherever it works, email + Global API key where only that works (zone-level Access service tokens).',
        keep: true,
      },
      { label: 'Replace', detail: `Store only the new ${entered}; the stored ${stored} is removed from this profile.`, keep: false },
    ],
    { title: `Set Cloudflare Credential for "${profile}"`, placeHolder: `Profile "${profile}" also holds ${stored === 'API token' ? 'an API token' : stored}. Keep it beside the new ${entered}?`, ignoreFocusOut: true },
  );
  if (!choice) throw cancelled();
  return choice.keep;
}

/**
 * Store a credential, verified first. With a `{profile, apiToken, accountId?}` /
 * `{profile, email, apiKey}` / `{profile, apiToken, email, apiKey}` argument nothing is asked
 * (`verify: false` skips the API check) and the argument replaces what the profile held.
 */
async function setCredential(app: App, raw: unknown): Promise<SetCredentialResult | undefined> {
  let profile: string;
  let credential: AdminCredential;
  let shouldVerify = true;
  const scripted = isRecord(raw) && ('apiToken' in raw || 'apiKey' in raw);
  if (scripted) {
    const parsed = parseArg(credentialArgSchema, raw, COMMANDS.setCredential);
    if (!parsed) return undefined;
    ({ profile, credential } = credentialFromArg(parsed));
    shouldVerify = parseArg(verifyFlagSchema, raw, COMMANDS.setCredential)?.verify ?? true;
  } else {
    const args = parseArg(credentialPromptArgsSchema, raw, COMMANDS.setCredential);
    profile = await askProfile(app, args?.profile);
    credential = await askCredential(profile);
  }
  registerCredential(credential);
  let verified = false;
  if (shouldVerify) {
    const v = await verify(app, credential, profile, !scripted);
    if (!v.ok) {
      const err = v.error;
      const result: SetCredentialResult = { profile, stored: false, verified: false, error: { kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
      if (scripted || !TRANSIENT.has(err.kind)) {
        notifyError(app, `The credential for profile "${profile}" was not saved`, err);
        return result;
      }
      const save = await confirmModal(
        `Cloudflare could not check the credential for "${profile}".`,
        `${err.userMessage}\n\nSave it anyway? It is checked again at the first rotation.`,
        'Save Anyway',
      );
      if (!save) return result;
    } else {
      verified = true;
      credential = v.credential;
      app.logger.info(`Verified the credential for profile "${profile}" (${v.detail}).`);
    }
  }
  if (!scripted) credential = await keepOtherScheme(profile, await app.credentials.get(profile).catch(() => undefined), credential);
  await app.credentials.set(profile, credential);
  app.engine.resetClients();
  await app.view.rebuild();
  const accountId = credential.type === 'api-token' ? credential.accountId : undefined;
  notifyInfo(
    app,
    `Saved the Cloudflare credential for profile "${profile}"${verified ? ' (verified)' : ' (not verified)'} in the secret storage: ${describeCredential(credential)}${accountId ? ` (account-owned token of account ${accountId})` : ''}.`,
  );
  return { profile, stored: true, verified, ...(accountId ? { accountId } : {}) };
}

async function pickProfile(app: App, preset: string | undefined, placeHolder: string): Promise<string | undefined> {
  if (preset !== undefined) return preset;
  const profiles = await app.credentials.profiles();
  if (profiles.length === 0) {
    notifyInfo(app, 'No Cloudflare credential is stored.', [{ title: 'Set Credential', run: () => vscode.commands.executeCommand(COMMANDS.setCredential) }]);
    return undefined;
  }
  if (profiles.length === 1) return profiles[0];
  return vscode.window.showQuickPick(profiles, { placeHolder, ignoreFocusOut: true });
}

async function clearCredential(app: App, raw: unknown): Promise<{ profile: string; cleared: boolean } | undefined> {
  const args = parseArg(profileArgsSchema, raw, COMMANDS.clearCredential);
  const profile = await pickProfile(app, args?.profile, 'Select the credential to delete');
  if (profile === undefined) return undefined;
  if (args?.confirm !== false) {
    const ok = await confirmModal(
      `Delete the Cloudflare credential of profile "${profile}"?`,
      'It is removed from this machine\'s secret storage (the token itself stays valid at Cloudflare). Tokens of this profile cannot be rotated until you set a credential again.',
      'Delete',
    );
    if (!ok) return { profile, cleared: false };
  }
  await app.credentials.delete(profile);
  app.engine.resetClients();
  await app.view.rebuild();
  notifyInfo(app, `Deleted the Cloudflare credential of profile "${profile}".`);
  return { profile, cleared: true };
}

async function verifyCredential(app: App, raw: unknown): Promise<{ profile: string; ok: boolean; detail?: string; error?: { kind: ErrorKind; message: string; hint?: string } } | undefined> {
  const args = parseArg(profileArgsSchema, raw, COMMANDS.verifyCredential);
  const profile = await pickProfile(app, args?.profile, 'Select the credential to check');
  if (profile === undefined) return undefined;
  const credential = await app.credentials.get(profile);
  if (!credential) throw missingCredential(profile);
  const v = await verify(app, credential, profile, false);
  if (!v.ok) {
    notifyError(app, `The credential for profile "${profile}" does not work`, v.error);
    return { profile, ok: false, error: { kind: v.error.kind, message: v.error.message, ...(v.error.hint ? { hint: v.error.hint } : {}) } };
  }
  notifyInfo(app, `The Cloudflare credential for profile "${profile}" works (${v.detail}).`);
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
    notifyInfo(app, 'Deleted the stored GitHub token; GitHub Actions targets use your GitHub sign-in now, if there is one.');
    return { stored: false, cleared: true };
  }
  let token = args?.token;
  if (token === undefined) {
    const had = (await app.secrets.get(GITHUB_TOKEN_SECRET_KEY)) !== undefined;
    const entered = await vscode.window.showInputBox({
      title: 'Set GitHub Token',
      prompt: `A GitHub token that may write the Actions secrets of the repositories in cf-rotate.json ("Secrets" and, for environments, "Environments" read and write; or the "repo" scope). Stored in the OS secret storage.${had ? ' Leave empty to delete the stored token.' : ''}`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' && had) || GITHUB_TOKEN_FORMAT.test(v.trim()) ? undefined : 'This does not look like a GitHub token (20-255 characters, no spaces).',
    });
    if (entered === undefined) throw cancelled();
    if (entered.trim() === '') return setGitHubToken(app, { clear: true });
    token = entered.trim();
  }
  registerSecret(token);
  await app.secrets.store(GITHUB_TOKEN_SECRET_KEY, token);
  notifyInfo(app, 'Saved the GitHub token in the secret storage. Rotations check it against GitHub before anything is rotated.');
  return { stored: true };
}

export function registerCredentialCommands(app: App): vscode.Disposable[] {
  return [
    app.registerCommand(COMMANDS.setCredential, (arg: unknown) => guarded(app, 'Set credential failed', () => setCredential(app, arg))),
    app.registerCommand(COMMANDS.clearCredential, (arg: unknown) => guarded(app, 'Clear credential failed', () => clearCredential(app, arg))),
    app.registerCommand(COMMANDS.verifyCredential, (arg: unknown) => guarded(app, 'Verify credential failed', () => verifyCredential(app, arg))),
    app.registerCommand(COMMANDS.setGitHubToken, (arg: unknown) => guarded(app, 'Set GitHub token failed', () => setGitHubToken(app, arg))),
  ];
}

/** For the add-token wizard: run the interactive flow and return the stored profile. */
export async function setCredentialInteractive(app: App, profile?: string): Promise<string | undefined> {
  const r = await setCredential(app, profile !== undefined ? { profile } : undefined);
  if (!r?.stored) return undefined;
  return r.profile;
}

