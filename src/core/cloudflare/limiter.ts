/**
 * Client-side rate limiter for the Cloudflare API: at most `limit` requests in any
 * sliding window of `windowMs` (Cloudflare: 1,200 per 5 minutes per user), at most
 * `maxConcurrent` in flight, and a server-driven pause when Cloudflare says so
 * (`Ratelimit: "default";r=0;t=…`, or the older `x-ratelimit-remaining: 0`, or a 429 with `retry-after`).
 *
 * Precision: a request occupies a window slot from the moment it is admitted until
 * `windowMs` after its response arrived. The server counted it at some instant between
 * those two, so the server can never see more than `limit` requests in any of its windows
 * (sliding or fixed), whatever the latency, yet no slot is held for longer than the window
 * plus one round trip (plus `marginMs`, default 10 ms, against clock granularity).
 *
 * Every attempt (retries included) must acquire a permit. Limiters are shared per budget
 * through `sharedRateLimiter` (keyed by hashes, never by the secret): every client of one admin
 * credential (its profile, whatever token value it holds now) and every client of one user
 * (a Global API key's email) share one limiter (`budgetKeys`).
 */
import { createHash } from 'node:crypto';
import { CfRotateError } from '../errors';
import { systemClock, type Clock } from '../ports';
import type { AdminCredential } from './types';

export const DEFAULT_RATE_LIMIT = 1200;
export const DEFAULT_RATE_WINDOW_MS = 300_000;
export const DEFAULT_MAX_CONCURRENT = 8;

export interface RateLimiterOptions {
  /** Requests admitted per window (default 1200). */
  limit?: number;
  /** Window length in ms (default 300 000). */
  windowMs?: number;
  /** Requests in flight at once (default 8). */
  maxConcurrent?: number;
  /** Extra time a slot stays occupied after its window (default 10 ms). */
  marginMs?: number;
  clock?: Clock;
}

export interface Permit {
  /** Call exactly once when the response (or the failure) is in. Idempotent. */
  release(): void;
}

/** What a response told us about the server's budget. */
export interface ServerRateInfo {
  status: number;
  /** Requests remaining: `r` of `Ratelimit`, else `x-ratelimit-remaining`. */
  remaining?: number | undefined;
  /** `retry-after` in ms. */
  retryAfterMs?: number | undefined;
  /** Until the window resets, in ms: `t` of `Ratelimit`, else `x-ratelimit-reset`. */
  resetMs?: number | undefined;
}

export interface RateLimiterStats {
  admitted: number;
  inFlight: number;
  inWindow: number;
  waiting: number;
  blockedUntil: number;
}

interface Waiter {
  resolve: (p: Permit) => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  readonly maxConcurrent: number;
  readonly marginMs: number;
  private readonly clock: Clock;
  private inFlight = 0;
  /** Completion times (ascending) of requests still inside the window. */
  private completions: number[] = [];
  private head = 0;
  private blockedUntil = 0;
  private readonly queue: Waiter[] = [];
  private timerAt: number | undefined;
  private admitted = 0;

  constructor(opts: RateLimiterOptions = {}) {
    this.limit = positiveInt(opts.limit ?? DEFAULT_RATE_LIMIT, 'limit');
    this.windowMs = positiveInt(opts.windowMs ?? DEFAULT_RATE_WINDOW_MS, 'windowMs');
    this.maxConcurrent = positiveInt(opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT, 'maxConcurrent');
    this.marginMs = Math.max(0, opts.marginMs ?? 10);
    this.clock = opts.clock ?? systemClock;
  }

  /** Wait for a slot. Rejects with the signal's reason if aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = (): void => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Feed back what a response said about the server-side budget. */
  observe(info: ServerRateInfo): void {
    const now = this.clock.now();
    let until = 0;
    if (info.status === 429) {
      const wait = info.retryAfterMs ?? info.resetMs ?? this.windowMs;
      until = now + wait;
    } else if (info.remaining !== undefined && info.remaining <= 0) {
      const wait = info.retryAfterMs ?? info.resetMs;
      if (wait !== undefined) until = now + wait;
      else {
        // The server says the budget is spent but not until when: wait for our oldest slot.
        this.prune(now);
        const oldest = this.completions[this.head];
        until = oldest !== undefined ? oldest + this.windowMs + this.marginMs : now + this.windowMs;
      }
    }
    if (until > this.blockedUntil) {
      this.blockedUntil = until;
      if (this.queue.length > 0) this.schedule(until);
    }
  }

  /** Time until which the server told us to stop sending (epoch ms; 0 = not blocked). */
  get pausedUntil(): number {
    return this.blockedUntil;
  }

