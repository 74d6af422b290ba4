import assert from 'node:assert/strict';
import { DEMO, start } from '../../simulator';
import type { SimStats, SimulatorHandle } from '../../simulator';
import { call, code, ctl } from './helpers';

/** Cloudflare's `Ratelimit: "default";r=<remaining>;t=<seconds>` and `Ratelimit-Policy: "default";q=<quota>;w=<window s>`. */
const rate = (h: Headers): { r: string; t: string } => {
  const m = /^"default";r=(\d+);t=(\d+)$/.exec(h.get('ratelimit') ?? '');
  assert.ok(m, `Ratelimit header: ${h.get('ratelimit')}`);
  return { r: m[1] as string, t: m[2] as string };
};
const policy = (h: Headers): string => h.get('ratelimit-policy') ?? '?';

const T0 = Date.parse('2030-01-01T00:00:00Z');

describe('simulator: rate limiting (per user, A7)', () => {
  let sim: SimulatorHandle;
  let now = T0;
  const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };

  before(async () => {
    sim = await start({ scenario: 'demo', rateLimit: { limit: 5, windowMs: 60_000 }, clock: () => now });
  });
  after(() => sim.close());
  beforeEach(() => {
    now = T0;
    sim.control.reset();
  });

  it('every answer has Ratelimit and Ratelimit-Policy; the 6th call is 429 with retry-after (s), and no x-ratelimit-*; the user is then blocked a whole window', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
      assert.equal(r.status, 200);
      assert.equal(policy(r.headers), '"default";q=5;w=60');
      assert.equal(r.headers.get('retry-after'), null, 'retry-after only on a 429');
      assert.equal(r.headers.get('x-ratelimit-remaining'), null, 'Cloudflare documents Ratelimit, not x-ratelimit-*');
      remaining.push(rate(r.headers).r);
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    now += 20_000;
    const sixth = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
    assert.equal(sixth.status, 429);
    assert.equal(code(sixth), 971);
    // "If you exceed this limit, all API calls for the next five minutes will be blocked": a whole window from now
    assert.equal(sixth.headers.get('retry-after'), '60');
    assert.deepEqual(rate(sixth.headers), { r: '0', t: '60' });
    assert.equal(policy(sixth.headers), '"default";q=5;w=60');

    // the window of the first request is over, but the block is not
    now += 45_000;
    const blocked = await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers.get('retry-after'), '15');
    assert.deepEqual(rate(blocked.headers), { r: '0', t: '15' });

    // control endpoints are not limited
    for (let i = 0; i < 10; i++) assert.equal((await ctl(sim, 'GET', '/__sim/health')).status, 200);

    now += 15_000;
    const again = await call(sim, 'GET', '/user/tokens/verify', { token: DEMO.admin.value });
    assert.equal(again.status, 200);
    assert.deepEqual(rate(again.headers), { r: '4', t: '60' });

    const stats = sim.control.stats();
    assert.deepEqual(stats.byBucket[`user:${DEMO.user.id}`], { requests: 8, rateLimited: 2 });
    assert.deepEqual(stats.byCredential[`token:${DEMO.admin.id}`], { requests: 8, rateLimited: 2 });
    assert.equal(stats.rateLimited, 2);
    assert.equal(stats.byStatus['429'], 2);
  });

  it('every token and the Global API key of one user share one budget; a roll changes nothing', async () => {
    await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    await call(sim, 'GET', '/accounts', { token: DEMO.userToken.value });
    await call(sim, 'GET', '/user', { key });
    const roll = await call<string>(sim, 'PUT', `/user/tokens/${DEMO.admin.id}/value`, { token: DEMO.admin.value, body: {} });
    assert.equal(rate(roll.headers).r, '1');
    assert.equal((await call(sim, 'GET', '/accounts', { token: roll.body.result })).status, 200);
    for (const o of [{ token: roll.body.result }, { token: DEMO.userToken.value }, { key }]) {
      assert.equal((await call(sim, 'GET', '/accounts', o)).status, 429);
    }
    const stats = sim.control.stats();
    assert.deepEqual(stats.byBucket[`user:${DEMO.user.id}`], { requests: 8, rateLimited: 3 });
    assert.equal(stats.byCredential[`global-key:${DEMO.user.email}`]?.requests, 2);
    const rec = sim.control.requests().at(-1);
    assert.deepEqual([rec?.credential, rec?.bucket], [`global-key:${DEMO.user.email}`, `user:${DEMO.user.id}`]);
  });

  it('account-owned tokens are billed to their account (the simulator\'s choice), not to the user; unknown credentials to "anonymous"', async () => {
    for (let i = 0; i < 5; i++) await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 429);
    const own = await call(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: DEMO.accountToken.value });
    assert.equal(own.status, 200);
    assert.equal(rate(own.headers).r, '4');
    assert.equal(rate((await call(sim, 'GET', '/accounts', { token: DEMO.accountAdmin.value })).headers).r, '3');
    const unknown = await call(sim, 'GET', '/nope');
    assert.equal(unknown.status, 404);
    assert.equal(rate(unknown.headers).r, '4');
    assert.deepEqual(Object.keys(sim.control.stats().byBucket).sort(), ['account:' + DEMO.accountId, 'anonymous', `user:${DEMO.user.id}`].sort());
  });

  it('GitHub routes carry GitHub\'s x-ratelimit-* set (reset in epoch seconds), not Cloudflare\'s', async () => {
    const r = await fetch(`${sim.githubUrl}/repos/o/r/actions/secrets/public-key`);
    assert.equal(r.headers.get('x-ratelimit-limit'), '5');
    assert.equal(r.headers.get('x-ratelimit-remaining'), '4');
    assert.equal(r.headers.get('x-ratelimit-reset'), String(T0 / 1000 + 60));
    assert.equal(r.headers.get('ratelimit'), null);
    assert.equal(r.headers.get('cf-ray'), null);
  });

  it('setRateLimit and /__sim/config change the limit; resetRateLimits clears windows and blocks', async () => {
    sim.control.setRateLimit({ limit: 1, windowMs: 1000 });
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 200);
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 429);
    sim.control.resetRateLimits();
    assert.equal((await call(sim, 'GET', '/accounts', { token: DEMO.admin.value })).status, 200);
    const cfg = await ctl<{ rateLimit: { limit: number } }>(sim, 'POST', '/__sim/config', { rateLimit: { limit: 3, windowMs: 1000 } });
    assert.equal(cfg.body.rateLimit.limit, 3);
    const r = await call(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    assert.equal(policy(r.headers), '"default";q=3;w=1');
    assert.equal(rate(r.headers).r, '2');
    const stats = await ctl<SimStats>(sim, 'GET', '/__sim/stats');
    assert.equal(stats.body.rateLimited, 1);
  });
});
