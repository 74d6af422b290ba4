/**
 * How a message names the next step: the CLI says `cf-rotate resume`, the extension says
 * "Cloudflare Rotate: Resume Interrupted Rotation…". Each host sets its wording once at start
 * (the CLI and the extension are separate bundles); the default names both, for other callers.
 */
import * as l10n from '@vscode/l10n';
import { envSuffix } from './envCredentials';

export interface Wording {
  /** "run … to finish it" */
  resume(): string;
  /** Resume, overwriting targets that changed. */
  resumeOverwrite(): string;
  /** Set / fix the admin credential of a profile. */
  setCredential(profile: string): string;
  /** Forget an interrupted rotation of `name`. */
  discard(name: string): string;
  /** Where the configuration's problems are shown ("cf-rotate validate shows every problem"). */
  openConfig(): string;
  /** Rotate the admin credential itself. */
  rotateAdmin(): string;
  /** Provide (or replace) the GitHub token that writes Actions secrets. */
  setGitHubToken(): string;
  /** Finish here a rotation (or a target's write) held by a process this machine cannot check. */
  takeOver(): string;
}

export const cliWording: Wording = {
  resume: () => 'run "cf-rotate resume"',
  resumeOverwrite: () => 'run "cf-rotate resume --overwrite-conflicts"',
  setCredential: (p) => `set CLOUDFLARE_API_TOKEN${envSuffix(p)} (or CLOUDFLARE_EMAIL${envSuffix(p)} + CLOUDFLARE_API_KEY${envSuffix(p)})`,
  discard: (n) => `"cf-rotate discard ${n}"`,
  openConfig: () => 'cf-rotate validate shows every problem',
  rotateAdmin: () => 'rotate it with the credential of another profile (the new value must then replace CLOUDFLARE_API_TOKEN wherever it is kept)',
  setGitHubToken: () => 'set GH_TOKEN (or GITHUB_TOKEN) to a GitHub token allowed to write the Actions secrets',
  takeOver: () => 'run "cf-rotate resume --take-over"',
};

/** The extension's wording: localised (the command titles inside are those of package.nls.json in English). */
export const editorWording: Wording = {
  resume: () => l10n.t('run "Cloudflare Rotate: Resume Interrupted Rotation…"'),
  resumeOverwrite: () => l10n.t('run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Overwrite'),
  setCredential: (p) => l10n.t('run "Cloudflare Rotate: Set Credential…" for profile "{0}"', p),
  discard: () => l10n.t('Discard it ("Cloudflare Rotate: Resume Interrupted Rotation…" › Discard)'),
  openConfig: () => l10n.t('"Cloudflare Rotate: Open Configuration"; the Tokens view lists every problem'),
  rotateAdmin: () => l10n.t('use "Cloudflare Rotate: Rotate Admin Credential…", which stores the new value as the credential, or rotate it with the credential of another profile'),
  setGitHubToken: () => l10n.t('sign in to GitHub in VS Code (Accounts menu), or run "Cloudflare Rotate: Set GitHub Token…"'),
  takeOver: () => l10n.t('run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Take Over'),
};

/** The editor's wording, then the CLI's (English, a command line) in parentheses. */
const bothWording: Wording = {
  resume: () => l10n.t('{0} (CLI: {1})', editorWording.resume(), 'cf-rotate resume'),
  resumeOverwrite: () => l10n.t('{0} (CLI: {1})', editorWording.resumeOverwrite(), 'cf-rotate resume --overwrite-conflicts'),
  setCredential: (p) => l10n.t('{0} (CLI: {1})', editorWording.setCredential(p), cliWording.setCredential(p)),
  discard: (n) => l10n.t('{0} (CLI: {1})', editorWording.discard(n), cliWording.discard(n)),
  openConfig: () => editorWording.openConfig(),
  rotateAdmin: () => editorWording.rotateAdmin(),
  setGitHubToken: () => l10n.t('{0} (CLI: {1})', editorWording.setGitHubToken(), cliWording.setGitHubToken()),
  takeOver: () => l10n.t('{0} (CLI: {1})', editorWording.takeOver(), 'cf-rotate resume --take-over'),
};

let current: Wording = bothWording;

export function useWording(w: Wording): void {
  current = w;
}

export function wording(): Wording {
  return current;
}

/** "Run x" from "run x". */
export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
