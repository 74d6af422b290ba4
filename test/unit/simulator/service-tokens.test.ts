import assert from 'node:assert/strict';
import { DEMO, PERMISSIONS, ScenarioBuilder, demoScenario, start } from '../../simulator';
import type { AccessCheckResult, SimulatorHandle } from '../../simulator';
import { call, code, ctl } from './helpers';

interface SvcSecret {
  id: string;
  client_id: string;
  client_secret?: string;
  client_secret_version: number;
  previous_client_secret_expires_at?: string;
  expires_at?: string;
  name: string;
}

const T0 = Date.parse('2030-03-01T12:00:00Z');
const HOUR = 3600_000;
const acct = `/accounts/${DEMO.accountId}/access/service_tokens`;
const zone = `/zones/${DEMO.zoneId}/access/service_tokens`;

describe('simulator: Access service tokens', () => {
  let sim: SimulatorHandle;
  let now = T0;
  const tok = DEMO.admin.value;

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
    assert.equal(r.body.result.client_secret_version, 2);
    assert.equal(r.body.result.previous_client_secret_expires_at, until);

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
    const r2 = await call<SvcSecret>(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: tok, body: {} });
    assert.equal(sim.control.accessCheck(clientId, r.body.result.client_secret as string).allowed, false);
    assert.equal(r2.body.result.client_secret_version, 3);
  });

  it('PUT with client_secret_version bumped returns a new (undeclared) client_secret; zone tokens too', async () => {
    for (const [base, t] of [
      [acct, DEMO.serviceToken],
      [zone, DEMO.zoneServiceToken],
    ] as const) {
      const until = new Date(T0 + 2 * HOUR).toISOString();
      const r = await call<SvcSecret>(sim, 'PUT', `${base}/${t.id}`, {
        token: tok,
        body: { client_secret_version: 2, previous_client_secret_expires_at: until },
      });
      assert.equal(r.status, 200, base);
      const fresh = r.body.result.client_secret;
      assert.ok(typeof fresh === 'string' && fresh !== t.clientSecret, base);
      assert.equal(r.body.result.client_secret_version, 2);
      assert.equal(sim.control.accessCheck(t.clientId, t.clientSecret).matched, 'previous');
      assert.equal(sim.control.accessCheck(t.clientId, fresh).matched, 'current');
      // same version again: no rotation, no secret
      const same = await call<SvcSecret>(sim, 'PUT', `${base}/${t.id}`, { token: tok, body: { client_secret_version: 2 } });
      assert.equal(same.status, 200);
      assert.equal(same.body.result.client_secret, undefined);
      // lower version → 400
      const lower = await call(sim, 'PUT', `${base}/${t.id}`, { token: tok, body: { client_secret_version: 1 } });
      assert.equal(lower.status, 400);
      assert.equal(code(lower), 1004);
    }
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
      const r = await call(sim, 'POST', `${zone}/${DEMO.zoneServiceToken.id}/${op}`, { token: tok, body: {} });
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
    now = Date.parse(r.body.result.expires_at as string) + 1;
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
    assert.equal(created.body.result.expires_at, new Date(now + HOUR).toISOString());
    const id = created.body.result.id;
    assert.equal(sim.control.accessCheck(created.body.result.client_id, created.body.result.client_secret as string).allowed, true);

    const list = await call<{ id: string; name: string }[]>(sim, 'GET', `${acct}?search=NEW`, { token: tok });
    assert.deepEqual(list.body.result.map((t) => t.id), [id]);
    assert.equal(list.body.result_info?.total_count, 1);
    const byName = await call<{ id: string }[]>(sim, 'GET', `${acct}?name=ci-access`, { token: tok });
    assert.deepEqual(byName.body.result.map((t) => t.id), [DEMO.serviceToken.id]);
    const zoneList = await call<{ id: string }[]>(sim, 'GET', zone, { token: tok });
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
      assert.equal((await call(sim, 'GET', zone, { token: reader.value })).status, 200);
      const r = await call(sim, 'POST', `${acct}/${DEMO.serviceToken.id}/rotate`, { token: reader.value });
      assert.equal(r.status, 403);
      assert.equal(code(r), 9109);
      assert.equal((await call(sim, 'GET', acct, { token: otherAdmin.value })).status, 403);
      assert.equal((await call(sim, 'PUT', `${zone}/${DEMO.zoneServiceToken.id}`, { token: otherAdmin.value, body: {} })).status, 403);
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
