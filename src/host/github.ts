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

/** `p`, or a rejection with `timedOut(seconds)` as its message once `ms` have passed. */
function within<T>(p: Thenable<T>, ms: number, timedOut: (seconds: number) => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(timedOut(Math.round(ms / 1000)))), ms);
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
    if (stored !== undefined) return new (actions().GitHubClient)({ ...common, token: stored, source: vscode.l10n.t('the token stored with "Set GitHub Token…"') });
    /** Why VS Code's GitHub sign-in gave no token (its error's message), if it failed. */
    let failure: string | undefined;
    if (baseUrl === DEFAULT_GITHUB_API_URL) {
      try {
        const session = await within(
          vscode.authentication.getSession('github', ['repo'], o.interactive ? { createIfNone: true } : { silent: true }),
          o.interactive ? 180_000 : 10_000,
          (s) => vscode.l10n.t('The GitHub sign-in did not answer within {0} s', s),
        );
        if (session) {
          registerSecret(session.accessToken);
          return new (actions().GitHubClient)({ ...common, token: session.accessToken, source: vscode.l10n.t('the GitHub sign-in of {0}', session.account.label) });
        }
      } catch (e) {
        failure = toCfRotateError(e).message;
        this.logger.warn(`No GitHub session (VS Code's GitHub sign-in: ${failure}).`);
      }
    }
    const message =
      baseUrl !== DEFAULT_GITHUB_API_URL
        ? vscode.l10n.t('No GitHub token is available to write GitHub Actions secrets (cfRotate.githubApiUrl is {0}: VS Code\'s GitHub sign-in covers github.com only).', baseUrl)
        : failure !== undefined
          ? vscode.l10n.t('No GitHub token is available to write GitHub Actions secrets (VS Code\'s GitHub sign-in: {0}).', failure)
          : vscode.l10n.t('No GitHub token is available to write GitHub Actions secrets.');
    throw new CfRotateError('credential-missing', message, {
      hint:
        baseUrl === DEFAULT_GITHUB_API_URL
          ? vscode.l10n.t('Sign in to GitHub in VS Code (Accounts menu), or run "Cloudflare Rotate: Set GitHub Token…".')
          : vscode.l10n.t('Run "Cloudflare Rotate: Set GitHub Token…" with a token of that GitHub server.'),
    });
  }
}
