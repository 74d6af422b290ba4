/**
 * The extension's way to GitHub, for targets that are GitHub Actions secrets: a token stored with
 * "Set GitHub Token…" (SecretStorage), else the user's GitHub sign-in
 * (`vscode.authentication.getSession('github', ['repo'])`). The API base comes from the user
 * setting cfRotate.githubApiUrl only; VS Code's GitHub sign-in is offered for github.com only.
 */
import * as vscode from 'vscode';
import type { GitHubAccess } from '../core/engine/engine';
import { CfRotateError, toCfRotateError } from '../core/errors';
import type { GitHubApi } from '../core/github/client';
import { DEFAULT_GITHUB_API_URL } from '../core/github/url';
import { actions } from '../lazy';
import type { Logger, SecretStore } from '../core/ports';
import { registerSecret } from '../core/redact';
import { GITHUB_TOKEN_SECRET_KEY, USER_AGENT } from '../constants';
import type { Settings } from './settings';

/** Printable ASCII without spaces, as GitHub's tokens are (ghp_…, github_pat_…, gho_…, ghs_…). */
export const GITHUB_TOKEN_FORMAT = /^[\x21-\x7e]{20,255}$/;

function within<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${Math.round(ms / 1000)} s`)), ms);
    Promise.resolve(p).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export class HostGitHubAccess implements GitHubAccess {
  constructor(
    private readonly secrets: SecretStore,
    private readonly settings: Settings,
    private readonly logger: Logger,
    private readonly timeoutMs: number | undefined,
  ) {}

  async storedToken(): Promise<string | undefined> {
    const t = await this.secrets.get(GITHUB_TOKEN_SECRET_KEY);
    if (t !== undefined) registerSecret(t);
    return t;
  }

  async client(o: { interactive: boolean }): Promise<GitHubApi> {
    const baseUrl = this.settings.githubApiUrl();
    const common = { baseUrl, logger: this.logger, userAgent: USER_AGENT, ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}) };
    const stored = await this.storedToken();
    if (stored !== undefined) return new (actions().GitHubClient)({ ...common, token: stored, source: 'the token stored with "Set GitHub Token…"' });
    let why = '';
    if (baseUrl === DEFAULT_GITHUB_API_URL) {
      try {
        const session = await within(
          vscode.authentication.getSession('github', ['repo'], o.interactive ? { createIfNone: true } : { silent: true }),
          o.interactive ? 180_000 : 10_000,
          'The GitHub sign-in',
        );
        if (session) {
          registerSecret(session.accessToken);
          return new (actions().GitHubClient)({ ...common, token: session.accessToken, source: `the GitHub sign-in of ${session.account.label}` });
        }
      } catch (e) {
        why = ` (VS Code's GitHub sign-in: ${toCfRotateError(e).message})`;
        this.logger.warn(`No GitHub session${why}.`);
      }
    } else {
      why = ` (cfRotate.githubApiUrl is ${baseUrl}: VS Code's GitHub sign-in covers github.com only)`;
    }
    throw new CfRotateError('credential-missing', `No GitHub token is available to write GitHub Actions secrets${why}.`, {
      hint: baseUrl === DEFAULT_GITHUB_API_URL ? 'Sign in to GitHub in VS Code (Accounts menu), or run "Cloudflare Rotate: Set GitHub Token…".' : 'Run "Cloudflare Rotate: Set GitHub Token…" with a token of that GitHub server.',
    });
  }
}
