import assert from 'node:assert/strict';
import { DEMO, start } from '../../simulator';
import type { SimStats, SimulatorHandle } from '../../simulator';
import { call, code, ctl } from './helpers';

describe('simulator: rate limiting (fixed window per credential)', () => {
  let sim: SimulatorHandle;
  let now = Date.parse('2030-01-01T00:00:00Z');

  before(async () => {
    sim = await start({ scenario: 'demo', rateLimit: { limit: 5, windowMs: 60_000 }, clock: () => now });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it('the 6th call in the window is 429 with retry-after; x-ratelimit-* on every response', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-ratelimit-limit'), '5');
      remaining.push(r.headers.get('x-ratelimit-remaining') ?? '?');
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    now += 20_000;
    const sixth = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
    assert.equal(sixth.status, 429);
    assert.equal(code(sixth), 971);
    assert.equal(sixth.headers.get('retry-after'), '40');
    assert.equal(sixth.headers.get('x-ratelimit-reset'), '40');
    assert.equal(sixth.headers.get('x-ratelimit-limit'), '5');
    assert.equal(sixth.headers.get('x-ratelimit-remaining'), '0');

    // other credentials have their own bucket; errors carry the headers too
    const other = await call(sim, 'GET', '/user/tokens', { token: DEMO.userToken.value });
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('x-ratelimit-remaining'), '4');
    const unknown = await call(sim, 'GET', '/nope');
    assert.equal(unknown.status, 404);
    assert.ok(unknown.headers.get('x-ratelimit-limit') !== null);

    // control endpoints are not limited
    for (let i = 0; i < 10; i++) assert.equal((await ctl(sim, 'GET', '/__sim/health')).status, 200);

    // the window ends 60 s after its first request
    now += 40_000;
    const again = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('x-ratelimit-remaining'), '4');

    const stats = sim.control.stats();
    assert.deepEqual(stats.byCredential[`token:${DEMO.admin.id}`], { requests: 7, rateLimited: 1 });
    assert.deepEqual(stats.byCredential[`token:${DEMO.userToken.id}`], { requests: 1, rateLimited: 0 });
    assert.equal(stats.rateLimited, 1);
    assert.equal(stats.byStatus['429'], 1);
  });

  it('a roll keeps the bucket (keyed by token id); global key has its own bucket', async () => {
    for (let i = 0; i < 4; i++) await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    const roll = await call<string>(sim, 'PUT', `/user/tokens/${DEMO.admin.id}/value`, { token: DEMO.admin.value, body: {} });
    assert.equal(roll.headers.get('x-ratelimit-remaining'), '0');
    assert.equal((await call(sim, 'GET', '/accounts', { token: roll.body.result })).status, 429);
    const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };
    assert.equal((await call(sim, 'GET', '/accounts', { key })).status, 200);
    assert.equal(sim.control.stats().byCredential[`global-key:${DEMO.user.email}`]?.requests, 1);
  });

  it('setRateLimit and /__sim/config change the limit; resetRateLimits clears windows', async () => {
    sim.control.setRateLimit({ limit: 1, windowMs: 1000 });
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 200);
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 429);
    sim.control.resetRateLimits();
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 200);
    const cfg = await ctl<{ rateLimit: { limit: number } }>(sim, 'POST', '/__sim/config', { rateLimit: { limit: 3, windowMs: 1000 } });
    assert.equal(cfg.body.rateLimit.limit, 3);
    const r = await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    assert.equal(r.headers.get('x-ratelimit-limit'), '3');
    assert.equal(r.headers.get('x-ratelimit-remaining'), '2');
    const stats = await ctl<SimStats>(sim, 'GET', '/__sim/stats');
    assert.equal(stats.body.rateLimited, 1);
  });
});
