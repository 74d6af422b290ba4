/**
 * Retry policy of the Cloudflare client.
 *
 *  - 429 (any method): Cloudflare did not process the request (notes A7: "a 429 on a mutation
 *    means it was not processed"); wait `retry-after` and retry. If the retries run out, the
 *    caller gets 'rate-limited' — never 'ambiguous': nothing happened.
 *  - 'network' (any method): the connection was never made; nothing happened; retry.
 *  - 'ambiguous' / 5xx: retried only for idempotent requests (GETs, MoQ token DELETE), after the
 *    5xx's `Retry-After` when it has one (RFC 9457 answers may carry it, notes A8), else backoff.
 *    A mutation (roll, rotate, PUT, POST) that may have been applied is NEVER repeated:
 *    repeating a roll would invalidate the value we may have just lost.
 *  - anything else (auth, permission, not-found, validation, contract): never retried.
 *
 * Every attempt goes through the rate limiter, so retries are counted too.
 */
import type { CfRotateError } from '../errors';

export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_MAX_MS = 15_000;

export interface RetryDecision {
  retry: boolean;
  /** How long to wait before the next attempt. */
  delayMs: number;
}

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Returns a number in [0, 1). Injected for deterministic tests. */
  random?: () => number;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const max = opts.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const random = opts.random ?? Math.random;
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * Decide whether attempt number `attempt` (0-based) that failed with `error` is retried.
 * `idempotent` is true for GETs and for operations that are safe to repeat (MoQ DELETE).
 */
export function retryDecision(
  error: CfRotateError,
  attempt: number,
  idempotent: boolean,
  maxRetries: number,
  backoff: BackoffOptions = {},
): RetryDecision {
  const no: RetryDecision = { retry: false, delayMs: 0 };
  if (attempt >= maxRetries) return no;
  switch (error.kind) {
    case 'rate-limited':
      return { retry: true, delayMs: error.retryAfterMs ?? backoffDelay(attempt, backoff) };
    case 'network':
      return { retry: true, delayMs: backoffDelay(attempt, backoff) };
    case 'server':
      return idempotent ? { retry: true, delayMs: error.retryAfterMs ?? backoffDelay(attempt, backoff) } : no;
    case 'ambiguous':
      return idempotent ? { retry: true, delayMs: backoffDelay(attempt, backoff) } : no;
    default:
      return no;
  }
}

/** `retry-after`: delta-seconds or an HTTP date. Returns ms, or undefined when absent/invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * `x-ratelimit-reset`: an RFC 1123 date (Cloudflare's limits docs, notes A7: e.g.
 * `Tue, 01 Jan 2030 00:05:00 GMT`). For robustness also a number: seconds until the reset,
 * or — if it looks like an epoch timestamp — the reset instant in epoch seconds. Returns ms
 * from now (0 for a date in the past), or undefined when absent or unreadable.
 */
export function parseRateLimitReset(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    if (n > 1_000_000_000) return Math.max(0, Math.ceil(n * 1000 - now));
    return Math.ceil(n * 1000);
  }
  // A date: only the HTTP-date forms (RFC 1123 / 850, asctime) and ISO 8601, which Date.parse reads.
  if (!/[A-Za-z]{3}|^\d{4}-\d{2}-\d{2}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * `Ratelimit` (the IETF rate-limit headers draft, which Cloudflare's API sends on every answer since
 * 2025-09: its limits page and changelog): a list of limit items, each a name with `r` (requests
 * remaining) and `t` (seconds until the window resets), e.g. `"default";r=50;t=30`. The most
 * constraining item counts: the fewest remaining (on a tie, the longest wait). Undefined when the
 * header is absent or has no readable item.
 */
export function parseRateLimitHeader(value: string | null): { remaining: number; resetMs: number } | undefined {
  if (value === null) return undefined;
  let best: { remaining: number; resetMs: number } | undefined;
  for (const item of value.split(',')) {
    const params = new Map<string, string>();
    for (const part of item.split(';').slice(1)) {
      const eq = part.indexOf('=');
      if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    const r = params.get('r');
    const t = params.get('t');
    if (r === undefined || !/^\d+$/.test(r)) continue;
    const remaining = Number(r);
    const resetMs = t !== undefined && /^\d+$/.test(t) ? Number(t) * 1000 : 0;
    if (!best || remaining < best.remaining || (remaining === best.remaining && resetMs > best.resetMs)) best = { remaining, resetMs };
  }
  return best;
}
