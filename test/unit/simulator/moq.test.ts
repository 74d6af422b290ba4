import assert from 'node:assert/strict';
import { DEMO, decodeMoqJwt, start } from '../../simulator';
import type { SimulatorHandle } from '../../simulator';
import { call, code } from './helpers';

interface TokenItem {
  jti: string;
  operations: string[];
  created: string;
  expires: string;
  label?: string;
  secret?: string;
}
interface TokensEnvelope {
  issuers: { type: string; issuer: string; cloudflare_tokens: TokenItem[] }[];
}

const relayPath = `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}`;

/** Decodes the jti from a JWT payload the way the product does (no signature check). */
function jtiOf(jwt: string): string {
  const payload = jwt.split('.')[1] as string;
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti: string }).jti;
}

describe('simulator: MoQ relays', () => {
  let sim: SimulatorHandle;
  const tok = DEMO.admin.value;

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it('lists relays (cursor pagination: result_info {count, total}) and gets one (no tokens in the relay object)', async () => {
    const list = await call<{ uid: string; name: string }[]>(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays`, { token: tok });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.result.map((r) => [r.uid, r.name]), [[DEMO.relay.id, DEMO.relay.name]]);
    assert.deepEqual(list.body.result_info, { count: 1, total: 1 });
    for (let i = 0; i < 3; i++) sim.control.addMoqRelay({ accountId: DEMO.accountId, name: `r${i}`, created: `2026-0${i + 1}-01T00:00:00Z` });
    const page = await call<{ created: string }[]>(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays?per_page=2&asc=true`, { token: tok });
    assert.deepEqual(page.body.result_info, { count: 2, total: 4 });
    const next = await call<unknown[]>(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays?per_page=2&asc=true&created_after=${page.body.result[1]?.created}`, { token: tok });
    assert.deepEqual(next.body.result_info, { count: 2, total: 2 });
    const clamped = await call<unknown[]>(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays?per_page=100000`, { token: tok });
    assert.equal(clamped.status, 200, 'per_page above the maximum is clamped, not rejected');
    const one = await call<Record<string, unknown>>(sim, 'GET', relayPath, { token: tok });
    assert.equal(one.body.result.uid, DEMO.relay.id);
    assert.equal(one.body.result.status, 'connected');
    assert.deepEqual(one.body.result.config, {});
    assert.ok(!('tokens' in one.body.result));
  });

  it('the demo token is a JWT whose payload carries the jti', () => {
    assert.equal(jtiOf(DEMO.relay.token.value), DEMO.relay.token.jti);
    assert.equal(decodeMoqJwt(DEMO.relay.token.value)?.sub, DEMO.relay.id);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);
  });

  for (const [status, errCode, message] of [
    [404, 7003, 'No route for the URI'],
    [405, 7001, 'Method not allowed for this route'],
    [400, 7003, undefined],
  ] as const) {
    it(`POST …/tokens/rotate is gone upstream (A4): ${status} ${errCode} when configured so; nothing changes, no operation, no fault`, async () => {
      if (status !== 404) sim.control.configure({ removedRouteStatus: status });
      sim.control.addFault({ type: 'status', status: 500 }); // a removed route uses up no fault
      const r = await call(sim, 'POST', `${relayPath}/tokens/rotate`, { token: tok, body: { type: 'publish_subscribe' } });
      assert.equal(r.status, status);
      assert.equal(code(r), errCode);
      if (message !== undefined) assert.equal(r.body.errors[0]?.message, message);
      else assert.match(r.body.errors[0]?.message ?? '', /^Could not route to .*tokens\/rotate, perhaps your object identifier is invalid\?$/);
      assert.equal(sim.control.faults().length, 1);
      assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);
      assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 1);
      const rec = sim.control.requests().at(-1);
      assert.deepEqual([rec?.op, rec?.status], [null, status]);
      assert.equal(sim.control.requests({ op: 'moqRotate' }).length, 0);
      // answered before authentication, as an unknown route is
      assert.equal((await call(sim, 'POST', `${relayPath}/tokens/rotate`)).status, status);
    });
  }

  it('a fault on the removed moqRotate operation is refused', () => {
    assert.throws(() => sim.control.addFault({ op: 'moqRotate', type: 'status', status: 500 }), /removed upstream/);
  });

  it('rotation today: create a token (201, secret once), then delete the old jti decoded from the old value; DELETE has no result', async () => {
    const c = await call<TokensEnvelope>(sim, 'POST', `${relayPath}/tokens`, {
      token: tok,
      body: { operations: ['publish', 'subscribe'], label: 'cf-rotate' },
    });
    assert.equal(c.status, 201);
    const issuer = c.body.result.issuers[0];
    assert.equal(issuer?.type, 'cloudflare_jwt');
    assert.equal(issuer?.issuer, 'cloudflare');
    const created = issuer?.cloudflare_tokens[0] as TokenItem;
    assert.equal(created.label, 'cf-rotate');
    assert.equal(jtiOf(created.secret as string), created.jti);
    assert.equal(Date.parse(created.expires) - Date.parse(created.created), 365 * 86400_000, 'default expiry: 1 year');
    // both valid until the old one is deleted
    assert.equal(sim.control.moqCheck(created.secret as string).allowed, true);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);

    const oldJti = jtiOf(DEMO.relay.token.value);
    const del = await call(sim, 'DELETE', `${relayPath}/tokens/${oldJti}`, { token: tok });
    assert.equal(del.status, 200);
    assert.deepEqual(JSON.parse(del.text), { success: true, errors: [], messages: [] }, 'moq_api-response-common: no result');
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, false);
    // idempotent, also for a jti that never existed
    assert.equal((await call(sim, 'DELETE', `${relayPath}/tokens/${oldJti}`, { token: tok })).status, 200);
    assert.equal((await call(sim, 'DELETE', `${relayPath}/tokens/${'e'.repeat(32)}`, { token: tok })).status, 200);
    const st = sim.control.state().moqRelays[0];
    assert.deepEqual(st?.tokens.map((t) => t.jti), [created.jti]);
    assert.deepEqual(st?.revokedJtis, [oldJti]);
    // list: metadata only
    const list = await call<TokensEnvelope>(sim, 'GET', `${relayPath}/tokens`, { token: tok });
    const items = list.body.result.issuers[0]?.cloudflare_tokens ?? [];
    assert.deepEqual(items.map((t) => t.jti), [created.jti]);
    assert.ok(items.every((t) => t.secret === undefined && typeof t.expires === 'string'));
  });

  it('revocation takes effect within the cache TTL: moqRevocationDelayMs (default 0)', async () => {
    let now = Date.parse('2027-01-01T00:00:00Z');
    sim.control.setNow(now);
    sim.control.configure({ moqRevocationDelayMs: 5000 });
    const del = await call(sim, 'DELETE', `${relayPath}/tokens/${DEMO.relay.token.jti}`, { token: tok });
    assert.equal(del.status, 200);
    const during = sim.control.moqCheck(DEMO.relay.token.value);
    assert.equal(during.allowed, true);
    assert.match(during.reason, /still in the relay's cache until 2027-01-01T00:00:05.000Z/);
    // gone from the registry at once (list, token count)
    assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 0);
    now += 5000;
    sim.control.setNow(now);
    assert.deepEqual(sim.control.moqCheck(DEMO.relay.token.value), {
      relayId: DEMO.relay.id,
      jti: DEMO.relay.token.jti,
      allowed: false,
      reason: 'token revoked',
    });
  });

  it('at most 10 tokens per relay → the 11th create is 409 21009; a deletion makes room', async () => {
    for (let i = 0; i < 9; i++) {
      const r = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['subscribe'] } });
      assert.equal(r.status, 201, `token ${i + 2}`);
    }
    const full = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'] } });
    assert.equal(full.status, 409);
    assert.equal(code(full), 21009);
    assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 10);
    await call(sim, 'DELETE', `${relayPath}/tokens/${DEMO.relay.token.jti}`, { token: tok });
    assert.equal((await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'] } })).status, 201);
  });

  it('expires: at most 1 year out (21012), in the future, RFC 3339; exactly 1 year is accepted', async () => {
    sim.control.setNow('2027-03-01T00:00:00Z');
    const year = new Date(Date.parse('2027-03-01T00:00:00Z') + 365 * 86400_000).toISOString();
    const ok = await call<TokensEnvelope>(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'], expires: year } });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.result.issuers[0]?.cloudflare_tokens[0]?.expires, year);
    const tooLong = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'], expires: '2028-03-01T00:00:01Z' } });
    assert.deepEqual([tooLong.status, code(tooLong)], [400, 21012]);
    const past = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'], expires: '2027-02-01T00:00:00Z' } });
    assert.deepEqual([past.status, code(past)], [400, 21004]);
  });

  it('validation and not-found codes (21002/21003/21004/21007/21010/21012); operations is an enum in the SDK: others → 21010', async () => {
    const far = new Date(Date.now() + 400 * 86400_000).toISOString();
    const cases: [string, string, { raw?: string; body?: unknown }, number, number][] = [
      ['POST', `${relayPath}/tokens`, {}, 400, 21002],
      ['POST', `${relayPath}/tokens`, { raw: '{' }, 400, 21004],
      ['POST', `${relayPath}/tokens`, { body: { operations: [] } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['admin'] } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['publish', 'SUBSCRIBE_NAMESPACE'] } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: 'publish' } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['publish'], expires: far } }, 400, 21012],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['publish'], label: 7 } }, 400, 21004],
      ['GET', `/accounts/${DEMO.accountId}/moq/relays/not-hex`, {}, 400, 21003],
      ['GET', `/accounts/${DEMO.accountId}/moq/relays/${'c'.repeat(32)}`, {}, 404, 21007],
      ['POST', `/accounts/${DEMO.accountId}/moq/relays/${'c'.repeat(32)}/tokens`, { body: { operations: ['publish'] } }, 404, 21007],
      ['DELETE', `${relayPath}/tokens/zzz`, {}, 400, 7003],
    ];
    for (const [method, path, o, status, c] of cases) {
      const r = await call(sim, method, path, { token: tok, ...o });
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(o)}`);
      assert.equal(code(r), c, `${method} ${path} ${JSON.stringify(o)}`);
      assert.deepEqual(Object.keys(r.body.errors[0] ?? {}).sort(), ['code', 'message'], 'MoQ errors are {code, message}');
    }
  });

  it('needs MoQ permissions: "me" (no MoQ permission) → 403 9109', async () => {
    const r = await call(sim, 'GET', `${relayPath}/tokens`, { token: DEMO.userToken.value });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
  });
});
