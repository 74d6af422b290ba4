import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DEMO, start } from '../../simulator';
import type { ActiveFault, OperationName, SimulatorHandle } from '../../simulator';
import type { CallOptions } from './helpers';
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

  for (const status of [500, 502, 504] as const) {
    it(`status ${status}: answered instead of processing (RFC 9457 problem details, Retry-After), fires once by default`, async () => {
      sim.control.addFault({ op: 'rollAccountToken', type: 'status', status });
      const r = await call(sim, 'PUT', rollPath, { token: tok, body: {}, headers: { accept: 'application/json' } });
      assert.equal(r.status, status);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(r.headers.get('retry-after'), '5');
      assert.match(r.headers.get('ratelimit') ?? '', /^"default";r=\d+;t=\d+$/);
      assert.equal(r.headers.get('ratelimit-policy'), '"default";q=1200;w=300');
      const p = JSON.parse(r.text) as Record<string, unknown>;
      for (const k of ['type', 'title', 'status', 'detail', 'instance']) assert.ok(k in p, k);
      assert.equal(p.status, status);
      assert.equal(p.retry_after, 5);
      assert.equal(p.error_category, status === 500 ? 'cloudflare' : 'origin');
      assert.equal(p.instance, r.headers.get('cf-ray'));
      assert.ok(!('success' in p) && !('errors' in p), 'no v4 envelope fields (the changelog adds none)');
      assert.equal(deployValue(sim), DEMO.accountToken.value, 'not committed');
      assert.equal((await call(sim, 'PUT', rollPath, { token: tok, body: {} })).status, 200);
      assert.equal(sim.control.faults().length, 0);
    });
  }

  it('5xx content negotiation: problem+json mirrored, Markdown for text/markdown, HTML by default', async () => {
    sim.control.addFault({ op: 'listAccounts', type: 'status', status: 502, times: 3, retryAfterSec: 9 });
    const pj = await call(sim, 'GET', '/accounts', { token: tok, headers: { accept: 'application/problem+json' } });
    assert.match(pj.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(pj.headers.get('retry-after'), '9');
    const md = await call(sim, 'GET', '/accounts', { token: tok, headers: { accept: 'text/markdown, application/json' } });
    assert.match(md.headers.get('content-type') ?? '', /^text\/markdown/);
    assert.match(md.text, /^---\n[\s\S]*error_code: 502[\s\S]*\n---\n/);
    const html = await call(sim, 'GET', '/accounts', { token: tok });
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.deepEqual(html.body, {}, 'not JSON');
  });

  it('503 (not in the changelog list) and body: "envelope": the v4 error envelope; MoQ uses 21006 as its schema declares', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'status', status: 503 });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 503);
    assert.equal(r.body.success, false);
    assert.deepEqual(r.body.errors, [{ code: 10001, message: 'Service unavailable' }]);
    assert.equal(r.headers.get('retry-after'), null);
    sim.control.addFault({ op: 'createMoqToken', type: 'status', status: 500, body: 'envelope', retryAfterSec: 2 });
    const m = await call(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`, { token: tok, body: { operations: ['publish'] } });
    assert.equal(m.status, 500);
    assert.deepEqual(m.body.errors, [{ code: 21006, message: 'Unexpected server error' }]);
    assert.equal(m.headers.get('retry-after'), '2');
    assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 1, 'not committed');
  });

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

  it('rate-limit: 429 with retry-after (seconds) and Ratelimit r=0, code 971, not committed', async () => {
    sim.control.setNow('2030-06-01T12:00:00Z');
    sim.control.addFault({ op: 'rollAccountToken', type: 'rate-limit', retryAfterSec: 7 });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(r.headers.get('ratelimit'), '"default";r=0;t=7');
    assert.equal(code(r), 971);
    assert.equal(r.body.errors[0]?.message, 'Please wait and consider throttling your request speed');
    assert.equal(deployValue(sim), DEMO.accountToken.value);
  });

  it('echo-headers: not committed, one error per credential header quoting it verbatim', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'echo-headers' });
    const r = await call(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, [{ code: 6003, message: `Invalid request header Authorization: Bearer ${tok}` }]);
    assert.equal(r.headers.get('ratelimit-policy'), '"default";q=1200;w=300');
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
    sim.control.addFault({ type: 'missing-secret', times: 3 });
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
    assert.equal(svc.body.result.client_id, DEMO.serviceToken.clientId);
    assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);

    const relay = `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`;
    const created = await call<{ issuers: { cloudflare_tokens: Record<string, unknown>[] }[] }>(sim, 'POST', relay, {
      token: tok,
      body: { operations: ['publish'] },
    });
    assert.equal(created.status, 201);
    const item = created.body.result.issuers[0]?.cloudflare_tokens[0];
    assert.ok(item !== undefined && typeof item.jti === 'string' && !('secret' in item));
    assert.equal(sim.control.faults().length, 0);
  });

  it('off-contract: committed; the answer keeps the secret but loses or changes the fields named; not used up by answers without a secret', async () => {
    sim.control.addFault({ type: 'off-contract', remove: ['success'] });
    // not consumed by an operation that carries no secret
    assert.equal((await call(sim, 'GET', '/user/tokens/verify', { token: tok })).status, 200);
    assert.equal(sim.control.faults().length, 1);
    const roll = await call<string>(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(roll.status, 200);
    assert.deepEqual(Object.keys(roll.body).sort(), ['errors', 'messages', 'result'], 'the envelope lacks "success"');
    assert.notEqual(deployValue(sim), DEMO.accountToken.value, 'the roll happened');
    assert.equal(roll.body.result, deployValue(sim), 'the answer carries the new value');
    assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.fault, 'off-contract');
    assert.equal(sim.control.faults().length, 0);

    // remove and set together: a required field gone, a field of another type, an unknown field added
    sim.control.addFault({ op: 'rotateServiceToken', type: 'off-contract', remove: ['result.id'], set: { 'result.client_secret_version': 'two', 'result.surprise': { nested: true } } });
    const svc = await call<Record<string, unknown>>(sim, 'POST', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`, { token: tok });
    assert.equal(svc.status, 200);
    assert.equal(svc.body.success, true);
    assert.ok(!('id' in svc.body.result));
    assert.equal(svc.body.result.client_secret_version, 'two');
    assert.deepEqual(svc.body.result.surprise, { nested: true });
    assert.equal(svc.body.result.client_id, DEMO.serviceToken.clientId);
    assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, svc.body.result.client_secret as string).allowed, true, 'the secret in the answer is the live one');

    // an array item by its index
    sim.control.addFault({ op: 'createMoqToken', type: 'off-contract', remove: ['result.issuers.0.type'] });
    const created = await call<{ issuers: Record<string, unknown>[] }>(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`, { token: tok, body: { operations: ['publish'] } });
    assert.equal(created.status, 201);
    const issuer = created.body.result.issuers[0] as { type?: string; cloudflare_tokens: { secret?: string }[] };
    assert.equal(issuer.type, undefined);
    assert.equal(typeof issuer.cloudflare_tokens[0]?.secret, 'string');

    // a field to remove that is not there: the answer stays as documented and the fault waits
    sim.control.addFault({ op: 'rollAccountToken', type: 'off-contract', remove: ['result_info'] });
    const plain = await call<string>(sim, 'PUT', rollPath, { token: tok, body: {} });
    assert.equal(plain.body.success, true);
    assert.equal(sim.control.faults().length, 1);
  });

  it('off-contract is refused when it names the secret (that is missing-secret), names nothing, or names no field path', () => {
    for (const bad of [{ remove: ['result'] }, { remove: ['result.client_secret'] }, { set: { 'result.value': 'x' } }, { remove: ['result.issuers.0.cloudflare_tokens.0.secret'] }]) {
      assert.throws(() => sim.control.addFault({ type: 'off-contract', ...bad }), /names the secret or what holds it; use the missing-secret fault/, JSON.stringify(bad));
    }
    assert.throws(() => sim.control.addFault({ type: 'off-contract' }), /at least one field/);
    assert.throws(() => sim.control.addFault({ type: 'off-contract', remove: ['result..id'] }), /not a field path/);
    assert.throws(() => sim.control.addFault({ type: 'off-contract', remove: 'success' as unknown as string[] }), /list of field paths/);
    assert.equal(sim.control.faults().length, 0);
  });

  it('error-text 401: code 1000 "Invalid API Token", as a verify answers a value Cloudflare no longer knows; nothing processed', async () => {
    sim.control.addFault({ op: 'verifyAccountToken', type: 'error-text', status: 401, code: 1000, message: 'Invalid API Token' });
    const r = await call(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: DEMO.accountToken.value });
    assert.equal(r.status, 401);
    assert.deepEqual(r.body.errors, [{ code: 1000, message: 'Invalid API Token' }]);
    assert.equal((await call(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: DEMO.accountToken.value })).status, 200, 'fires once');
    assert.throws(() => sim.control.addFault({ type: 'error-text', status: 402 as 401, message: 'x' }), /fault.status must be 400, 401, 403, 404 or 500/);
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
    assert.match(bad.body.error, /status must be 500, 502, 503 or 504/);
    // a list is all or nothing
    const mixed = await ctl<{ error: string }>(sim, 'POST', '/__sim/faults', [{ type: 'hang' }, { type: 'late-commit', delayMs: -1 }]);
    assert.equal(mixed.status, 400);
    assert.equal((await ctl<ActiveFault[]>(sim, 'GET', '/__sim/faults')).body.length, 0);
    assert.throws(() => sim.control.addFault({ op: 'nope' as 'getUser', type: 'hang' }), /unknown operation/);
    assert.throws(() => sim.control.addFault({ op: 'moqRotate', type: 'drop-after-commit' }), /removed upstream/);
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

/** Every operation that produces a secret, how to call it, and what changes at "Cloudflare" when it is applied. */
interface SecretOp {
  op: OperationName;
  method: string;
  path: string;
  opts: CallOptions;
  /** A fingerprint of the state this operation changes. */
  fingerprint: (sim: SimulatorHandle) => string;
}
const keyAuth = { email: DEMO.user.email, key: DEMO.user.globalApiKey };
const svcOf = (sim: SimulatorHandle, id: string): string => JSON.stringify(sim.control.state().serviceTokens.find((t) => t.id === id) ?? null);
const SECRET_OPS: SecretOp[] = [
  {
    op: 'rollUserToken',
    method: 'PUT',
    path: `/user/tokens/${DEMO.userToken.id}/value`,
    opts: { token: tok, body: {} },
    fingerprint: (sim) => sim.control.state().userTokens.find((t) => t.id === DEMO.userToken.id)?.value ?? '',
  },
  { op: 'rollAccountToken', method: 'PUT', path: rollPath, opts: { token: tok, body: {} }, fingerprint: (sim) => deployValue(sim) ?? '' },
  {
    op: 'rotateServiceToken',
    method: 'POST',
    path: `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`,
    opts: { token: tok },
    fingerprint: (sim) => svcOf(sim, DEMO.serviceToken.id),
  },
  {
    op: 'updateServiceToken',
    method: 'PUT',
    path: `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`,
    opts: { key: keyAuth, body: { client_secret_version: 2 } },
    fingerprint: (sim) => svcOf(sim, DEMO.zoneServiceToken.id),
  },
  {
    op: 'createServiceToken',
    method: 'POST',
    path: `/accounts/${DEMO.accountId}/access/service_tokens`,
    opts: { token: tok, body: { name: 'late' } },
    fingerprint: (sim) => String(sim.control.state().serviceTokens.length),
  },
  {
    op: 'createMoqToken',
    method: 'POST',
    path: `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`,
    opts: { token: tok, body: { operations: ['publish', 'subscribe'] } },
    fingerprint: (sim) => String(sim.control.state().moqRelays[0]?.tokens.length),
  },
];

const settled = <T>(p: Promise<T>): Promise<'answered' | 'failed'> => p.then(() => 'answered' as const, () => 'failed' as const);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('simulator: after-commit faults on every secret-producing operation', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  for (const o of SECRET_OPS) {
    it(`${o.op}: drop-after-commit, hang-after-commit and 500-after-commit all commit; the client gets no secret`, async () => {
      const before = o.fingerprint(sim);
      sim.control.addFault({ op: o.op, type: 'drop-after-commit' });
      assert.equal(await settled(call(sim, o.method, o.path, o.opts)), 'failed');
      const afterDrop = o.fingerprint(sim);
      assert.notEqual(afterDrop, before, 'drop-after-commit committed');

      sim.control.reset();
      sim.control.addFault({ op: o.op, type: 'hang-after-commit' });
      assert.equal(await settled(call(sim, o.method, o.path, { ...o.opts, signal: AbortSignal.timeout(300) })), 'failed');
      assert.notEqual(o.fingerprint(sim), before, 'hang-after-commit committed');

      sim.control.reset();
      sim.control.addFault({ op: o.op, type: '500-after-commit' });
      const r = await call(sim, o.method, o.path, { ...o.opts, headers: { accept: 'application/json' } });
      assert.equal(r.status, 500);
      assert.equal((JSON.parse(r.text) as { status: number }).status, 500);
      assert.ok(!r.text.includes('cfast_') && !r.text.includes('cfut_') && !r.text.includes('cfat_') && !r.text.includes('"secret"'));
      assert.notEqual(o.fingerprint(sim), before, '500-after-commit committed');
      assert.deepEqual(
        sim.control.requests({ op: o.op }).map((x) => [x.fault, x.outcome]),
        [['500-after-commit', 'answered']],
      );
    });

    it(`${o.op}: late-commit applies the change after the client gave up, not before`, async () => {
      const before = o.fingerprint(sim);
      sim.control.addFault({ op: o.op, type: 'late-commit', delayMs: 400, fixed: true });
      const t0 = Date.now();
      assert.equal(await settled(call(sim, o.method, o.path, { ...o.opts, signal: AbortSignal.timeout(100) })), 'failed');
      assert.equal(o.fingerprint(sim), before, 'nothing applied when the client gives up');
      assert.equal(sim.control.state().config.pendingLateCommits, 1);
      await sim.control.settle();
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 480, `applied ${elapsed} ms after the request (≥ 100 ms timeout + 400 ms)`);
      assert.notEqual(o.fingerprint(sim), before, 'applied late');
      const rec = sim.control.requests({ op: o.op })[0];
      assert.deepEqual([rec?.fault, rec?.outcome, rec?.status, rec?.commitStatus], ['late-commit', 'hung', null, o.op.startsWith('create') ? 201 : 200]);
      assert.ok(rec?.committedAt !== undefined);
    });
  }
});

describe('simulator: late-commit', () => {
  let sim: SimulatorHandle;
  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it('a client that keeps waiting: applied delayMs after the request arrived, and still never answered', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 150, fixed: true });
    const pending = settled(call(sim, 'PUT', rollPath, { token: tok, body: {}, signal: AbortSignal.timeout(1500) }));
    while (sim.control.requests({ op: 'rollAccountToken' }).length === 0) await sleep(5);
    await sim.control.settle();
    const rec = sim.control.requests({ op: 'rollAccountToken' })[0];
    assert.ok(rec?.committedAt !== undefined);
    const lag = Date.parse(rec.committedAt) - Date.parse(rec.at);
    assert.ok(lag >= 140 && lag < 1000, `applied ${lag} ms after arrival`);
    assert.notEqual(deployValue(sim), DEMO.accountToken.value);
    assert.equal(await pending, 'failed', 'no answer even after the commit');
  });

  it('default delay: uniformly random up to 1,500 ms; GET /__sim/state counts pending commits; POST /__sim/settle waits', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit' });
    await settled(call(sim, 'PUT', rollPath, { token: tok, body: {}, signal: AbortSignal.timeout(50) }));
    const t0 = Date.now();
    const st = await ctl<{ config: { pendingLateCommits: number } }>(sim, 'GET', '/__sim/state');
    assert.ok(st.body.config.pendingLateCommits <= 1);
    assert.equal((await ctl(sim, 'POST', '/__sim/settle')).status, 200);
    assert.ok(Date.now() - t0 <= 1700, `settled after ${Date.now() - t0} ms`);
    assert.notEqual(deployValue(sim), DEMO.accountToken.value);
  });

  it('is processed against the state of its moment: a late roll whose admin value was rolled meanwhile is refused then (commitStatus 403)', async () => {
    const t = sim.control.addAccountToken(DEMO.accountId, { name: 'gone' });
    sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 100, fixed: true });
    await settled(call(sim, 'PUT', `/accounts/${DEMO.accountId}/tokens/${t.id}/value`, { token: tok, body: {}, signal: AbortSignal.timeout(20) }));
    // roll the admin meanwhile: the late request carried the old admin value → refused then
    const rolled = await call<string>(sim, 'PUT', `/user/tokens/${DEMO.admin.id}/value`, { token: tok, body: {} });
    assert.equal(rolled.status, 200);
    await sim.control.settle();
    const rec = sim.control.requests({ op: 'rollAccountToken' })[0];
    assert.equal(rec?.commitStatus, 403);
    assert.equal(sim.control.state().accountTokens.find((x) => x.id === t.id)?.version, 1);
  });

  it('reset() and close() drop pending late commits', async () => {
    sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 200, fixed: true });
    await settled(call(sim, 'PUT', rollPath, { token: tok, body: {}, signal: AbortSignal.timeout(20) }));
    sim.control.reset();
    await sim.control.settle();
    await sleep(300);
    assert.equal(deployValue(sim), DEMO.accountToken.value);
    const other = await start({ scenario: 'demo' });
    other.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 5000, fixed: true });
    const pending = settled(call(other, 'PUT', rollPath, { token: tok, body: {} }));
    await sleep(50);
    const waiting = other.control.settle();
    const c = Date.now();
    await other.close();
    await waiting;
    assert.ok(Date.now() - c < 1000);
    assert.equal(await pending, 'failed');
  });

  it('works when the client process is SIGKILLed mid-request: applied delayMs after the socket closed', async function () {
    this.timeout(15_000);
    sim.control.addFault({ op: 'rollAccountToken', type: 'late-commit', delayMs: 400, fixed: true });
    const script = `fetch(${JSON.stringify(`${sim.url}${rollPath}`)}, { method: 'PUT', headers: { authorization: 'Bearer ${tok}', 'content-type': 'application/json' }, body: '{}' }).then(() => console.log('answered'), (e) => console.log('failed', e)); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 10_000;
      while (sim.control.requests({ op: 'rollAccountToken' }).length === 0) {
        assert.ok(Date.now() < deadline, 'the child never sent its request');
        await sleep(10);
      }
      await sleep(50);
      const exited = new Promise((r) => child.once('exit', r));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
      assert.equal(deployValue(sim), DEMO.accountToken.value, 'not applied at the kill');
      await sim.control.settle();
      const appliedAfter = Date.now() - killedAt;
      assert.ok(appliedAfter >= 350, `applied ${appliedAfter} ms after the kill`);
      assert.notEqual(deployValue(sim), DEMO.accountToken.value, 'applied after the client died');
      assert.equal(sim.control.requests({ op: 'rollAccountToken' })[0]?.commitStatus, 200);
      assert.equal(out, '', 'the child never saw an answer');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('hang-after-commit and drop-after-commit also survive a SIGKILLed client (the change stays applied)', async function () {
    this.timeout(15_000);
    for (const type of ['hang-after-commit', 'drop-after-commit'] as const) {
      sim.control.reset();
      sim.control.addFault({ op: 'createMoqToken', type });
      const url = `${sim.url}/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`;
      const script = `fetch(${JSON.stringify(url)}, { method: 'POST', headers: { authorization: 'Bearer ${tok}', 'content-type': 'application/json' }, body: JSON.stringify({ operations: ['publish'] }) }).catch(() => {}); setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
      try {
        const deadline = Date.now() + 10_000;
        while (sim.control.requests({ op: 'createMoqToken' }).length === 0) {
          assert.ok(Date.now() < deadline, 'the child never sent its request');
          await sleep(10);
        }
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        await sleep(50);
        assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 2, type);
        assert.equal((await call(sim, 'GET', '/accounts', { token: tok })).status, 200, 'the simulator is still fine');
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
  });
});