  stats(): RateLimiterStats {
    this.prune(this.clock.now());
    return {
      admitted: this.admitted,
      inFlight: this.inFlight,
      inWindow: this.inFlight + this.completions.length - this.head,
      waiting: this.queue.length,
      blockedUntil: this.blockedUntil,
    };
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs - this.marginMs;
    while (this.head < this.completions.length && (this.completions[this.head] as number) <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.completions.length) {
      this.completions = this.completions.slice(this.head);
      this.head = 0;
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const now = this.clock.now();
      if (now < this.blockedUntil) {
        this.schedule(this.blockedUntil);
        return;
      }
      if (this.inFlight >= this.maxConcurrent) return; // a release pumps again
      this.prune(now);
      const completed = this.completions.length - this.head;
      if (this.inFlight + completed >= this.limit) {
        // Full: the next slot frees when the oldest completion leaves the window, or
        // (if every slot is in flight) when a request completes — release() pumps.
        if (completed > 0) this.schedule((this.completions[this.head] as number) + this.windowMs + this.marginMs);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      this.inFlight++;
      this.admitted++;
      waiter.resolve(this.makePermit());
    }
  }

  private makePermit(): Permit {
    let released = false;
    return {
      release: (): void => {
        if (released) return;
        released = true;
        this.inFlight--;
        const now = this.clock.now();
        const last = this.completions[this.completions.length - 1];
        this.completions.push(last !== undefined && last > now ? last : now);
        this.pump();
      },
    };
  }

  private schedule(at: number): void {
    if (this.timerAt !== undefined && this.timerAt <= at) return;
    this.timerAt = at;
    const delay = Math.max(0, at - this.clock.now());
    this.clock.sleep(delay).then(
      () => {
        if (this.timerAt === at) this.timerAt = undefined;
        this.pump();
      },
      () => {
        if (this.timerAt === at) this.timerAt = undefined;
        this.pump();
      },
    );
  }
}

function positiveInt(n: number, name: string): number {
  // l10n-exempt: the limiter options come from code only (tests, bench, simulator)
  if (!Number.isFinite(n) || n < 1) throw new CfRotateError('config', `Rate limiter ${name} must be a positive number (got ${String(n)}).`);
  return Math.floor(n);
}

/**
 * A short, non-reversible identifier of a credential's rate-limit budget (for keys and logs): the
 * first of its `budgetKeys` without a profile.
 */
export function credentialFingerprint(credential: AdminCredential): string {
  return budgetKeys(credential)[0] as string;
}

/**
 * The identities of the budget a credential draws on, most telling first, each a short hash.
 *
 * Cloudflare counts 1,200 requests / 5 min per **user**, across the dashboard, Global API key
 * and API tokens (notes A7). The client can tell the user only of a Global API key (its email):
 * a credential that holds one (alone, or beside an API token of the same profile) is keyed by that
 * email, so every profile and client of that user share one budget. Nothing in an API token or its
 * verify answer names its user (GET /user needs "User Details Read"; account-owned tokens have no
 * user at all), so a token is keyed by the admin credential it is: its profile, which stays the same
 * credential when its token is rolled or replaced (the new value draws on the requests the old one
 * made), and its value, which ties every profile holding the same token together. Two tokens of one
 * user in two profiles still get two budgets: the server's 429 (honoured by every limiter) covers that.
 */
export function budgetKeys(credential: AdminCredential, profile?: string): string[] {
  const key = credential.type === 'global-key' ? credential : credential.globalKey;
  const material: string[] = [];
  if (key) material.push(`user\u0000${key.email.trim().toLowerCase()}`);
  if (profile !== undefined) material.push(`profile\u0000${profile}`);
  if (credential.type === 'api-token') material.push(`token\u0000${credential.token}`);
  return material.map((m) => createHash('sha256').update(m).digest('hex').slice(0, 16));
}

const registry = new Map<string, RateLimiter>();

/**
 * The limiter shared by every client of one rate-limit budget against one API base URL: the first
 * of the credential's `budgetKeys` that already has a limiter lends it to the others (so a rolled
 * admin token keeps its profile's budget, and a profile that gains a Global API key joins its
 * user's). Options apply only when the limiter is first created.
 */
export function sharedRateLimiter(baseUrl: string, credential: AdminCredential, opts?: RateLimiterOptions, profile?: string): RateLimiter {
  const base = baseUrl.replace(/\/+$/, '');
  const keys = budgetKeys(credential, profile).map((k) => `${base}#${k}`);
  let limiter: RateLimiter | undefined;
  for (const k of keys) limiter ??= registry.get(k);
  limiter ??= new RateLimiter(opts);
  for (const k of keys) if (!registry.has(k)) registry.set(k, limiter);
  return limiter;
}

/** For tests: forget every shared limiter. */
export function resetSharedRateLimiters(): void {
  registry.clear();
}
