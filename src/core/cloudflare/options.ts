/** The options of a Cloudflare client, their defaults, and which API base URLs are allowed. */
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import type { Clock, Logger } from '../ports';
import { VERSION } from '../version';
import type { RateLimiter, RateLimiterOptions } from './limiter';
import type { BackoffOptions } from './retry';
import type { HttpTransport } from './transport';
import type { AdminCredential } from './types';

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4';
export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_USER_AGENT = `cf-rotate/${VERSION}`;

export interface CloudflareClientOptions {
  baseUrl: string;
  credential: AdminCredential;
  logger?: Logger;
  clock?: Clock;
  transport?: HttpTransport;
  /** Default: the limiter shared by all clients of this credential (its profile, its user) and base URL. */
  limiter?: RateLimiter;
  /**
   * Options of the shared limiter when this client creates it (default 1200 / 300 000 ms,
   * 8 in flight). Set them to the account's real limit (e.g. a scaled simulator).
   */
  rateLimit?: RateLimiterOptions;
  /** Per attempt, covering the whole response (default 20 s). Uses real timers. */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  userAgent?: string;
  /**
   * Profile name: used in messages ("the admin credential for profile X…"), and the admin
   * credential's identity for the shared rate limiter (the same budget after its token is rolled).
   */
  profile?: string;
  /** The admin token is account-owned: verify it on this account's route. */
  credentialAccountId?: string;
  /** Backoff tuning (tests inject `random`). */
  backoff?: BackoffOptions;
  /** A 429 asking to wait longer than this is not waited for (default 300 s). */
  maxRetryAfterMs?: number;
}

/** Validate an API base URL: https, or http to a loopback host only. */
export function validateApiBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CfRotateError('config', l10n.t('The Cloudflare API base URL "{0}" is not a valid URL.', url), {
      hint: l10n.t('Use {0} (or remove the setting to use the default).', DEFAULT_API_BASE_URL),
    });
  }
  if (parsed.username || parsed.password) {
    throw new CfRotateError('config', l10n.t('The Cloudflare API base URL must not contain a user name or password.'), {
      hint: l10n.t('Remove the credentials from the URL; cf-rotate sends the admin credential in headers.'),
    });
  }
  if (parsed.search || parsed.hash) {
    throw new CfRotateError('config', l10n.t('The Cloudflare API base URL must not contain a query (?…) or a fragment (#…).'), { hint: l10n.t('Use {0}.', DEFAULT_API_BASE_URL) });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new CfRotateError(
    'config',
    l10n.t('The Cloudflare API base URL "{0}" is not allowed: only https, or http to a loopback address (127.0.0.0/8, ::1, localhost), is accepted.', parsed.origin),
    { hint: l10n.t('Use {0}, or an http://127.0.0.1 URL for a local simulator.', DEFAULT_API_BASE_URL) },
  );
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  // `localhost` by name only: `*.localhost` names go through DNS on some systems.
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (m) return m.slice(1).every((o) => Number(o) <= 255) && Number(m[1]) === 127;
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.exec(h);
  if (mapped) return (mapped[1] as string).startsWith('127.') || (mapped[1] as string).startsWith('7f');
  return false;
}

