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

  it('lists relays and gets one (no tokens in the relay object)', async () => {
    const list = await call<{ uid: string; name: string }[]>(sim, 'GET', `/accounts/${DEMO.accountId}/moq/relays`, { token: tok });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.result.map((r) => [r.uid, r.name]), [[DEMO.relay.id, DEMO.relay.name]]);
    assert.equal(list.body.result_info?.count, 1);
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

  it('rotate {type} returns a new token and invalidates the old one at once', async () => {
    const r = await call<{ token: string; type: string }>(sim, 'POST', `${relayPath}/tokens/rotate`, {
      token: tok,
      body: { type: 'publish_subscribe' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.result.type, 'publish_subscribe');
    assert.match(r.body.result.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, false);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).reason, 'token revoked');
    const check = sim.control.moqCheck(r.body.result.token);
    assert.equal(check.allowed, true);
    assert.deepEqual(check.operations, ['publish', 'subscribe']);
    const list = await call<TokensEnvelope>(sim, 'GET', `${relayPath}/tokens`, { token: tok });
    const items = list.body.result.issuers[0]?.cloudflare_tokens ?? [];
    assert.deepEqual(items.map((t) => t.jti), [jtiOf(r.body.result.token)]);
    assert.equal(items[0]?.label, 'encoder'); // keeps the label of the token it replaced
    assert.ok(items.every((t) => t.secret === undefined));
    // subscribe-type rotate leaves the publish_subscribe token alone
    await call(sim, 'POST', `${relayPath}/tokens/rotate`, { token: tok, body: { type: 'subscribe' } });
    assert.equal(sim.control.moqCheck(r.body.result.token).allowed, true);
  });

  it('rotate route switched off → 404 7003 and nothing changes', async () => {
    sim.control.setRouteEnabled('moqRotate', false);
    sim.control.addFault({ op: 'moqRotate', type: 'status', status: 500 }); // a removed route has no faults
    const r = await call(sim, 'POST', `${relayPath}/tokens/rotate`, { token: tok, body: { type: 'publish_subscribe' } });
    assert.equal(r.status, 404);
    assert.equal(sim.control.faults().length, 1);
    assert.deepEqual(r.body.errors, [{ code: 7003, message: 'No route for the URI' }]);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);
    assert.equal(sim.control.requests({ op: 'moqRotate' }).at(-1)?.status, 404);
  });

  it('fallback path: create a token (201, secret once), then delete the old jti decoded from the old value', async () => {
    sim.control.setRouteEnabled('moqRotate', false);
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
    // both valid until the old one is deleted
    assert.equal(sim.control.moqCheck(created.secret as string).allowed, true);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);

    const oldJti = jtiOf(DEMO.relay.token.value);
    const del = await call(sim, 'DELETE', `${relayPath}/tokens/${oldJti}`, { token: tok });
    assert.equal(del.status, 200);
    assert.equal(del.body.success, true);
    assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, false);
    // idempotent
    assert.equal((await call(sim, 'DELETE', `${relayPath}/tokens/${oldJti}`, { token: tok })).status, 200);
    const st = sim.control.state().moqRelays[0];
    assert.deepEqual(st?.tokens.map((t) => t.jti), [created.jti]);
    assert.deepEqual(st?.revokedJtis, [oldJti]);
  });

  it('at most 10 tokens per relay → 409 21009 (create and rotate)', async () => {
    for (let i = 0; i < 9; i++) {
      const r = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['subscribe'] } });
      assert.equal(r.status, 201, `token ${i + 2}`);
    }
    const full = await call(sim, 'POST', `${relayPath}/tokens`, { token: tok, body: { operations: ['publish'] } });
    assert.equal(full.status, 409);
    assert.equal(code(full), 21009);
    // rotating publish_subscribe replaces 1 token: still fits
    assert.equal((await call(sim, 'POST', `${relayPath}/tokens/rotate`, { token: tok, body: { type: 'publish_subscribe' } })).status, 200);
    assert.equal(sim.control.state().moqRelays[0]?.tokens.length, 10);
  });

  it('validation and not-found codes (21002/21003/21004/21007/21010/21012)', async () => {
    const far = new Date(Date.now() + 400 * 86400_000).toISOString();
    const cases: [string, string, { raw?: string; body?: unknown }, number, number][] = [
      ['POST', `${relayPath}/tokens`, {}, 400, 21002],
      ['POST', `${relayPath}/tokens`, { raw: '{' }, 400, 21004],
      ['POST', `${relayPath}/tokens`, { body: { operations: [] } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['admin'] } }, 400, 21010],
      ['POST', `${relayPath}/tokens`, { body: { operations: ['publish'], expires: far } }, 400, 21012],
      ['POST', `${relayPath}/tokens/rotate`, { body: { type: 'publish' } }, 400, 21010],
      ['GET', `/accounts/${DEMO.accountId}/moq/relays/not-hex`, {}, 400, 21003],
      ['GET', `/accounts/${DEMO.accountId}/moq/relays/${'c'.repeat(32)}`, {}, 404, 21007],
      ['DELETE', `${relayPath}/tokens/zzz`, {}, 400, 7003],
    ];
    for (const [method, path, o, status, c] of cases) {
      const r = await call(sim, method, path, { token: tok, ...o });
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(o)}`);
      assert.equal(code(r), c, `${method} ${path} ${JSON.stringify(o)}`);
    }
  });

  it('needs MoQ permissions: "me" (no MoQ permission) → 403 9109', async () => {
    const r = await call(sim, 'GET', `${relayPath}/tokens`, { token: DEMO.userToken.value });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
  });
});
