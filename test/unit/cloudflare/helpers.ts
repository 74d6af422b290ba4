/** Test helpers for the Cloudflare client tests: clocks, locating shared/, secret checks. */
import * as path from 'node:path';
import type { Clock } from '../../../src/core/ports';
import { findUp } from '../../harness/util';

/**
 * A manual clock: `sleep` resolves only when `advance` passes its deadline. Time moves
 * only through `advance`/`set`.
 */
export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== timer);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
  /** Move time forward, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    this.t = target;
    await flush();
  }
  pendingTimers(): number {
    return this.timers.length;
  }
}

/**
 * A clock on real time whose `sleep` returns at once but records the requested delay and
 * moves its own `now` forward by it (so backoff / retry-after waits cost nothing).
 */
export class InstantClock implements Clock {
  readonly sleeps: number[] = [];
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.offset += ms;
    return Promise.resolve();
  }
}

/** Let pending promise continuations run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The `shared` folder (beside the repository) that holds `cloudflare-openapi`. */
export function findSharedDir(): string {
  const openapi = findUp(path.join('shared', 'cloudflare-openapi'));
  if (!openapi) throw new Error(`shared/cloudflare-openapi not found above ${__dirname}`);
  return path.dirname(openapi);
}

/** Every place a secret could leak from an error. */
export function errorText(e: unknown): string {
  if (e === null || typeof e !== 'object') return String(e);
  const x = e as { message?: unknown; hint?: unknown; stack?: unknown };
  return [String(x.message ?? ''), String(x.hint ?? ''), String(x.stack ?? ''), JSON.stringify(e)].join('\n');
}

/** Throws if any of `secrets` occurs in `text`. */
export function assertNoSecrets(text: string, secrets: (string | undefined)[], where: string): void {
  for (const s of secrets) {
    if (!s) continue;
    if (text.includes(s)) throw new Error(`a secret (…${s.slice(-4)}) appears in ${where}`);
  }
}
