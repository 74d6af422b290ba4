/** The CLI's Cloudflare clients: one base URL, one transport (direct or a proxy), one user agent. */
import { CloudflareClient, DEFAULT_API_BASE_URL, validateApiBaseUrl } from '../core/cloudflare/client';
import { envSuffix } from '../core/envCredentials';
import type { HttpTransport } from '../core/cloudflare/transport';
import type { AdminCredential } from '../core/cloudflare/types';
import { systemClock, type Logger } from '../core/ports';
import { VERSION } from '../core/version';

export interface CliApiOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** --api-base; else $CLOUDFLARE_API_BASE_URL; else Cloudflare. */
  apiBase?: string | undefined;
  /** A proxy transport (./proxyEnv); default: Node's fetch. */
  transport?: HttpTransport | undefined;
  /** Per-request timeout, ms (default: the client's). */
  timeoutMs?: number | undefined;
}

/** The API base URL the CLI talks to (validated: https, or http to loopback), without a trailing slash. */
export function cliApiBase(o: Pick<CliApiOptions, 'env' | 'apiBase'>): string {
  return validateApiBaseUrl(o.apiBase ?? o.env.CLOUDFLARE_API_BASE_URL ?? DEFAULT_API_BASE_URL).toString().replace(/\/$/, '');
}

/**
 * Builds the client for a profile's credential. CLOUDFLARE_ACCOUNT_ID (…_<PROFILE> for other
 * profiles), when set, names the account that owns an account-owned admin token: its checks use
 * that account's verify route. Without it the client finds the account an account-owned token
 * sees (GET /accounts, notes A1).
 */
export function cliApiFactory(o: CliApiOptions): (credential: AdminCredential, profile: string) => CloudflareClient {
  const baseUrl = cliApiBase(o);
  return (credential, profile) => {
    const credentialAccountId = o.env[`CLOUDFLARE_ACCOUNT_ID${envSuffix(profile)}`]?.trim() || undefined;
    return new CloudflareClient({
      baseUrl,
      credential,
      logger: o.logger,
      clock: systemClock,
      userAgent: `cf-rotate-cli/${VERSION}`,
      profile,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.transport ? { transport: o.transport } : {}),
      ...(credentialAccountId ? { credentialAccountId } : {}),
    });
  };
}
