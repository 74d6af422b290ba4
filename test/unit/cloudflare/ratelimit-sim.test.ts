/** The client-side limiter against the simulator's real (per-user, fixed-window) rate limit, and which clients share one. */
import * as assert from 'node:assert/strict';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter, resetSharedRateLimiters, sharedRateLimiter } from '../../../src/core/cloudflare/limiter';
import type { AdminCredential } from '../../../src/core/cloudflare/types';
import { CfRotateError } from '../../../src/core/errors';
import { systemClock } from '../../../src/core/ports';
import { start } from '../../simulator';
import { ManualClock } from './helpers';
import { DEMO, type Sim } from './sim';

describe('cloudflare/RateLimiter against the simulator (20 requests / 2 s)', function () {
  this.timeout(20_000);
  let sim: Sim;
  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 20, windowMs: 2000 } });
  });
  after(async () => {
    await sim.close();
  });

  it('60 concurrent reads across two clients sharing one limiter: 0 × 429, budget used', async () => {
    const limiter = new RateLimiter({ limit: 20, windowMs: 2000, maxConcurrent: 8, clock: systemClock });
    const mk = (): CloudflareClient =>
      new CloudflareClient({ baseUrl: sim.url, credential: { type: 'api-token', token: DEMO.admin.value }, limiter, clock: systemClock, maxRetries: 0 });
    const [a, b] = [mk(), mk()];
    const startedAt = Date.now();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).getUserToken(DEMO.userToken.id)));
    const elapsed = Date.now() - startedAt;
    assert.equal(results.length, 60);
    const stats = sim.control.stats();
    assert.equal(stats.rateLimited, 0, 'no 429');
    assert.equal(stats.requests, 60);
    assert.ok(stats.maxInFlight <= 8, `max in flight ${stats.maxInFlight}`);
    // 60 requests at 20 per 2 s need two full windows after the first burst: ≥ 4 s, and a
    // precise limiter does not take much longer.
    assert.ok(elapsed >= 4000, `elapsed ${elapsed} ms`);
    assert.ok(elapsed < 5500, `elapsed ${elapsed} ms: the limiter wastes budget`);
  });
});

describe('cloudflare clients share the rate limiter of their admin credential (A7: the budget is per user)', function () {
  this.timeout(20_000);
  let sim: Sim;
  let clock: ManualClock;
  /** A budget of 3 requests in a window that never ends here (the manual clock does not move). */
  const BUDGET = { limit: 3, windowMs: 60_000 };
  const ADMIN: AdminCredential = { type: 'api-token', token: DEMO.admin.value };
  const OTHER: AdminCredential = { type: 'api-token', token: DEMO.userToken.value };
  const KEY: AdminCredential = { type: 'global-key', email: DEMO.user.email, key: DEMO.user.globalApiKey };

  before(async () => {
    sim = await start({ port: 0, latencyMs: 0 });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    resetSharedRateLimiters();
    sim.control.resetStats();
    clock = new ManualClock(Date.now());
  });
  afterEach(() => resetSharedRateLimiters());

  /** A client with no limiter of its own: it takes the shared one of its credential. */
  function client(credential: AdminCredential, profile?: string): CloudflareClient {
    return new CloudflareClient({ baseUrl: sim.url, credential, clock, maxRetries: 0, rateLimit: BUDGET, ...(profile !== undefined ? { profile } : {}) });
  }

  /** Does a check by `c` wait for the limiter (budget spent)? The waiting call is then cancelled, unsent. */
  async function waits(c: CloudflareClient): Promise<boolean> {
    const ac = new AbortController();
    let settled = false;
    const outcome = c.verifyCredential({ signal: ac.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    void outcome.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 150));
    const waiting = !settled;
    ac.abort();
    const e = await outcome;
    if (waiting) assert.ok(e instanceof CfRotateError && e.kind === 'cancelled', `the waiting check was cancelled: ${String(e)}`);
    else assert.equal(e, undefined, 'the check went through');
    return waiting;
  }

  it('two clients over one credential draw on one budget; a client of another credential has its own', async () => {
    const [a1, a2] = [client(ADMIN, 'default'), client(ADMIN, 'default')];
    await a1.verifyCredential();
    await a1.verifyCredential();
    await a2.verifyCredential();
    assert.equal(sharedRateLimiter(sim.url, ADMIN, undefined, 'default').stats().admitted, 3, 'the three checks of both clients were counted together');
    assert.equal(await waits(a2), true, 'the second client finds the budget the first one used');
    assert.equal(await waits(a1), true);
    assert.equal(await waits(client(ADMIN)), true, 'a client of the same token without a profile shares it too');
    assert.equal(await waits(client(OTHER, 'other')), false, 'another credential (another profile, another token): its own budget');
    assert.equal(sim.control.stats().requests, 4, 'the waiting checks were never sent');
  });

  it('a profile keeps its budget when its admin token changes (rolled or replaced); a Global API key joins its user', async () => {
    const before = client(ADMIN, 'default');
    for (let i = 0; i < 3; i++) await before.verifyCredential();
    // Rotate Admin Credential stores the new value under the same profile: the requests of the old value still count.
    assert.equal(await waits(client(OTHER, 'default')), true, 'the same profile with its new token value');
    assert.equal(await waits(client(KEY, 'legacy')), false, 'a Global API key in another profile: the email is not known to be this token\'s user');

    resetSharedRateLimiters();
    const legacy = client(KEY, 'legacy');
    for (let i = 0; i < 3; i++) await legacy.verifyCredential();
    // Every client that holds this user's Global API key (beside an API token or alone, any profile) is that user.
    assert.equal(await waits(client({ ...ADMIN, globalKey: { email: DEMO.user.email.toUpperCase(), key: DEMO.user.globalApiKey } }, 'both')), true);
    assert.equal(await waits(client(ADMIN, 'default')), true, 'that API token, held beside the key, is known to be the user\'s from then on');
    assert.equal(await waits(client(OTHER, 'other')), false, 'an API token alone cannot be tied to a user: its own budget');
  });
});
