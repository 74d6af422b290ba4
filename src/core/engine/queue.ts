import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';

/** Serialises async work per key (one write queue per file), and bounds concurrency for batches. */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** Map `items` through `fn` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * At most `limit` holders at once. `acquire('first')` waits ahead of every `acquire('next')`: a
 * batch lets rotations that already hold a new secret (their verify) go before new ones start.
 * A wait ends with a 'cancelled' error when `signal` aborts first. Each release function works once.
 */
export class Slots {
  private held = 0;
  private readonly waiting: { first: Waiter[]; next: Waiter[] } = { first: [], next: [] };

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Slots: limit must be a positive integer, got ${limit}`);
  }

  acquire(priority: 'first' | 'next' = 'next', signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(cancelledWait());
    if (this.held < this.limit) return Promise.resolve(this.grant());
    return new Promise((resolve, reject) => {
      const queue = this.waiting[priority];
      const onAbort = (): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(cancelledWait());
      };
      const waiter: Waiter = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(this.grant());
      };
      queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Holders now, and waiters (for tests and figures). */
  get stats(): { held: number; waiting: number } {
    return { held: this.held, waiting: this.waiting.first.length + this.waiting.next.length };
  }

  private grant(): () => void {
    this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held--;
      const go = this.waiting.first.shift() ?? this.waiting.next.shift();
      go?.();
    };
  }
}

type Waiter = () => void;

function cancelledWait(): CfRotateError {
  return new CfRotateError('cancelled', l10n.t('The batch was cancelled before this call was sent.'), { hint: l10n.t('Nothing was sent; run it again when you are ready.') });
}
