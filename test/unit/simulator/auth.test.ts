import assert from 'node:assert/strict';
import { DEMO, EMPTY_USER, ScenarioBuilder, emptyScenario, routeTable, start } from '../../simulator';
import type { SimulatorHandle } from '../../simulator';
import { call, code } from './helpers';

describe('simulator: authentication, routing and errors', () => {
  let sim: SimulatorHandle;
  const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };

  before(async () => {
    sim = await start({ scenario: 'demo' });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it('Global API key (X-Auth-Email + X-Auth-Key) works on GET /user and on Access service tokens; email is case-insensitive', async () => {
    assert.match(DEMO.user.globalApiKey, /^cfk_[A-Za-z0-9]{40}[0-9a-f]{8}$/, 'the demo key is in the 2026 format');
    const u = await call<{ id: string; email: string }>(sim, 'GET', '/user', { key });
    assert.equal(u.status, 200);
    assert.equal(u.body.result.id, DEMO.user.id);
    assert.equal(u.body.result.email, DEMO.user.email);
    const upper = await call(sim, 'GET', '/user', { key: { ...key, email: key.email.toUpperCase() } });
    assert.equal(upper.status, 200);
    const zone = await call(sim, 'GET', `/zones/${DEMO.zoneId}/access/service_tokens`, { key });
    assert.equal(zone.status, 200);
    const acc = await call(sim, 'POST', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`, { key });
    assert.equal(acc.status, 200);
  });

  it('declared security (A5): Global API key refused on API-token and MoQ operations, API token refused on zone-level Access → 403 10000 + documentation_url', async () => {
    const refusedKey = [
      ['GET', '/user/tokens'],
      ['PUT', `/user/tokens/${DEMO.userToken.id}/value`],
      ['GET', `/accounts/${DEMO.accountId}/tokens`],
      ['PUT', `/accounts/${DEMO.accountId}/tokens/${DEMO.accountToken.id}/value`],
      ['GET', `/accounts/${DEMO.accountId}/moq/relays`],
      ['POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`],
      ['DELETE', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens/${DEMO.relay.token.jti}`],
    ];
    for (const [method, p] of refusedKey) {
      const body = method === 'PUT' ? {} : method === 'POST' ? { operations: ['publish'] } : undefined;
      const r = await call(sim, method as string, p as string, { key, ...(body !== undefined ? { body } : {}) });
      assert.equal(r.status, 403, `${method} ${p}`);
      assert.deepEqual(r.body.errors.map((e) => [e.code, e.message]), [[10000, 'Forbidden']], `${method} ${p}`);
      assert.match(r.body.errors[0]?.documentation_url ?? '', /^https:\/\/developers\.cloudflare\.com\/api\/resources\//);
    }
    for (const [method, p, body] of [
      ['GET', `/zones/${DEMO.zoneId}/access/service_tokens`, undefined],
      ['PUT', `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`, { client_secret_version: 2 }],
      ['POST', `/zones/${DEMO.zoneId}/access/service_tokens`, { name: 'x' }],
    ] as const) {
      const r = await call(sim, method, p, { token: DEMO.admin.value, ...(body ? { body } : {}) });
      assert.equal(r.status, 403, `${method} ${p}`);
      assert.equal(code(r), 10000);
      assert.match(r.body.errors[0]?.documentation_url ?? '', /service_tokens\/methods\//);
    }
    // nothing changed
    const st = sim.control.state();
    assert.equal(st.accountTokens.find((t) => t.id === DEMO.accountToken.id)?.value, DEMO.accountToken.value);
    assert.equal(st.serviceTokens.find((t) => t.id === DEMO.zoneServiceToken.id)?.clientSecretVersion, 1);
    assert.equal(st.moqRelays[0]?.tokens.length, 1);
    // account-level Access: either scheme
    for (const o of [{ key }, { token: DEMO.admin.value }]) {
      assert.equal((await call(sim, 'GET', `/accounts/${DEMO.accountId}/access/service_tokens`, o)).status, 200);
    }
    // every route has a rule with a source
    for (const r of routeTable()) assert.ok(r.security.schemes.length > 0 && r.security.source.length > 0, `${r.method} ${r.path}`);
  });

  it('Global API key formats (A2): cfk_ + 40 + checksum and 37–45 lowercase hex are well-formed; others 400 6003/6103', async () => {
    const b = new ScenarioBuilder(emptyScenario());
    const fresh = b.user({ email: 'new@example.com' });
    assert.match(fresh.globalApiKey, /^cfk_[A-Za-z0-9]{40}[0-9a-f]{8}$/, 'minted in the 2026 format');
    sim.control.reset(b.build());
    try {
      assert.equal((await call(sim, 'GET', '/user', { key: { email: fresh.email, key: fresh.globalApiKey } })).status, 200);
      for (const wellFormed of ['a'.repeat(37), 'b'.repeat(45), `cfk_${'Z'.repeat(40)}0a1b2c3d`]) {
        const r = await call(sim, 'GET', '/user', { key: { email: fresh.email, key: wellFormed } });
        assert.equal(r.status, 401, wellFormed);
        assert.equal(code(r), 9103, wellFormed);
      }
      for (const bad of ['A'.repeat(37), 'a'.repeat(36), 'a'.repeat(46), `cfk_${'Z'.repeat(39)}`, `cfut_${'Z'.repeat(48)}`, 'cfk_abc-def']) {
        const r = await call(sim, 'GET', '/user', { key: { email: fresh.email, key: bad } });
        assert.equal(r.status, 400, bad);
        assert.deepEqual(r.body.errors[0]?.error_chain?.map((e) => e.code), [6103], bad);
      }
      sim.control.reset(emptyScenario()); // an old lowercase-hex key (37 characters) still works
      assert.equal((await call(sim, 'GET', '/user', { key: { email: EMPTY_USER.email, key: EMPTY_USER.globalApiKey } })).status, 200);
    } finally {
      sim.control.reset('demo');
    }
  });

  it('account-owned admin token (A1): verifies only on /accounts/{id}/tokens/verify, acts in its account, GET /accounts lists its account', async () => {
    const v = DEMO.accountAdmin.value;
    assert.match(v, /^cfat_[A-Za-z0-9]{40}[0-9a-f]{8}$/);
    const user = await call(sim, 'GET', '/user/tokens/verify', { token: v });
    assert.deepEqual([user.status, code(user)], [401, 1000]);
    const acc = await call<{ id: string; status: string }>(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: v });
    assert.deepEqual([acc.status, acc.body.result.id, acc.body.result.status], [200, DEMO.accountAdmin.id, 'active']);
    const accounts = await call<{ id: string }[]>(sim, 'GET', '/accounts', { token: v });
    assert.deepEqual(accounts.body.result.map((a) => a.id), [DEMO.accountId]);
    const roll = await call<string>(sim, 'PUT', `/accounts/${DEMO.accountId}/tokens/${DEMO.accountToken.id}/value`, { token: v, body: {} });
    assert.equal(roll.status, 200);
    assert.equal((await call(sim, 'POST', `/accounts/${DEMO.accountId}/access/service_tokens/${DEMO.serviceToken.id}/rotate`, { token: v })).status, 200);
    assert.equal((await call(sim, 'POST', `/accounts/${DEMO.accountId}/moq/relays/${DEMO.relay.id}/tokens`, { token: v, body: { operations: ['subscribe'] } })).status, 201);
    // user-level routes are not for it
    for (const p of ['/user/tokens', '/user']) {
      const r = await call(sim, 'GET', p, { token: v });
      assert.deepEqual([r.status, code(r)], [403, 9109], p);
    }
    // another account: 9109
    const other = sim.control.addAccount({ name: 'Other' });
    const r = await call(sim, 'GET', `/accounts/${other.id}/tokens`, { token: v });
    assert.deepEqual([r.status, code(r)], [403, 9109]);
    // the builder makes the same kind of token
    const b = new ScenarioBuilder(emptyScenario());
    const a = b.account();
    const admin = b.accountAdminToken(a.id);
    sim.control.reset(b.build());
    try {
      assert.equal((await call(sim, 'GET', `/accounts/${a.id}/tokens`, { token: admin.value })).status, 200);
      assert.equal((await call(sim, 'GET', `/accounts/${a.id}/tokens/verify`, { token: admin.value })).status, 200);
    } finally {
      sim.control.reset('demo');
    }
  });

  it('wrong Global API key → 401 9103; malformed key/email → 400 6003 with error_chain', async () => {
    const wrong = await call(sim, 'GET', '/user', { key: { ...key, key: 'f'.repeat(37) } });
    assert.equal(wrong.status, 401);
    assert.equal(code(wrong), 9103);
    assert.equal(wrong.body.errors[0]?.message, 'Unknown X-Auth-Key or X-Auth-Email');
    const wrongEmail = await call(sim, 'GET', '/user', { key: { ...key, email: 'someone@else.example' } });
    assert.equal(wrongEmail.status, 401);
    const malformed = await call(sim, 'GET', '/user', { key: { email: 'not-an-email', key: 'short' } });
    assert.equal(malformed.status, 400);
    assert.equal(code(malformed), 6003);
    assert.deepEqual(
      malformed.body.errors[0]?.error_chain?.map((e) => e.code),
      [6102, 6103],
    );
    const onlyEmail = await call(sim, 'GET', '/user', { headers: { 'x-auth-email': key.email } });
    assert.equal(onlyEmail.status, 400);
    assert.equal(code(onlyEmail), 6003);
  });

  it('bearer: unknown value → 401 10000; malformed header → 400 6003/6111; nothing → 400 9106', async () => {
    const unknown = await call(sim, 'GET', '/accounts', { token: `cfut_${'x'.repeat(48)}` });
    assert.equal(unknown.status, 401);
    assert.equal(code(unknown), 10000);
    assert.equal(unknown.body.errors[0]?.message, 'Authentication error');
    for (const h of ['Bearer', 'Bearer short', 'Basic abc', `Bearer ${EMPTY_USER.globalApiKey}`, `Bearer ${'x'.repeat(81)}`]) {
      const r = await call(sim, 'GET', '/accounts', { headers: { authorization: h } });
      assert.equal(r.status, 400, h);
      assert.equal(code(r), 6003, h);
      assert.equal(r.body.errors[0]?.error_chain?.[0]?.code, 6111, h);
    }
    const none = await call(sim, 'GET', '/accounts');
    assert.equal(none.status, 400);
    assert.equal(code(none), 9106);
  });

  it('verify routes need a bearer token: X-Auth only → 400 1001; no permission needed', async () => {
    const r = await call(sim, 'GET', '/user/tokens/verify', { key });
    assert.equal(r.status, 400);
    assert.equal(code(r), 1001);
    // "me" has no API-token permissions but can verify itself
    const me = await call<{ id: string }>(sim, 'GET', '/user/tokens/verify', { token: DEMO.userToken.value });
    assert.equal(me.status, 200);
    assert.equal(me.body.result.id, DEMO.userToken.id);
    const deploy = await call<{ id: string }>(sim, 'GET', `/accounts/${DEMO.accountId}/tokens/verify`, { token: DEMO.accountToken.value });
    assert.equal(deploy.status, 200);
    assert.equal(deploy.body.result.id, DEMO.accountToken.id);
  });

  it('a token without the permission gets 403 9109 on GET /user', async () => {
    const r = await call(sim, 'GET', '/user', { token: DEMO.userToken.value });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
    assert.equal(r.body.errors[0]?.message, 'Unauthorized to access requested resource');
  });

  it('unknown route → 404 7003 "No route for the URI" (even without auth); wrong method → 405 7001', async () => {
    for (const p of ['/nope', '/user/tokens/verify/extra', `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}/refresh`]) {
      const r = await call(sim, 'GET', p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.body.errors, [{ code: 7003, message: 'No route for the URI' }], p);
    }
    const outside = await fetch(`${sim.origin}/client/v3/user`);
    assert.equal(outside.status, 404);
    const m = await call(sim, 'DELETE', `/user/tokens/${DEMO.userToken.id}/value`, { token: DEMO.admin.value });
    assert.equal(m.status, 405);
    assert.equal(code(m), 7001);
  });

  it('malformed object ids → 400 7003 "Could not route…" (checked before auth)', async () => {
    const cases = [
      '/accounts/xyz/tokens',
      `/accounts/${DEMO.accountId.toUpperCase()}/tokens`,
      `/accounts/${DEMO.accountId}/access/service_tokens/not-a-uuid`,
      `/zones/${DEMO.zoneId}x/access/service_tokens`,
    ];
    for (const p of cases) {
      const r = await call(sim, 'GET', p);
      assert.equal(r.status, 400, p);
      assert.equal(code(r), 7003, p);
      assert.match(r.body.errors[0]?.message ?? '', /^Could not route to .*perhaps your object identifier is invalid\?$/);
    }
  });

  it('unknown but well-formed account → 403 9109 (even with the Global API key) with documentation_url', async () => {
    const r = await call(sim, 'GET', `/accounts/${'a'.repeat(32)}/access/service_tokens`, { key });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
    assert.equal(r.body.errors[0]?.documentation_url, 'https://developers.cloudflare.com/api/resources/zero_trust/subresources/access/subresources/service_tokens/methods/list/');
    const t = await call(sim, 'GET', `/accounts/${'a'.repeat(32)}/tokens`, { token: DEMO.admin.value });
    assert.deepEqual([t.status, code(t)], [403, 9109]);
  });

  it('discovery: /accounts and /zones (account.id filter) with result_info', async () => {
    const acc = await call<{ id: string; name: string }[]>(sim, 'GET', '/accounts', { token: DEMO.admin.value });
    assert.equal(acc.status, 200);
    assert.deepEqual(acc.body.result.map((a) => [a.id, a.name]), [[DEMO.accountId, DEMO.accountName]]);
    assert.equal(acc.body.result_info?.total_count, 1);
    const zones = await call<{ id: string; name: string; account: { id: string } }[]>(sim, 'GET', `/zones?account.id=${DEMO.accountId}`, {
      token: DEMO.admin.value,
    });
    assert.deepEqual(zones.body.result.map((z) => [z.id, z.name, z.account.id]), [[DEMO.zoneId, DEMO.zoneName, DEMO.accountId]]);
    const none = await call<unknown[]>(sim, 'GET', `/zones?account.id=${'b'.repeat(32)}`, { token: DEMO.admin.value });
    assert.deepEqual(none.body.result, []);
    // an account-owned token sees its own account only
    const own = await call<{ id: string }[]>(sim, 'GET', '/accounts', { token: DEMO.accountToken.value });
    assert.deepEqual(own.body.result.map((a) => a.id), [DEMO.accountId]);
  });

  it('uses last_used_on: a successful call stamps the token', async () => {
    sim.control.setNow('2031-05-05T05:05:05Z');
    await call(sim, 'GET', '/accounts', { token: DEMO.userToken.value });
    const r = await call<{ last_used_on: string }>(sim, 'GET', `/user/tokens/${DEMO.userToken.id}`, { token: DEMO.admin.value });
    assert.equal(r.body.result.last_used_on, '2031-05-05T05:05:05.000Z');
  });
});
