import assert from 'node:assert/strict';
import { DEMO, PERMISSIONS, ScenarioBuilder, start } from '../../simulator';
import type { SimulatorHandle } from '../../simulator';
import { call, code } from './helpers';

describe('simulator: API tokens', () => {
  let sim: SimulatorHandle;
  const b = new ScenarioBuilder();
  const accA = b.account({ name: 'A' });
  const accB = b.account({ name: 'B' });
  const admin = b.adminToken();
  const readOnly = b.userToken({ name: 'reader', permissions: [PERMISSIONS.apiTokensRead, PERMISSIONS.accountApiTokensRead] });
  const limitedToA = b.userToken({ name: 'only A', permissions: [PERMISSIONS.accountApiTokensWrite], accounts: [accA.id] });
  const acctAdminA = b.accountToken(accA.id, { name: 'A admin', permissions: [PERMISSIONS.accountApiTokensWrite] });
  const targetA = b.accountToken(accA.id, { name: 'deploy A' });
  const targetB = b.accountToken(accB.id, { name: 'deploy B' });
  const me = b.userToken({ name: 'me' });
  const disabled = b.userToken({ name: 'off', status: 'disabled', permissions: [PERMISSIONS.apiTokensRead] });
  const expiring = b.userToken({ name: 'soon', expiresOn: '2030-01-01T00:00:00Z', permissions: [PERMISSIONS.apiTokensRead] });
  for (let i = 0; i < 30; i++) b.userToken({ name: `bulk ${i}` });
  const scenario = b.build();

  before(async () => {
    sim = await start({ scenario });
  });
  after(() => sim.close());
  beforeEach(() => sim.control.reset());

  it('rolls a user token: old value 401 at once, new value verifies active', async () => {
    const roll = await call<string>(sim, 'PUT', `/user/tokens/${me.id}/value`, { token: admin.value, body: {} });
    assert.equal(roll.status, 200);
    const fresh = roll.body.result;
    assert.match(fresh, /^cfut_[A-Za-z0-9]{40}[0-9a-f]{8}$/);
    assert.ok(fresh.length >= 40 && fresh.length <= 80);

    const oldVerify = await call(sim, 'GET', '/user/tokens/verify', { token: me.value });
    assert.equal(oldVerify.status, 401);
    assert.equal(code(oldVerify), 1000);
    const newVerify = await call<{ id: string; status: string }>(sim, 'GET', '/user/tokens/verify', { token: fresh });
    assert.equal(newVerify.status, 200);
    assert.deepEqual(newVerify.body.result, { id: me.id, status: 'active' });
    assert.deepEqual(newVerify.body.messages, [{ code: 10000, message: 'This API Token is valid and active' }]);

    const st = sim.control.state().userTokens.find((t) => t.id === me.id);
    assert.equal(st?.value, fresh);
    assert.equal(st?.previousValue, me.value);
    assert.equal(st?.version, 2);
  });

  it('rolls an account token: old value rejected on any call, new value verifies on the account route', async () => {
    const roll = await call<string>(sim, 'PUT', `/accounts/${accA.id}/tokens/${targetA.id}/value`, { token: admin.value, body: {} });
    assert.equal(roll.status, 200);
    assert.match(roll.body.result, /^cfat_/);
    const old = await call(sim, 'GET', `/accounts/${accA.id}/tokens/verify`, { token: targetA.value });
    assert.equal(old.status, 401);
    const ok = await call<{ id: string; status: string }>(sim, 'GET', `/accounts/${accA.id}/tokens/verify`, { token: roll.body.result });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.result.status, 'active');
    assert.equal(ok.body.result.id, targetA.id);
    // an account-owned token (cfat_) is 401 1000 on the user verify route (A1), and on another account's
    for (const p of ['/user/tokens/verify', `/accounts/${accB.id}/tokens/verify`]) {
      const r = await call(sim, 'GET', p, { token: roll.body.result });
      assert.equal(r.status, 401, p);
      assert.equal(code(r), 1000, p);
      assert.equal(r.body.errors[0]?.message, 'Invalid API Token');
    }
  });

  it('a roll moves modified_on (issued_on stays) and keeps the id', async () => {
    sim.control.setNow('2031-02-03T04:05:06Z');
    const roll = await call<string>(sim, 'PUT', `/user/tokens/${me.id}/value`, { token: admin.value, body: {} });
    assert.equal(roll.status, 200);
    const r = await call<{ id: string; issued_on: string; modified_on: string }>(sim, 'GET', `/user/tokens/${me.id}`, { token: admin.value });
    assert.equal(r.body.result.id, me.id);
    assert.equal(r.body.result.modified_on, '2031-02-03T04:05:06.000Z');
    assert.notEqual(r.body.result.issued_on, r.body.result.modified_on);
  });

  it('a rolled admin token is dead everywhere at once: 403 9109 with documentation_url (A6, A8), never 200', async () => {
    const roll = await call<string>(sim, 'PUT', `/user/tokens/${admin.id}/value`, { token: admin.value, body: {} });
    assert.equal(roll.status, 200);
    for (const p of ['/user/tokens', '/accounts', `/accounts/${accA.id}/tokens`]) {
      const again = await call(sim, 'GET', p, { token: admin.value });
      assert.equal(again.status, 403, p);
      assert.equal(code(again), 9109, p);
      assert.match(again.body.errors[0]?.documentation_url ?? '', /^https:\/\/developers\.cloudflare\.com\/api\/resources\//, p);
    }
    // verify reports it as an invalid token
    assert.equal(code(await call(sim, 'GET', '/user/tokens/verify', { token: admin.value })), 1000);
    assert.equal((await call(sim, 'GET', '/user/tokens', { token: roll.body.result })).status, 200);
  });

  it('account-owned token acting on another account → 403 9109; in its own account it works', async () => {
    const other = await call(sim, 'PUT', `/accounts/${accB.id}/tokens/${targetB.id}/value`, { token: acctAdminA.value, body: {} });
    assert.equal(other.status, 403);
    assert.equal(code(other), 9109);
    const own = await call(sim, 'PUT', `/accounts/${accA.id}/tokens/${targetA.id}/value`, { token: acctAdminA.value, body: {} });
    assert.equal(own.status, 200);
    // and it cannot use user-level routes
    assert.equal((await call(sim, 'GET', '/user/tokens', { token: acctAdminA.value })).status, 403);
  });

  it('user token limited to account A → 403 on account B', async () => {
    assert.equal((await call(sim, 'PUT', `/accounts/${accA.id}/tokens/${targetA.id}/value`, { token: limitedToA.value, body: {} })).status, 200);
    const r = await call(sim, 'PUT', `/accounts/${accB.id}/tokens/${targetB.id}/value`, { token: limitedToA.value, body: {} });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
  });

  it('missing permission → 403 9109 (read-only token cannot roll); read works', async () => {
    const r = await call(sim, 'PUT', `/user/tokens/${me.id}/value`, { token: readOnly.value, body: {} });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
    assert.equal(r.body.success, false);
    assert.equal(r.body.result, null);
    assert.equal((await call(sim, 'GET', `/user/tokens/${me.id}`, { token: readOnly.value })).status, 200);
    assert.equal((await call(sim, 'GET', `/accounts/${accB.id}/tokens`, { token: readOnly.value })).status, 200);
    // unchanged state
    assert.equal(sim.control.state().userTokens.find((t) => t.id === me.id)?.value, me.value);
  });

  it('roll requires a JSON object body; unknown token id → 404; malformed id → 400 7003', async () => {
    const noBody = await call(sim, 'PUT', `/user/tokens/${me.id}/value`, { token: admin.value });
    assert.equal(noBody.status, 400);
    assert.equal(code(noBody), 6007);
    const bad = await call(sim, 'PUT', `/user/tokens/${me.id}/value`, { token: admin.value, raw: '{not json' });
    assert.equal(bad.status, 400);
    assert.equal(code(bad), 6007);
    const missing = await call(sim, 'PUT', `/user/tokens/${'0'.repeat(32)}/value`, { token: admin.value, body: {} });
    assert.equal(missing.status, 404);
    assert.equal(code(missing), 1003);
    const malformed = await call(sim, 'PUT', '/user/tokens/not-an-id/value', { token: admin.value, body: {} });
    assert.equal(malformed.status, 400);
    assert.equal(code(malformed), 7003);
    // an account token is not found via the user route
    assert.equal((await call(sim, 'GET', `/user/tokens/${targetA.id}`, { token: admin.value })).status, 404);
  });

  it('lists with page / per_page / direction and result_info; per_page outside 5–50 → 400', async () => {
    const p1 = await call<{ id: string; name: string }[]>(sim, 'GET', '/user/tokens?per_page=5', { token: admin.value });
    assert.equal(p1.status, 200);
    assert.equal(p1.body.result.length, 5);
    // 36 user tokens; expired ones are hidden without include_expired (none expired yet)
    assert.deepEqual(p1.body.result_info, { page: 1, per_page: 5, count: 5, total_count: 36, total_pages: 8 });
    const last = await call<unknown[]>(sim, 'GET', '/user/tokens?per_page=5&page=8', { token: admin.value });
    assert.equal(last.body.result.length, 1);
    const def = await call<unknown[]>(sim, 'GET', '/user/tokens', { token: admin.value });
    assert.equal(def.body.result_info?.per_page, 20);
    const desc = await call<{ name: string }[]>(sim, 'GET', '/user/tokens?direction=desc&per_page=5', { token: admin.value });
    assert.equal(desc.body.result[0]?.name, 'bulk 29');
    for (const q of ['per_page=4', 'per_page=51', 'page=0', 'direction=up']) {
      const r = await call(sim, 'GET', `/user/tokens?${q}`, { token: admin.value });
      assert.equal(r.status, 400, q);
      assert.equal(code(r), 1004, q);
    }
    const acc = await call<{ id: string }[]>(sim, 'GET', `/accounts/${accA.id}/tokens`, { token: admin.value });
    assert.deepEqual(
      acc.body.result.map((t) => t.id).sort(),
      [acctAdminA.id, targetA.id].sort(),
    );
  });

  it('result_info.page echoes the page served; past the last page: empty (default) or the last page again (pastLastPage)', async () => {
    const p2 = await call<unknown[]>(sim, 'GET', '/user/tokens?per_page=50&page=1', { token: admin.value });
    assert.equal(p2.body.result_info?.page, 1);
    const beyond = await call<unknown[]>(sim, 'GET', '/user/tokens?per_page=10&page=9', { token: admin.value });
    assert.deepEqual([beyond.body.result.length, beyond.body.result_info?.page, beyond.body.result_info?.total_pages], [0, 9, 4]);
    sim.control.configure({ pastLastPage: 'last' });
    const clamped = await call<unknown[]>(sim, 'GET', '/user/tokens?per_page=10&page=9', { token: admin.value });
    assert.deepEqual([clamped.body.result.length, clamped.body.result_info?.page], [6, 4]);
  });

  it('wrong-page fault: serves (and names) another page than the one asked, so a client can stop', async () => {
    sim.control.addFault({ op: 'listUserTokens', type: 'wrong-page', times: -1 });
    const first = await call<{ id: string }[]>(sim, 'GET', '/user/tokens?per_page=5&page=1', { token: admin.value });
    const second = await call<{ id: string }[]>(sim, 'GET', '/user/tokens?per_page=5&page=2', { token: admin.value });
    assert.equal(second.body.result_info?.page, 1, 'names the page it served, not the one asked');
    assert.deepEqual(second.body.result.map((t) => t.id), first.body.result.map((t) => t.id));
    assert.equal(sim.control.requests({ op: 'listUserTokens' }).at(-1)?.fault, 'wrong-page');
    sim.control.clearFaults();
    sim.control.addFault({ type: 'wrong-page', page: 3 }); // no op: only paged lists use it up
    assert.equal((await call(sim, 'GET', '/user/tokens/verify', { token: admin.value })).status, 200);
    assert.equal(sim.control.faults().length, 1);
    const third = await call<unknown[]>(sim, 'GET', `/accounts/${accA.id}/tokens?per_page=5`, { token: admin.value });
    assert.equal(third.body.result_info?.page, 3);
    assert.equal(third.body.result.length, 0);
    assert.throws(() => sim.control.addFault({ op: 'rollUserToken', type: 'wrong-page' }), /not paginated/);
  });

  it('token objects carry Cloudflare fields and never the secret', async () => {
    const r = await call<Record<string, unknown>>(sim, 'GET', `/user/tokens/${limitedToA.id}`, { token: admin.value });
    const t = r.body.result;
    for (const k of ['id', 'name', 'status', 'issued_on', 'modified_on', 'policies']) assert.ok(k in t, k);
    assert.ok(!JSON.stringify(t).includes(limitedToA.value));
    const policies = t.policies as { resources: Record<string, string>; permission_groups: { name: string }[] }[];
    assert.deepEqual(Object.keys(policies[0]?.resources ?? {}), [`com.cloudflare.api.account.${accA.id}`]);
    assert.deepEqual(policies[0]?.permission_groups.map((g) => g.name), [PERMISSIONS.accountApiTokensWrite]);
  });

  it('disabled (403 9109) and expired (401 10000) tokens cannot call; verify reports the status; include_expired lists them', async () => {
    const r = await call(sim, 'GET', '/user/tokens', { token: disabled.value });
    assert.equal(r.status, 403);
    assert.equal(code(r), 9109);
    const v = await call<{ status: string }>(sim, 'GET', '/user/tokens/verify', { token: disabled.value });
    assert.equal(v.status, 200);
    assert.equal(v.body.result.status, 'disabled');
    assert.deepEqual(v.body.messages, []);

    assert.equal((await call(sim, 'GET', '/user/tokens', { token: expiring.value })).status, 200);
    sim.control.setNow('2030-01-02T00:00:00Z');
    const exp = await call(sim, 'GET', '/user/tokens', { token: expiring.value });
    assert.equal(exp.status, 401);
    assert.equal(code(exp), 10000);
    const ev = await call<{ status: string; expires_on: string }>(sim, 'GET', '/user/tokens/verify', { token: expiring.value });
    assert.equal(ev.body.result.status, 'expired');
    assert.equal(ev.body.result.expires_on, '2030-01-01T00:00:00.000Z');
    const hidden = await call<{ id: string }[]>(sim, 'GET', '/user/tokens?per_page=50', { token: admin.value });
    assert.ok(!hidden.body.result.some((t) => t.id === expiring.id));
    const shown = await call<{ id: string }[]>(sim, 'GET', '/user/tokens?per_page=50&include_expired=true', { token: admin.value });
    assert.ok(shown.body.result.some((t) => t.id === expiring.id));
  });

  it('demo scenario: admin rolls "deploy" and "me"', async () => {
    const demo = await start({ scenario: 'demo' });
    try {
      const a = await call<string>(demo, 'PUT', `/accounts/${DEMO.accountId}/tokens/${DEMO.accountToken.id}/value`, {
        token: DEMO.admin.value,
        body: {},
      });
      assert.equal(a.status, 200);
      const u = await call<string>(demo, 'PUT', `/user/tokens/${DEMO.userToken.id}/value`, { token: DEMO.admin.value, body: {} });
      assert.equal(u.status, 200);
      const st = demo.control.state();
      assert.equal(st.accountTokens[0]?.value, a.body.result);
      assert.equal(st.userTokens.find((t) => t.name === 'me')?.value, u.body.result);
    } finally {
      await demo.close();
    }
  });
});
