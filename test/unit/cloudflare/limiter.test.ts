import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RateLimiter,
  budgetKeys,
  credentialFingerprint,
  sharedRateLimiter,
  resetSharedRateLimiters,
  type Permit,
} from '../../../src/core/cloudflare/limiter';
import { CfRotateError } from '../../../src/core/errors';
import { ManualClock, flush } from './helpers';

/** Start `n` acquisitions; returns the permits in grant order and the grant times. */
function startMany(limiter: RateLimiter, clock: ManualClock, n: number): { granted: { permit: Permit; at: number; i: number }[] } {
  const granted: { permit: Permit; at: number; i: number }[] = [];
  for (let i = 0; i < n; i++) {
    void limiter.acquire().then((permit) => granted.push({ permit, at: clock.now(), i }));
  }
  return { granted };
}

describe('cloudflare/RateLimiter (fake clock)', () => {
  it('admits exactly `limit` requests per window, then one more per expired slot', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 5, windowMs: 1000, maxConcurrent: 100, marginMs: 0, clock });
    const { granted } = startMany(limiter, clock, 12);
    await flush();
    assert.equal(granted.length, 5);
    for (const g of granted) g.permit.release(); // all completed at t0
    await clock.advance(999);
    assert.equal(granted.length, 5, 'no slot frees before the window has passed');
    await clock.advance(1);
    assert.equal(granted.length, 10, 'five slots free exactly one window after completion');
    for (const g of granted.slice(5)) g.permit.release();
    await clock.advance(1000);
    assert.equal(granted.length, 12);
    assert.deepEqual(
      granted.map((g) => g.i),
      [...Array(12).keys()],
      'FIFO order',
    );
    assert.equal(limiter.stats().admitted, 12);
  });

  it('keeps a slot for the whole window after the response (safe under latency), plus marginMs', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 1000, maxConcurrent: 10, marginMs: 5, clock });
    const { granted } = startMany(limiter, clock, 3);
    await flush();
    assert.equal(granted.length, 2);
    granted[0]?.permit.release(); // completes at t=0
    await clock.advance(800);
    granted[1]?.permit.release(); // slow response, completes at t=800
    await clock.advance(204); // t=1004: first slot still held by the margin
    assert.equal(granted.length, 2);
    await clock.advance(1); // t=1005
    assert.equal(granted.length, 3);
    assert.equal(limiter.stats().inWindow, 2);
    await clock.advance(800); // t=1805 = 800 + 1000 + 5
    assert.equal(limiter.stats().inWindow, 1, 'the slow request left the window one window after its response');
  });

  it('bounds concurrency and admits the next waiter when a request completes', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 1000, windowMs: 1000, maxConcurrent: 3, clock });
    const { granted } = startMany(limiter, clock, 10);
    await flush();
    assert.equal(granted.length, 3);
    assert.equal(limiter.stats().inFlight, 3);
    assert.equal(limiter.stats().waiting, 7);
    granted[1]?.permit.release();
    granted[1]?.permit.release(); // idempotent
    await flush();
    assert.equal(granted.length, 4);
    assert.equal(limiter.stats().inFlight, 3);
    for (const g of [...granted]) g.permit.release();
    await flush();
    assert.equal(granted.length, 7);
  });

  it('honours x-ratelimit-remaining: 0 with a reset time', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 100, windowMs: 10_000, clock });
    const first = await limiter.acquire();
    first.release();
    limiter.observe({ status: 200, remaining: 0, resetMs: 4000 });
    const { granted } = startMany(limiter, clock, 1);
    await clock.advance(3999);
    assert.equal(granted.length, 0, 'paused until the server says the window resets');
    await clock.advance(1);
    assert.equal(granted.length, 1);
  });

  it('honours remaining: 0 without reset by waiting for its own oldest slot', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 100, windowMs: 10_000, marginMs: 0, clock });
    const p = await limiter.acquire();
    p.release();
    await clock.advance(2000);
    limiter.observe({ status: 200, remaining: 0 });
    const { granted } = startMany(limiter, clock, 1);
    await clock.advance(7999);
    assert.equal(granted.length, 0);
    await clock.advance(1);
    assert.equal(granted.length, 1);
  });

  it('pauses everyone after a 429 for retry-after', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 100, windowMs: 10_000, clock });
    limiter.observe({ status: 429, retryAfterMs: 3000 });
    assert.equal(limiter.pausedUntil, clock.now() + 3000);
    const { granted } = startMany(limiter, clock, 2);
    await clock.advance(2999);
    assert.equal(granted.length, 0);
    await clock.advance(1);
    assert.equal(granted.length, 2);
  });

  it('ignores remaining > 0 and does not shorten an existing pause', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 100, windowMs: 10_000, clock });
    limiter.observe({ status: 429, retryAfterMs: 5000 });
    limiter.observe({ status: 200, remaining: 0, resetMs: 1000 });
    limiter.observe({ status: 200, remaining: 50 });
    assert.equal(limiter.pausedUntil, clock.now() + 5000);
  });

  it('rejects an aborted waiter without consuming a slot', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1000, clock });
    const held = await limiter.acquire();
    const ac = new AbortController();
    const waiting = limiter.acquire(ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    assert.equal(limiter.stats().waiting, 0);
    held.release();
    await assert.rejects(limiter.acquire(AbortSignal.abort(new Error('already'))), /already/);
  });

  it('rejects nonsensical options with a config error', () => {
    assert.throws(() => new RateLimiter({ limit: 0 }), (e: unknown) => e instanceof CfRotateError && e.kind === 'config');
    assert.throws(() => new RateLimiter({ windowMs: Number.NaN }), (e: unknown) => e instanceof CfRotateError && e.kind === 'config');
  });

  it('property: whatever the latencies, the server never sees more than `limit` arrivals in any window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }), // limit
        fc.integer({ min: 1, max: 4 }), // concurrency
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 25 }),
        async (limit, maxConcurrent, reqs) => {
          const windowMs = 1000;
          const clock = new ManualClock(0);
          const limiter = new RateLimiter({ limit, windowMs, maxConcurrent, marginMs: 0, clock });
          const arrivals: number[] = [];
          let done = 0;
          for (const [latency, where] of reqs) {
            void limiter.acquire().then(async (permit) => {
              const admitted = clock.now();
              await clock.sleep(latency);
              // The server counted the request somewhere between admission and response.
              arrivals.push(admitted + Math.floor(where * (clock.now() - admitted)));
              permit.release();
              done++;
            });
          }
          for (let i = 0; i < 200 && done < reqs.length; i++) await clock.advance(100);
          assert.equal(done, reqs.length, 'every request eventually admitted');
          arrivals.sort((a, b) => a - b);
          for (let i = 0; i < arrivals.length; i++) {
            const inWindow = arrivals.filter((a) => a >= (arrivals[i] as number) && a < (arrivals[i] as number) + windowMs).length;
            assert.ok(inWindow <= limit, `${inWindow} arrivals in a window (limit ${limit})`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('cloudflare/RateLimiter registry', () => {
  afterEach(() => resetSharedRateLimiters());

  it('shares one limiter per base URL and credential, keyed by a fingerprint that does not contain the secret', () => {
    const token = 'cfut_' + 'A'.repeat(40);
    const a = sharedRateLimiter('https://api.cloudflare.com/client/v4', { type: 'api-token', token });
    const b = sharedRateLimiter('https://api.cloudflare.com/client/v4/', { type: 'api-token', token });
    const c = sharedRateLimiter('https://api.cloudflare.com/client/v4', { type: 'api-token', token: token + 'B' });
    const d = sharedRateLimiter('http://127.0.0.1:9/client/v4', { type: 'api-token', token });
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.notEqual(a, d);
    const fp = credentialFingerprint({ type: 'api-token', token });
    assert.match(fp, /^[0-9a-f]{16}$/);
    assert.ok(!fp.includes('AAAA'));
    assert.notEqual(fp, credentialFingerprint({ type: 'global-key', email: 'a@b.c', key: token }));
    assert.equal(a.limit, 1200);
    // Per user where the client can tell the user (A7): a Global API key's email. Its profile's API token shares that budget.
    const key = { type: 'global-key', email: 'Me@Example.com', key: 'cfk_' + 'k'.repeat(44) } as const;
    const both = { type: 'api-token', token, globalKey: { email: 'me@example.com', key: 'cfk_' + 'j'.repeat(44) } } as const;
    assert.equal(sharedRateLimiter('https://api.cloudflare.com/client/v4', key), sharedRateLimiter('https://api.cloudflare.com/client/v4', both));
    assert.notEqual(sharedRateLimiter('https://api.cloudflare.com/client/v4', both), a, 'a token alone cannot be tied to its user: its own budget');
    assert.ok(!credentialFingerprint(key).includes('example'));
    assert.equal(a.windowMs, 300_000);
    assert.equal(a.maxConcurrent, 8);
  });

  it('keys a budget by the admin credential: its profile (whatever token it holds), its token value and its user\'s email; never by a secret in clear', () => {
    const base = 'https://api.cloudflare.com/client/v4';
    const t1 = { type: 'api-token', token: 'cfut_' + 'A'.repeat(40) } as const;
    const t2 = { type: 'api-token', token: 'cfut_' + 'B'.repeat(40) } as const;
    const t3 = { type: 'api-token', token: 'cfut_' + 'C'.repeat(40) } as const;
    const keys = budgetKeys({ ...t1, globalKey: { email: 'Me@Example.com', key: 'cfk_' + 'k'.repeat(44) } }, 'deploy');
    assert.equal(keys.length, 3, 'user, profile, token');
    for (const k of keys) assert.match(k, /^[0-9a-f]{16}$/);
    assert.equal(keys[0], credentialFingerprint({ type: 'global-key', email: 'me@example.com', key: 'other' }), 'the user first');
    assert.deepEqual(budgetKeys(t1), [credentialFingerprint(t1)]);
    const deploy = sharedRateLimiter(base, t1, undefined, 'deploy');
    assert.equal(sharedRateLimiter(base, t2, undefined, 'deploy'), deploy, 'the profile\'s new token (rolled, replaced) keeps its budget');
    assert.equal(sharedRateLimiter(base, t1, undefined, 'ci'), deploy, 'the same token in another profile is the same credential');
    assert.equal(sharedRateLimiter(base, t1), deploy, 'and without a profile');
    assert.notEqual(sharedRateLimiter(base, t3, undefined, 'other'), deploy, 'another token in another profile: its own budget');
    assert.notEqual(sharedRateLimiter('http://127.0.0.1:9/client/v4', t1, undefined, 'deploy'), deploy, 'another API: another budget');
  });
});
