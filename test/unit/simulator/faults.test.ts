import assert from 'node:assert/strict';
import { DEMO, start } from '../../simulator';
import type { ActiveFault, SimulatorHandle } from '../../simulator';
import { call, code, ctl } from './helpers';

const rollPath = `/accounts/${DEMO.accountId}/tokens/${DEMO.accountToken.id}/value`;
const tok = DEMO.admin.value;
const deployValue = (sim: SimulatorHandle): string | undefined => sim.control.state().accountTokens[0]?.value;

describe('simulator: fault injection', () => {
  let sim: SimulatorHandle;

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  for (const status of [500, 502, 503] as const) {
    it(`status ${status}: answered instead of processing, fires once by default`, async () => {
      sim.control.addFault({ op: 'rollAccountToken', type: 'status', status });
      const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
      assert.equal(r.status, status);
      assert.equal(r.body.success, false);
      assert.equal(code(r), 10001);
      assert.equal(deployValue(sim), DEMO.accountToken.value, 'not committed');
      assert.equal((await call(sim, 'PUT', rollPath, { token: tok, body: {} })).status, 200);
      assert.equal(sim.control.faults().length, 0);
    });
  }

  it('op filter, times and after', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'status', status: 500, times: 2, after: 1 });
    // other operations are not affected
    assert.equal((await call(sim, 'GET', '/user/tokens/verify', { token: tok })).status, 200);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(sim, 'PUT', rollPath, { token: tok, body: {} })).status);
    assert.deepEqual(statuses, [200, 500, 500, 200]);
    const unlimited = sim.control.addFault({ type: 'status', status: 503, times: -1 });
    for (let i = 0; i < 3; i++) assert.equal((await call(sim, 'GET', '/accounts', { token: tok })).status, 503);
    assert.equal(sim.control.faults()[0]?.fired, 3);
    sim.control.removeFault(unlimited);
    assert.equal((await call(sim, 'GET', '/accounts', { token: tok })).status, 200);
  });

  it('rate-limit: 429 with retry-after, code 971, not committed', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'rate-limit', retryAfterSec: 7 });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(r.headers.get('x-ratelimit-reset'), '7');
    assert.equal(code(r), 971);
    assert.equal(r.body.errors[0]?.message, 'Please wait and consider throttling your request speed');
    assert.equal(deployValue(sim), DEMO.accountToken.value);
  });

  it('echo-headers: not committed, one error per credential header quoting it verbatim', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'echo-headers' });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, [{ code: 6003, message: `Invalid request header Authorization: Bearer ${tok}` }]);
    assert.equal(r.headers.get('x-ratelimit-limit'), '1200');
    assert.equal(deployValue(sim), DEMO.accountToken.value, 'not committed');
    assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.fault, 'echo-headers');
    assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.headers.authorization, '[redacted]', 'the recording still redacts');

    sim.control.addFault({ type: 'echo-headers', status: 502 });
    const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };
    const g = await call(sim, 'GET', '/accounts', { key, headers: { 'cf-access-client-secret': 'client-secret-value' } });
    assert.equal(g.status, 502);
    assert.deepEqual(g.body.errors, [
      { code: 10001, message: `Invalid request header X-Auth-Key: ${DEMO.user.globalApiKey}` },
      { code: 10001, message: `Invalid request header X-Auth-Email: ${DEMO.user.email}` },
      { code: 10001, message: 'Invalid request header CF-Access-Client-Secret: client-secret-value' },
    ]);

    sim.control.addFault({ type: 'echo-headers', status: 403 });
    const none = await call(sim, 'GET', '/accounts');
    assert.equal(none.status, 403);
    assert.deepEqual(none.body.errors, [{ code: 6003, message: 'Invalid request headers' }]);
    assert.throws(() => sim.control.addFault({ type: 'echo-headers', status: 404 as 400 }), /fault.status must be 400, 401, 403, 500, 502 or 503/);
  });

  it('malformed-json: committed, body is truncated JSON', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'malformed-json' });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 200);
    assert.throws(() => JSON.parse(r.text) as unknown, SyntaxError);
    assert.notEqual(deployValue(sim), DEMO.accountToken.value, 'the roll happened');
    assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.fault, 'malformed-json');
  });

  it('missing-secret: success envelope without the secret for every secret-bearing operation; the change is committed', async () => {
    sim.control.addFault({ type: 'missing-secret', times: 4 });
    // not consumed by operations that carry no secret
    assert.equal((await call(sim, 'GET', '/user/tokens/verify', { token: tok })).status, 200);

    const roll = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(roll.status, 200);
    assert.equal(roll.body.success, true);
    assert.ok(!('result' in roll.body));
    assert.notEqual(deployValue(sim), DEMO.accountToken.value);

    const svc = await call<Record<string, unknown>>(
      sim,
      'POST',
      `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`,
      { token: tok },
    );
    assert.equal(svc.status, 200);
    assert.equal(svc.body.result.client_secret, undefined);
    assert.equal(svc.body.result.client_secret_version, 2);
    assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);

    const relay = `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`;
    const rot = await call<Record<string, unknown>>(sim, 'POST', `${relay}/rotate`, { token: tok, body: { type: 'subscribe' } });
    assert.deepEqual(rot.body.result, { type: 'subscribe' });
    const created = await call<{ issuers: { cloudflare_tokens: Record<string, unknown>[] }[] }>(sim, 'POST', relay, {
      token: tok,
      body: { operations: ['publish'] },
    });
    assert.equal(created.status, 201);
    const item = created.body.result.issuers[0]?.cloudflare_tokens[0];
    assert.ok(item !== undefined && typeof item.jti === 'string' && !('secret' in item));
    assert.equal(sim.control.faults().length, 0);
  });

  it('drop-after-commit: the client sees a socket error AND the state shows the rotation applied', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'drop-after-commit' });
    await assert.rejects(call(sim, 'PUT', rollPath, { token: tok, body: {} }), (e: Error) => {
      assert.equal(e.name, 'TypeError'); // fetch failed
      return true;
    });
    const st = sim.control.state().accountTokens[0];
    assert.notEqual(st?.value, DEMO.accountToken.value);
    assert.equal(st?.previousValue, DEMO.accountToken.value);
    assert.equal(st?.version, 2);
    assert.equal((await call(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: DEMO.accountToken.value })).status, 401);
    const rec = sim.control.requests({ op: 'rollAccountToken' })[0];
    assert.equal(rec?.outcome, 'dropped');
    assert.equal(rec?.status, null);
  });

  it('latency fault: only the matching request is slowed', async () => {
    sim.control.addFault({ op: 'listAccounts', type: 'latency', ms: 150 });
    let t = Date.now();
    assert.equal((await call(sim, 'GET', '/accounts', { token: tok })).status, 200);
    assert.ok(Date.now() - t >= 140, `slow call took ${Date.now() - t}ms`);
    t = Date.now();
    await call(sim, 'GET', '/accounts', { token: tok });
    assert.ok(Date.now() - t < 140, 'fault consumed');
  });

  it('faults over HTTP: POST (one or many), GET, DELETE one, DELETE all; invalid fault → 400', async () => {
    const add = await ctl<{ ids: string[] }>(sim, 'POST', '/__sim/faults', [
      { op: 'getUser', type: 'status', status: 502 },
      { type: 'latency', ms: 1, times: -1 },
    ]);
    assert.equal(add.body.ids.length, 2);
    const list = await ctl<ActiveFault[]>(sim, 'GET', '/__sim/faults');
    assert.deepEqual(list.body.map((f) => f.fault.type), ['status', 'latency']);
    assert.equal(list.body[1]?.remaining, null); // Infinity serialises as null
    assert.equal((await call(sim, 'GET', '/user', { token: tok })).status, 502);
    await ctl(sim, 'DELETE', `/__sim/faults/${add.body.ids[1]}`);
    assert.equal((await ctl<ActiveFault[]>(sim, 'GET', '/__sim/faults')).body.length, 0);
    await ctl(sim, 'POST', '/__sim/faults', { type: 'hang' });
    await ctl(sim, 'DELETE', '/__sim/faults');
    assert.equal((await ctl<ActiveFault[]>(sim, 'GET', '/__sim/faults')).body.length, 0);
    const bad = await ctl<{ error: string }>(sim, 'POST', '/__sim/faults', { type: 'status', status: 404 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /status must be 500, 502 or 503/);
    assert.throws(() => sim.control.addFault({ op: 'nope' as 'getUser', type: 'hang' }), /unknown operation/);
  });
});

