/**
 * The CLI's way to GitHub, for targets that are GitHub Actions secrets: the token in GH_TOKEN (else
 * GITHUB_TOKEN, as gh reads them; the action passes its `github-token` input as both), the API base
 * in GITHUB_API_URL (set by GitHub Actions runners; default https://api.github.com), through the
 * proxy the environment names for that host.
 */
import type { GitHubAccess } from '../core/engine/engine';
import { CfRotateError } from '../core/errors';
import { DEFAULT_GITHUB_API_URL, GitHubClient, validateGitHubApiUrl, type GitHubApi } from '../core/github/client';
import type { HttpTransport } from '../core/cloudflare/transport';
import type { Logger } from '../core/ports';
import { registerSecret } from '../core/redact';
import { VERSION } from '../core/version';
import { proxyTransportFromEnv } from './proxyEnv';

export interface CliGitHubOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  timeoutMs?: number | undefined;
  /** Where the proxy announcement goes (stderr). */
  say: (line: string) => void;
}

export function cliGitHubAccess(o: CliGitHubOptions): GitHubAccess {
  let client: GitHubApi | undefined;
  return {
    async client(): Promise<GitHubApi> {
      if (client) return client;
      const variable = o.env.GH_TOKEN ? 'GH_TOKEN' : o.env.GITHUB_TOKEN ? 'GITHUB_TOKEN' : undefined;
      const token = variable ? (o.env[variable] as string) : undefined;
      if (!token) {
        throw new CfRotateError('credential-missing', 'No GitHub token is set, so GitHub Actions secrets cannot be written.', {
          hint: 'Set GH_TOKEN (or GITHUB_TOKEN) to a token that may write the Actions secrets of the repositories in cf-rotate.json (fine-grained: "Secrets" and, for environments, "Environments" read and write; classic: the "repo" scope). In the GitHub Action, pass it as the input github-token.',
        });
      }
      registerSecret(token);
      const base = validateGitHubApiUrl(o.env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL, 'GITHUB_API_URL').toString().replace(/\/$/, '');
      const transport: HttpTransport | undefined = proxyTransportFromEnv(o.env, base, o.say);
      client = new GitHubClient({
        baseUrl: base,
        token,
        source: variable as string,
        logger: o.logger,
        userAgent: `cf-rotate-cli/${VERSION}`,
        ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
        ...(transport ? { transport } : {}),
      });
      return client;
    },
  };
}
