/** setCredential, clearCredential, verifyCredential: admin credentials per profile in SecretStorage. */
import * as vscode from 'vscode';
import type { AdminCredential } from '../core/cloudflare/types';
import { credentialFromArg, credentialSchema, PROFILE_NAME, registerCredential } from '../core/credentials';
import { toCfRotateError, type CfRotateError, type ErrorKind } from '../core/errors';
import { missingCredential } from '../host/services';
import { COMMANDS, GITHUB_TOKEN_SECRET_KEY } from '../constants';
import { registerSecret } from '../core/redact';
import { GITHUB_TOKEN_FORMAT } from '../host/github';
import { cancelled, confirmModal, guarded, notifyError, notifyInfo, type App } from './app';
import { credentialArgSchema, credentialPromptArgsSchema, isRecord, parseArg, profileArgsSchema, setGitHubTokenArgsSchema, verifyFlagSchema } from './schemas';

export interface SetCredentialResult {
  profile: string;
  stored: boolean;
  verified: boolean;
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

function validateSecret(kind: 'token' | 'key', value: string): string | undefined {
  const candidate = kind === 'token' ? { type: 'api-token', token: value.trim() } : { type: 'global-key', email: 'a@b.c', key: value.trim() };
  return credentialSchema.safeParse(candidate).success ? undefined : kind === 'token' ? 'This does not look like a Cloudflare API token.' : 'This does not look like a Global API key (37 hex characters).';
}

async function askCredential(profile: string): Promise<AdminCredential> {
  const scheme = await vscode.window.showQuickPick(
    [
      { label: 'API token', description: 'recommended', detail: 'A token with the permissions the rotations need (e.g. "Account API Tokens Write", "Access: Service Tokens Write").', value: 'token' as const },
      { label: 'Email + Global API key', description: 'legacy', detail: 'Full access to everything your user can do. Prefer an API token.', value: 'key' as const },
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

async function verify(app: App, credential: AdminCredential, profile: string): Promise<{ ok: true; detail: string } | { ok: false; error: CfRotateError }> {
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking the Cloudflare credential for "${profile}"…` }, () =>
      app.newClient(credential, profile).verifyCredential(),
    );
    return { ok: true, detail: r.status ? `token ${r.status}` : r.email ? `user ${r.email}` : 'valid' };
  } catch (e) {
    return { ok: false, error: toCfRotateError(e) };
  }
}

/**
 * Store a credential, verified first. With a `{profile, apiToken}` / `{profile, email, apiKey}`
 * argument nothing is asked (`verify: false` skips the API check).
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
    const v = await verify(app, credential, profile);
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
      app.logger.info(`Verified the credential for profile "${profile}" (${v.detail}).`);
    }
  }
  await app.credentials.set(profile, credential);
  app.engine.resetClients();
  await app.view.rebuild();
  notifyInfo(app, `Saved the Cloudflare credential for profile "${profile}"${verified ? ' (verified)' : ' (not verified)'} in the secret storage.`);
  return { profile, stored: true, verified };
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
  const v = await verify(app, credential, profile);
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