describe('simulator: hang fault and close()', () => {
  it('a client with AbortSignal.timeout errors; nothing is committed; close() still resolves with hung sockets open', async () => {
    const sim = await start({ scenario: 'demo' });
    sim.control.addFault({ op: 'rollAccountToken', type: 'hang', times: 2 });
    const t = Date.now();
    await assert.rejects(call(sim, 'PUT', rollPath, { token: tok, body: {} , signal: AbortSignal.timeout(200) }), (e: Error) => {
      assert.equal(e.name, 'TimeoutError');
      return true;
    });
    assert.ok(Date.now() - t < 2000);
    assert.equal(deployValue(sim), DEMO.accountToken.value);
    assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.outcome, 'hung');

    // a second hung request without any client timeout: close() must end it
    const pending = call(sim, 'PUT', rollPath, { token: tok, body: {} }).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const c = Date.now();
    await sim.close();
    assert.ok(Date.now() - c < 1000, `close took ${Date.now() - c}ms`);
    assert.equal(await pending, 'failed');
    await sim.close(); // idempotent
  });

  it('close() does not wait for pending latency timers', async () => {
    const sim = await start({ scenario: 'demo', latencyMs: 10_000 });
    const pending = call(sim, 'GET', '/accounts', { token: tok }).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((r) => setTimeout(r, 50));
    const c = Date.now();
    await sim.close();
    assert.ok(Date.now() - c < 1000);
    assert.equal(await pending, 'failed');
  });
});
