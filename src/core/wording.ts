/**
 * How a message names the next step: the CLI says `cf-rotate resume`, the extension says
 * "Cloudflare Rotate: Resume Interrupted Rotation…". Each host sets its wording once at start
 * (the CLI and the extension are separate bundles); the default names both, for other callers.
 */
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
}

export function envSuffix(profile: string): string {
  return profile === 'default' ? '' : `_${profile.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export const cliWording: Wording = {
  resume: () => 'run "cf-rotate resume"',
  resumeOverwrite: () => 'run "cf-rotate resume --overwrite-conflicts"',
  setCredential: (p) => `set CLOUDFLARE_API_TOKEN${envSuffix(p)} (or CLOUDFLARE_EMAIL${envSuffix(p)} + CLOUDFLARE_API_KEY${envSuffix(p)})`,
  discard: (n) => `"cf-rotate discard ${n}"`,
  openConfig: () => 'cf-rotate validate shows every problem',
  rotateAdmin: () => 'rotate it with the credential of another profile (the new value must then replace CLOUDFLARE_API_TOKEN wherever it is kept)',
  setGitHubToken: () => 'set GH_TOKEN (or GITHUB_TOKEN) to a GitHub token allowed to write the Actions secrets',
};

export const editorWording: Wording = {
  resume: () => 'run "Cloudflare Rotate: Resume Interrupted Rotation…"',
  resumeOverwrite: () => 'run "Cloudflare Rotate: Resume Interrupted Rotation…" and choose Overwrite',
  setCredential: (p) => `run "Cloudflare Rotate: Set Credential…" for profile "${p}"`,
  discard: () => 'Discard it ("Cloudflare Rotate: Resume Interrupted Rotation…" › Discard)',
  openConfig: () => '"Cloudflare Rotate: Open Configuration"; the Tokens view lists every problem',
  rotateAdmin: () => 'use "Cloudflare Rotate: Rotate Admin Credential…", which stores the new value as the credential, or rotate it with the credential of another profile',
  setGitHubToken: () => 'sign in to GitHub in VS Code (Accounts menu), or run "Cloudflare Rotate: Set GitHub Token…"',
};

const bothWording: Wording = {
  resume: () => `${editorWording.resume()} (CLI: cf-rotate resume)`,
  resumeOverwrite: () => `${editorWording.resumeOverwrite()} (CLI: cf-rotate resume --overwrite-conflicts)`,
  setCredential: (p) => `${editorWording.setCredential(p)} (CLI: ${cliWording.setCredential(p)})`,
  discard: (n) => `${editorWording.discard(n)} (CLI: ${cliWording.discard(n)})`,
  openConfig: () => editorWording.openConfig(),
  rotateAdmin: () => editorWording.rotateAdmin(),
  setGitHubToken: () => `${editorWording.setGitHubToken()} (CLI: ${cliWording.setGitHubToken()})`,
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
