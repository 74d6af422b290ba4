import assert from 'node:assert/strict';
import { DEMO, PERMISSIONS, emptyScenario, start } from '../../simulator';
import type { RecordedRequest, SeedResult, SimState, SimulatorHandle } from '../../simulator';
import { call, ctl } from './helpers';

describe('simulator: control API, recording, seeding, scale', () => {
  let sim: SimulatorHandle;

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset('demo'));

  it('handle: url is the API base, origin the server', () => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/);
    assert.equal(sim.url, `${sim.origin}/client/v4`);
  });

  it('state() has every credential with its live secret; GET /__sim/state is the same', async () => {
    const s = sim.control.state();
    assert.equal(s.userTokens.find((t) => t.id === DEMO.admin.id)?.value, DEMO.admin.value);
    assert.equal(s.accountTokens[0]?.value, DEMO.accountToken.value);
    assert.equal(s.serviceTokens.find((t) => t.id === DEMO.serviceToken.id)?.clientSecret, DEMO.serviceToken.clientSecret);
    assert.equal(s.serviceTokens.find((t) => t.id === DEMO.zoneServiceToken.id)?.scope, 'zone');
    assert.equal(s.moqRelays[0]?.tokens[0]?.secret, DEMO.relay.token.value);
    assert.equal(s.moqRelays[0]?.tokens[0]?.type, 'publish_subscribe');
    assert.equal(s.user.globalApiKey, DEMO.user.globalApiKey);
    const http = await ctl<SimState>(sim, 'GET', '/__sim/state');
    assert.deepEqual(http.body.userTokens, s.userTokens);
    assert.deepEqual(http.body.config, {
      latencyMs: 0,
      rateLimit: { limit: 1200, windowMs: 300000 },
      removedRouteStatus: 404,
      moqRevocationDelayMs: 0,
      pastLastPage: 'empty',
      invalidTokenAnswer: 401,
      clockFrozen: false,
      pendingLateCommits: 0,
      postCommitDelayMs: 0,
    });
  });

  it('requests() records method, path, query, redacted headers, parsed body, status and operation', async () => {
    await call(sim, 'GET', '/user/tokens?per_page=5&page=1', { token: DEMO.admin.value });
    await call(sim, 'PUT', `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`, {
      key: { email: DEMO.user.email, key: DEMO.user.globalApiKey },
      body: { client_secret_version: 2 },
      headers: { 'cf-access-client-secret': 'x' },
    });
    await call(sim, 'GET', '/nowhere');
    const reqs = sim.control.requests();
    assert.equal(reqs.length, 3);
    const [a, b, c] = reqs as [RecordedRequest, RecordedRequest, RecordedRequest];
    assert.equal(a.op, 'listUserTokens');
    assert.equal(a.method, 'GET');
    assert.equal(a.path, '/client/v4/user/tokens');
    assert.equal(a.apiPath, '/user/tokens');
    assert.deepEqual(a.query, { per_page: '5', page: '1' });
    assert.equal(a.headers.authorization, '[redacted]');
    assert.equal(a.status, 200);
    assert.equal(a.credential, `token:${DEMO.admin.id}`);
    assert.equal(b.op, 'updateServiceToken');
    assert.deepEqual(b.body, { client_secret_version: 2 });
    assert.equal(b.headers['x-auth-key'], '[redacted]');
    assert.equal(b.headers['cf-access-client-secret'], '[redacted]');
    assert.equal(b.headers['x-auth-email'], DEMO.user.email);
    assert.equal(c.op, null);
    assert.equal(c.status, 404);
    const json = JSON.stringify(reqs);
    for (const secret of [DEMO.admin.value, DEMO.user.globalApiKey]) assert.ok(!json.includes(secret));
    assert.deepEqual(sim.control.requests({ op: 'updateServiceToken' }).map((r) => r.seq), [b.seq]);
    const overHttp = await ctl<RecordedRequest[]>(sim, 'GET', '/__sim/requests?op=listUserTokens');
    assert.equal(overHttp.body.length, 1);
    sim.control.clearRequests();
    assert.equal(sim.control.requests().length, 0);
    const stats = sim.control.stats();
    assert.equal(stats.requests, 3);
    assert.deepEqual(stats.byOperation.updateServiceToken, { requests: 1, errors: 0 });
    assert.equal(stats.byStatus['404'], 1);
  });

  it('reset(scenario) replaces the state and clears faults, requests, stats and behaviour switches', async () => {
    sim.control.addFault({ type: 'hang' });
    sim.control.configure({ removedRouteStatus: 405, moqRevocationDelayMs: 3000, pastLastPage: 'last', invalidTokenAnswer: 403 });
    sim.control.setLatency(5);
    sim.control.reset(emptyScenario());
    const s = sim.control.state();
    assert.equal(s.userTokens.length, 0);
    assert.equal(s.accounts.length, 0);
    assert.deepEqual([s.config.removedRouteStatus, s.config.moqRevocationDelayMs, s.config.pastLastPage, s.config.invalidTokenAnswer], [404, 0, 'empty', 401]);
    assert.equal(s.config.latencyMs, 0);
    assert.equal(sim.control.faults().length, 0);
    assert.equal(sim.control.stats().requests, 0);
    // reset() without argument reuses the last scenario
    sim.control.reset();
    assert.equal(sim.control.state().userTokens.length, 0);
    // an invalid scenario is rejected and the state is kept
    assert.throws(() => sim.control.reset({ user: { id: 'bad', email: 'x', globalApiKey: 'y' } }), /user\.id/);
    sim.control.reset();
    assert.equal(sim.control.state().user.email, 'user@example.com');
    const bad = await ctl<{ error: string }>(sim, 'POST', '/__sim/reset', { scenario: '/no/such/file.json' });
    assert.equal(bad.status, 400);
    // over HTTP, with 'demo'
    assert.equal((await ctl(sim, 'POST', '/__sim/reset', { scenario: 'demo' })).status, 200);
    assert.equal(sim.control.state().userTokens.length, 2);
  });

  it('seeding: 1,500 account tokens in-process, then list them page by page', async () => {
    const t0 = Date.now();
    const seeded = sim.control.addAccountTokens(DEMO.accountId, 1500, { name: 'bench', permissions: ['Workers Scripts Write'] });
    assert.equal(seeded.length, 1500);
    assert.ok(Date.now() - t0 < 2000, `seeding took ${Date.now() - t0}ms`);
    assert.equal(new Set(seeded.map((t) => t.value)).size, 1500);
    assert.equal(seeded[0]?.name, 'bench 1');
    const last = await call<{ id: string }[]>(sim, 'GET', `/accounts/${DEMO.accountId}/tokens?per_page=50&page=31`, {
      token: DEMO.admin.value,
    });
    assert.equal(last.body.result_info?.total_count, 1502); // + "deploy" and "cf-rotate account admin"
    assert.equal(last.body.result.length, 2);
    const ok = await call(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: seeded[1499]?.value as string });
    assert.equal(ok.status, 200);
  });

  it('seeding helpers and POST /__sim/seed', async () => {
    const acc = sim.control.addAccount({ name: 'Second' });
    const z = sim.control.addZone({ accountId: acc.id, name: 'second.example' });
    const st = sim.control.addServiceToken({ zoneId: z.id, name: 'zone svc' });
    assert.equal(st.zoneId, z.id);
    const many = sim.control.addServiceTokens(3, { accountId: acc.id });
    assert.equal(many.length, 3);
    const relay = sim.control.addMoqRelay({ accountId: acc.id, name: 'r2', tokens: [{ operations: ['subscribe'] }] });
    assert.equal(relay.tokens.length, 1);
    assert.equal(sim.control.moqCheck(relay.tokens[0]?.secret as string).allowed, true);
    const u = sim.control.addUserToken({ name: 'extra', permissions: [PERMISSIONS.apiTokensRead] });
    assert.equal((await call(sim, 'GET', '/user/tokens', { token: u.value })).status, 200);
    const users = sim.control.addUserTokens(2);
    assert.deepEqual(users.map((t) => t.name), ['user token 1', 'user token 2']);

    const seeded = await ctl<SeedResult>(sim, 'POST', '/__sim/seed', {
      accountTokens: [{ accountId: acc.id, name: 'via http' }],
      userTokens: [{ name: 'u via http', permissions: [] }],
    });
    assert.equal(seeded.status, 200);
    assert.match(seeded.body.accountTokens[0]?.value ?? '', /^cfat_/);
    assert.match(seeded.body.userTokens[0]?.value ?? '', /^cfut_/);
    const bad = await ctl<{ error: string }>(sim, 'POST', '/__sim/seed', { accountTokens: [{ accountId: 'nope', name: 'x' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /unknown account/);
  });

  it('clock control: setNow / advance / useRealClock and POST /__sim/clock', async () => {
    sim.control.setNow('2031-01-01T00:00:00Z');
    sim.control.advance(1000);
    assert.equal(sim.control.now().toISOString(), '2031-01-01T00:00:01.000Z');
    const r = await ctl<{ now: string; frozen: boolean }>(sim, 'POST', '/__sim/clock', { advanceMs: 59_000 });
    assert.deepEqual(r.body, { now: '2031-01-01T00:01:00.000Z', frozen: true });
    await ctl(sim, 'POST', '/__sim/clock', { real: true });
    assert.ok(Math.abs(sim.control.now().getTime() - Date.now()) < 1000);
  });

  it('/__sim/config sets latency and behaviour switches; routes can no longer be toggled; unknown control endpoint → 404', async () => {
    const cfg = await ctl<{ latencyMs: number; removedRouteStatus: number; moqRevocationDelayMs: number; pastLastPage: string; invalidTokenAnswer: number }>(sim, 'POST', '/__sim/config', {
      latencyMs: 3,
      removedRouteStatus: 405,
      moqRevocationDelayMs: 2000,
      pastLastPage: 'last',
      invalidTokenAnswer: 403,
    });
    assert.deepEqual([cfg.body.latencyMs, cfg.body.removedRouteStatus, cfg.body.moqRevocationDelayMs, cfg.body.pastLastPage, cfg.body.invalidTokenAnswer], [3, 405, 2000, 'last', 403]);
    const dead = await call(sim, 'GET', '/user/tokens/verify', { token: 'cfut_' + 'x'.repeat(46) });
    assert.deepEqual([dead.status, (dead.body as { errors: { code: number }[] }).errors[0]?.code], [403, 9109], 'a value that does not work: 403 9109');
    const r = await call(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens/rotate`, {
      token: DEMO.admin.value,
      body: { type: 'subscribe' },
    });
    assert.equal(r.status, 405);
    for (const bad of [{ routes: { moqRotate: true } }, { removedRouteStatus: 410 }, { pastLastPage: 'loop' }, { moqRevocationDelayMs: -1 }, { invalidTokenAnswer: 400 }]) {
      const b = await ctl<{ error: string }>(sim, 'POST', '/__sim/config', bad);
      assert.equal(b.status, 400, JSON.stringify(bad));
    }
    // the deprecated in-process switch does nothing: the route stays gone
    sim.control.setRouteEnabled('moqRotate', true);
    sim.control.configure({ removedRouteStatus: 404 });
    const still = await call(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens/rotate`, {
      token: DEMO.admin.value,
      body: { type: 'subscribe' },
    });
    assert.equal(still.status, 404);
    assert.equal((await ctl(sim, 'GET', '/__sim/nothing')).status, 404);
    assert.equal((await ctl(sim, 'POST', '/__sim/settle')).status, 200);
  });

  it('latency is async: 300 concurrent requests at 80 ms finish together', async () => {
    const tokens = sim.control.addAccountTokens(DEMO.accountId, 300);
    sim.control.setLatency(80);
    const t0 = Date.now();
    const results = await Promise.all(
      tokens.map((t) => call(sim, 'PUT', `/accounts/${DEMO.accountId}/tokens/${t.id}/value`, { token: DEMO.admin.value, body: {} })),
    );
    const elapsed = Date.now() - t0;
    assert.ok(results.every((r) => r.status === 200));
    // Async latency shows as overlap, not as wall time (a timed assertion fails on a loaded machine):
    // serial processing would never have more than one request in flight.
    assert.ok(elapsed >= 80, `elapsed ${elapsed}ms`);
    assert.ok(sim.control.stats().maxInFlight > 50, `maxInFlight ${sim.control.stats().maxInFlight}`);
    const state = sim.control.state().accountTokens;
    assert.equal(state.filter((t) => t.version === 2).length, 300);
  });
});
