import assert from 'node:assert/strict';
import { DEMO, PERMISSIONS, ScenarioBuilder, demoScenario, start } from '../../simulator';
import type { AccessCheckResult, SimulatorHandle } from '../../simulator';
import { call, code, ctl } from './helpers';

interface SvcSecret {
  id: string;
  client_id: string;
  client_secret?: string;
  expires_at?: string;
  name: string;
}

/** Declared fields: access_service-tokens @c92b9b0 + enabled (SDK); create / rotate: access_create_response + enabled. */
const SERVICE_TOKEN_FIELDS = ['id', 'client_id', 'name', 'duration', 'expires_at', 'created_at', 'updated_at', 'last_seen_at', 'enabled'];
const CREATE_FIELDS = ['id', 'client_id', 'client_secret', 'name', 'duration', 'created_at', 'updated_at', 'enabled'];
const undeclared = (o: object, allowed: string[]): string[] => Object.keys(o).filter((k) => !allowed.includes(k));

const T0 = Date.parse('2030-03-01T12:00:00Z');
const HOUR = 3600_000;
const acct = `/accounts/${DEMO.accountId}/access/service_tokens`;
const zone = `/zones/${DEMO.zoneId}/access/service_tokens`;

describe('simulator: Access service tokens', () => {
  let sim: SimulatorHandle;
  let now = T0;
  const tok = DEMO.admin.value;
  /** Zone-level Access operations declare email + Global API key only (A5). */
  const key = { email: DEMO.user.email, key: DEMO.user.globalApiKey };

  before(async () => {
    sim = await start({ scenario: 'demo', clock: () => now });
  });
  after(() => sim.close());
  beforeEach(() => {
    now = T0;
    sim.control.reset();
  });

  const check = (clientId: string, secret: string): Promise<{ status: number; body: AccessCheckResult }> =>
    ctl<AccessCheckResult>(sim, 'GET', '/__sim/access/check', undefined, {
      'CF-Access-Client-Id': clientId,
      'CF-Access-Client-Secret': secret,
    });

  it('rotate with previous_client_secret_expires_at: old accepted until the expiry, new always (injected clock)', async () => {
    const { clientId, clientSecret: old } = DEMO.serviceToken;
    const until = new Date(T0 + HOUR).toISOString();
    const r = await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, {
      token: tok,
      body: { previous_client_secret_expires_at: until },
    });
    assert.equal(r.status, 200);
    const fresh = r.body.result.client_secret as string;
    assert.match(fresh, /^cfast_[A-Za-z0-9]{40}[0-9a-f]{8}$/);
    assert.equal(r.body.result.client_id, clientId);
    assert.deepEqual(undeclared(r.body.result, CREATE_FIELDS), [], 'rotate serves access_create_response fields only');
    assert.equal(sim.control.state().serviceTokens.find((t) => t.id === DEMO.serviceToken.id)?.previousClientSecretExpiresAt, until);

    assert.deepEqual((await check(clientId, old)).body.matched, 'previous');
    assert.equal((await check(clientId, fresh)).body.allowed, true);
    now = T0 + HOUR - 1;
    assert.equal((await check(clientId, old)).body.allowed, true);
    now = T0 + HOUR;
    const after = await check(clientId, old);
    assert.equal(after.body.allowed, false);
    assert.match(after.body.reason, /previous client secret expired/);
    assert.equal((await check(clientId, fresh)).body.allowed, true);

    const st = sim.control.state().serviceTokens.find((t) => t.id === DEMO.serviceToken.id);
    assert.equal(st?.clientSecret, fresh);
    assert.equal(st?.previousClientSecret, old);
    assert.equal(st?.previousSecretAccepted, false);
  });

  it('rotate without a grace period: the old secret is rejected at once', async () => {
    const { clientId, clientSecret: old } = DEMO.serviceToken;
    const r = await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: tok });
    assert.equal(r.status, 200);
    assert.equal(sim.control.accessCheck(clientId, old).allowed, false);
    assert.equal(sim.control.accessCheck(clientId, r.body.result.client_secret as string).allowed, true);
    // an empty JSON body behaves the same
    await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: tok, body: {} });
    assert.equal(sim.control.accessCheck(clientId, r.body.result.client_secret as string).allowed, false);
    assert.equal(sim.control.state().serviceTokens.find((t) => t.id === DEMO.serviceToken.id)?.clientSecretVersion, 3);
  });

  it('GET / list / PUT / DELETE / refresh serve declared fields only: no client_secret_version, no previous_client_secret_expires_at (A3)', async () => {
    await call(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: tok, body: { previous_client_secret_expires_at: new Date(T0 + HOUR).toISOString() } });
    const bodies: Record<string, unknown>[] = [];
    const get = await call<Record<string, unknown>>(sim, 'GET', `${acct}/${DEMO.serviceToken.id}`, { token: tok });
    bodies.push(get.body.result);
    const list = await call<Record<string, unknown>[]>(sim, 'GET', acct, { token: tok });
    bodies.push(...list.body.result);
    const put = await call<Record<string, unknown>>(sim, 'PUT', `${acct}/${DEMO.serviceToken.id}`, { token: tok, body: { name: 'renamed' } });
    bodies.push(put.body.result);
    const ref = await call<Record<string, unknown>>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/refresh`, { token: tok });
    bodies.push(ref.body.result);
    const zget = await call<Record<string, unknown>>(sim, 'GET', `${zone}/${DEMO.zoneServiceToken.id}`, { key });
    bodies.push(zget.body.result);
    const del = await call<Record<string, unknown>>(sim, 'DELETE', `${acct}/${DEMO.serviceToken.id}`, { token: tok });
    bodies.push(del.body.result);
    for (const b of bodies) {
      assert.deepEqual(undeclared(b, SERVICE_TOKEN_FIELDS), [], JSON.stringify(b));
      for (const k of ['id', 'client_id', 'name', 'duration', 'created_at', 'updated_at', 'enabled']) assert.ok(k in b, k);
    }
    const created = await call<Record<string, unknown>>(sim, 'POST', acct, { token: tok, body: { name: 'n' } });
    assert.deepEqual(Object.keys(created.body.result).sort(), [...CREATE_FIELDS].sort());
  });

  it('PUT with client_secret_version bumped returns a new (undeclared) client_secret; zone tokens (Global API key) too', async () => {
    for (const [base, t, auth] of [
      [acct, DEMO.serviceToken, { token: tok }],
      [zone, DEMO.zoneServiceToken, { key }],
    ] as const) {
      const until = new Date(T0 + 2 * HOUR).toISOString();
      const r = await call<SvcSecret>(sim, 'PUT', `${base}/${t.id}`, {
        ...auth,
        body: { client_secret_version: 2, previous_client_secret_expires_at: until },
      });
      assert.equal(r.status, 200, base);
      const fresh = r.body.result.client_secret;
      assert.ok(typeof fresh === 'string' && fresh !== t.clientSecret, base);
      assert.match(fresh, /^cfast_[A-Za-z0-9]{40}[0-9a-f]{8}$/);
      assert.deepEqual(undeclared(r.body.result, [...SERVICE_TOKEN_FIELDS, 'client_secret']), [], 'only the undeclared secret is added');
      assert.equal(sim.control.accessCheck(t.clientId, t.clientSecret).matched, 'previous');
      assert.equal(sim.control.accessCheck(t.clientId, fresh).matched, 'current');
      assert.equal(sim.control.state().serviceTokens.find((x) => x.id === t.id)?.clientSecretVersion, 2);
    }
  });

  it('PUT with a version that is not greater rotates nothing, returns no secret, but moves previous_client_secret_expires_at (A3)', async () => {
    const { clientId, clientSecret: v1 } = DEMO.serviceToken;
    const path = `${acct}/${DEMO.serviceToken.id}`;
    const bump = await call<SvcSecret>(sim, 'PUT', path, { token: tok, body: { client_secret_version: 2, previous_client_secret_expires_at: new Date(T0 + HOUR).toISOString() } });
    const v2 = bump.body.result.client_secret as string;
    // a client that "reads the version from GET, falls back to 1" and sends 2 again, then 1
    for (const version of [2, 1]) {
      const later = new Date(T0 + (version + 5) * HOUR).toISOString();
      const again = await call<SvcSecret>(sim, 'PUT', path, { token: tok, body: { client_secret_version: version, previous_client_secret_expires_at: later } });
      assert.equal(again.status, 200, `version ${version}`);
      assert.ok(!('client_secret' in again.body.result), `version ${version}: no secret`);
      const st = sim.control.state().serviceTokens.find((t) => t.id === DEMO.serviceToken.id);
      assert.equal(st?.clientSecret, v2, 'nothing rotated');
      assert.equal(st?.clientSecretVersion, 2);
      assert.equal(st?.previousClientSecretExpiresAt, later, 'the grace window of the previous secret moved');
    }
    now = T0 + 6 * HOUR; // the first retry moved the grace to +7 h, the second to +6 h
    assert.equal(sim.control.accessCheck(clientId, v1).allowed, false);
    now = T0 + 6 * HOUR - 1;
    assert.equal(sim.control.accessCheck(clientId, v1).matched, 'previous');
  });

  it('PUT with only previous_client_secret_expires_at extends or revokes the grace window', async () => {
    const { clientId, clientSecret: old } = DEMO.serviceToken;
    await call(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, {
      token: tok,
      body: { previous_client_secret_expires_at: new Date(T0 + HOUR).toISOString() },
    });
    const extend = await call<SvcSecret>(sim, 'PUT', `${acct}/${DEMO.serviceToken.id}`, {
      token: tok,
      body: { previous_client_secret_expires_at: new Date(T0 + 5 * HOUR).toISOString() },
    });
    assert.equal(extend.status, 200);
    assert.equal(extend.body.result.client_secret, undefined);
    now = T0 + 3 * HOUR;
    assert.equal(sim.control.accessCheck(clientId, old).allowed, true);
    await call(sim, 'PUT', `${acct}/${DEMO.serviceToken.id}`, {
      token: tok,
      body: { previous_client_secret_expires_at: new Date(T0).toISOString() },
    });
    assert.equal(sim.control.accessCheck(clientId, old).allowed, false);
  });

  it('zone-level rotate and refresh do not exist → 404 7003', async () => {
    for (const op of ['rotate', 'refresh']) {
      const r = await call(sim, 'POST', `${zone}/${DEMO.zoneServiceToken.id}/${op}`, { key, body: {} });
      assert.equal(r.status, 404, op);
      assert.deepEqual(r.body.errors, [{ code: 7003, message: 'No route for the URI' }]);
    }
    assert.equal(sim.control.state().serviceTokens.find((t) => t.id === DEMO.zoneServiceToken.id)?.clientSecretVersion, 1);
  });

  it('disabled or expired tokens are never accepted; enabled:false via PUT also stops the previous secret', async () => {
    const { clientId, clientSecret: old } = DEMO.serviceToken;
    const r = await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, {
      token: tok,
      body: { previous_client_secret_expires_at: new Date(T0 + HOUR).toISOString() },
    });
    const fresh = r.body.result.client_secret as string;
    await call(sim, 'PUT', `${acct}/${DEMO.serviceToken.id}`, { token: tok, body: { enabled: false } });
    assert.equal(sim.control.accessCheck(clientId, old).allowed, false);
    assert.equal(sim.control.accessCheck(clientId, fresh).reason, 'service token is disabled');
    await call(sim, 'PUT', `${acct}/${DEMO.serviceToken.id}`, { token: tok, body: { enabled: true } });
    assert.equal(sim.control.accessCheck(clientId, fresh).allowed, true);
    const got = await call<SvcSecret>(sim, 'GET', `${acct}/${DEMO.serviceToken.id}`, { token: tok });
    now = Date.parse(got.body.result.expires_at as string) + 1;
    assert.equal(sim.control.accessCheck(clientId, fresh).reason, 'service token has expired');
  });

  it('refresh extends expires_at by the duration; create / list / get / delete', async () => {
    now = T0 + 10 * HOUR;
    const ref = await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/refresh`, { token: tok });
    assert.equal(ref.status, 200);
    assert.equal(ref.body.result.expires_at, new Date(now + 8760 * HOUR).toISOString());
    assert.equal(ref.body.result.client_secret, undefined);

    const created = await call<SvcSecret>(sim, 'POST', acct, { token: tok, body: { name: 'new one', duration: '60m' } });
    assert.equal(created.status, 201);
    assert.match(created.body.result.client_id, /^[0-9a-f]{32}\.access$/);
    assert.match(created.body.result.client_secret as string, /^cfast_[A-Za-z0-9]{40}[0-9a-f]{8}$/);
    assert.equal(created.body.result.expires_at, undefined, 'not declared in access_create_response');
    const id = created.body.result.id;
    const fetched = await call<SvcSecret>(sim, 'GET', `${acct}/${id}`, { token: tok });
    assert.equal(fetched.body.result.expires_at, new Date(now + HOUR).toISOString());
    assert.equal(sim.control.accessCheck(created.body.result.client_id, created.body.result.client_secret as string).allowed, true);

    const list = await call<{ id: string; name: string }[]>(sim, 'GET', `${acct}?search=NEW`, { token: tok });
    assert.deepEqual(list.body.result.map((t) => t.id), [id]);
    assert.equal(list.body.result_info?.total_count, 1);
    const byName = await call<{ id: string }[]>(sim, 'GET', `${acct}?name=ci-access`, { token: tok });
    assert.deepEqual(byName.body.result.map((t) => t.id), [DEMO.serviceToken.id]);
    const zoneList = await call<{ id: string }[]>(sim, 'GET', zone, { key });
    assert.deepEqual(zoneList.body.result.map((t) => t.id), [DEMO.zoneServiceToken.id]);

    const got = await call<Record<string, unknown>>(sim, 'GET', `${acct}/${id}`, { token: tok });
    assert.equal(got.status, 200);
    assert.equal(got.body.result.client_secret, undefined);
    const del = await call(sim, 'DELETE', `${acct}/${id}`, { token: tok });
    assert.equal(del.status, 200);
    assert.equal((await call(sim, 'GET', `${acct}/${id}`, { token: tok })).status, 404);
    assert.equal(sim.control.accessCheck(created.body.result.client_id, created.body.result.client_secret as string).reason, 'unknown client id');
    // a zone token is not visible through the account route
    assert.equal(code(await call(sim, 'GET', `${acct}/${DEMO.zoneServiceToken.id}`, { token: tok })), 1003);
  });

  it('validates bodies: bad JSON → 400 6007, bad fields → 400 1004', async () => {
    const cases: [string, string, string | undefined, unknown][] = [
      ['POST', acct, '{', undefined],
      ['POST', acct, undefined, { duration: '1h' }],
      ['POST', acct, undefined, { name: 'x', duration: '1 year' }],
      ['PUT', `${acct}/${DEMO.serviceToken.id}`, undefined, { previous_client_secret_expires_at: 'tomorrow' }],
      ['PUT', `${acct}/${DEMO.serviceToken.id}`, undefined, { client_secret_version: 'two' }],
      ['PUT', `${acct}/${DEMO.serviceToken.id}`, undefined, { client_secret_version: 0 }],
      ['PUT', `${acct}/${DEMO.serviceToken.id}`, undefined, { enabled: 'no' }],
      ['POST', `${acct}/${DEMO.serviceToken.id}/rotate`, undefined, { previous_client_secret_expires_at: 12 }],
    ];
    for (const [method, path, raw, body] of cases) {
      const r = await call(sim, method, path, raw !== undefined ? { token: tok, raw } : { token: tok, body });
      assert.equal(r.status, 400, `${method} ${path} ${raw ?? JSON.stringify(body)}`);
      assert.equal(code(r), raw !== undefined ? 6007 : 1004);
    }
  });

  it('permissions: read-only token can list but not rotate; account-owned token only in its account', async () => {
    const b = new ScenarioBuilder(demoScenario());
    const reader = b.userToken({ permissions: [PERMISSIONS.serviceTokensRead] });
    const other = b.account();
    const otherAdmin = b.accountToken(other.id, { permissions: [PERMISSIONS.serviceTokensWrite] });
    sim.control.reset(b.build());
    try {
      assert.equal((await call(sim, 'GET', acct, { token: reader.value })).status, 200);
      // zone level: no API token, whatever its permissions (email + Global API key only)
      assert.equal(code(await call(sim, 'GET', zone, { token: reader.value })), 10000);
      const r = await call(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: reader.value });
      assert.equal(r.status, 403);
      assert.equal(code(r), 9109);
      assert.equal((await call(sim, 'GET', acct, { token: otherAdmin.value })).status, 403);
      const z = await call(sim, 'PUT', `${zone}/${DEMO.zoneServiceToken.id}`, { token: otherAdmin.value, body: {} });
      assert.deepEqual([z.status, code(z)], [403, 10000]);
      assert.equal((await call(sim, 'GET', `/accounts/${other.id}/access/service_tokens`, { token: otherAdmin.value })).status, 200);
    } finally {
      sim.control.reset('demo');
    }
  });

  it('access check over HTTP reports missing headers', async () => {
    const r = await ctl<AccessCheckResult>(sim, 'GET', '/__sim/access/check');
    assert.equal(r.body.allowed, false);
    assert.match(r.body.reason, /missing/);
    const ok = await check(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret);
    assert.deepEqual(ok.body, { tokenId: DEMO.serviceToken.id, allowed: true, reason: 'current client secret', matched: 'current' });
  });
});
