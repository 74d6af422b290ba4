import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ACCOUNT_ADMIN_PERMISSIONS,
  ALL_PERMISSIONS,
  DEMO,
  DEMO_ADMIN_TOKEN,
  ScenarioBuilder,
  decodeMoqJwt,
  demoScenario,
  emptyScenario,
  start,
} from '../../simulator';
import { call } from './helpers';

describe('simulator: scenarios', () => {
  it('DEMO mirrors test/fixtures/scenarios/demo.json', () => {
    const s = demoScenario();
    assert.equal(DEMO_ADMIN_TOKEN, DEMO.admin.value);
    assert.deepEqual({ id: s.user.id, email: s.user.email, globalApiKey: s.user.globalApiKey }, DEMO.user);
    assert.deepEqual(s.accounts, [{ id: DEMO.accountId, name: DEMO.accountName }]);
    assert.deepEqual(s.zones, [{ id: DEMO.zoneId, name: DEMO.zoneName, accountId: DEMO.accountId }]);
    const admin = s.userTokens?.find((t) => t.id === DEMO.admin.id);
    assert.equal(admin?.name, DEMO.admin.name);
    assert.equal(admin?.value, DEMO.admin.value);
    assert.deepEqual([...(admin?.permissions ?? [])].sort(), [...ALL_PERMISSIONS].sort(), 'admin has every permission');
    const me = s.userTokens?.find((t) => t.id === DEMO.userToken.id);
    assert.deepEqual([me?.name, me?.value], [DEMO.userToken.name, DEMO.userToken.value]);
    const deploy = s.accountTokens?.[0];
    assert.deepEqual([deploy?.id, deploy?.name, deploy?.value, deploy?.accountId], [DEMO.accountToken.id, DEMO.accountToken.name, DEMO.accountToken.value, DEMO.accountId]);
    const accountAdmin = s.accountTokens?.find((t) => t.id === DEMO.accountAdmin.id);
    assert.deepEqual([accountAdmin?.name, accountAdmin?.value, accountAdmin?.accountId], [DEMO.accountAdmin.name, DEMO.accountAdmin.value, DEMO.accountId]);
    assert.deepEqual([...(accountAdmin?.permissions ?? [])].sort(), [...ACCOUNT_ADMIN_PERMISSIONS].sort());
    for (const [want, scope] of [
      [DEMO.serviceToken, { accountId: DEMO.accountId }],
      [DEMO.zoneServiceToken, { zoneId: DEMO.zoneId }],
    ] as const) {
      const t = s.serviceTokens?.find((x) => x.id === want.id);
      assert.deepEqual([t?.name, t?.clientId, t?.clientSecret], [want.name, want.clientId, want.clientSecret]);
      assert.equal(t?.accountId, 'accountId' in scope ? scope.accountId : undefined);
      assert.equal(t?.zoneId, 'zoneId' in scope ? scope.zoneId : undefined);
    }
    const relay = s.moqRelays?.[0];
    assert.deepEqual([relay?.uid, relay?.name, relay?.accountId], [DEMO.relay.id, DEMO.relay.name, DEMO.accountId]);
    const t = relay?.tokens?.[0];
    assert.deepEqual([t?.jti, t?.secret, t?.label, t?.operations], [DEMO.relay.token.jti, DEMO.relay.token.value, DEMO.relay.token.label, ['publish', 'subscribe']]);
    assert.equal(decodeMoqJwt(DEMO.relay.token.value)?.jti, DEMO.relay.token.jti);
  });

  it('the demo is in today\'s credential formats (A2) with valid checksums', () => {
    const checksum = (v: string): boolean => {
      const m = /^(cf[a-z]+_[A-Za-z0-9]{40})([0-9a-f]{8})$/.exec(v);
      return m !== null && createHash('sha256').update(m[1] as string).digest('hex').slice(0, 8) === m[2];
    };
    for (const [v, prefix] of [
      [DEMO.user.globalApiKey, 'cfk_'],
      [DEMO.admin.value, 'cfut_'],
      [DEMO.userToken.value, 'cfut_'],
      [DEMO.accountToken.value, 'cfat_'],
      [DEMO.accountAdmin.value, 'cfat_'],
      [DEMO.serviceToken.clientSecret, 'cfast_'],
      [DEMO.zoneServiceToken.clientSecret, 'cfast_'],
    ] as const) {
      assert.ok(v.startsWith(prefix) && checksum(v), v);
    }
  });

  it('loads a scenario from a JSON file path; emptyScenario() allows Global API key auth only', async () => {
    const b = new ScenarioBuilder(emptyScenario());
    const acc = b.account();
    const admin = b.adminToken({ accounts: [acc.id] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cf-sim-')), 'scenario.json');
    fs.writeFileSync(file, JSON.stringify(b.build()));
    const sim = await start({ scenario: file });
    try {
      const r = await call<{ id: string }[]>(sim, 'GET', '/accounts', { token: admin.value });
      assert.deepEqual(r.body.result.map((a) => a.id), [acc.id]);
      sim.control.reset(emptyScenario());
      const u = await call(sim, 'GET', '/user', { key: { email: 'user@example.com', key: emptyScenario().user.globalApiKey } });
      assert.equal(u.status, 200);
    } finally {
      await sim.close();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  it('rejects invalid scenarios with a readable message', async () => {
    const bad = [
      [{ ...emptyScenario(), user: { id: 'x', email: 'a@b.c', globalApiKey: 'k' } }, /user\.id/],
      [{ ...emptyScenario(), user: { ...emptyScenario().user, globalApiKey: 'ABCDEF0123456789ABCDEF0123456789ABCDE' } }, /user\.globalApiKey: must be cfk_/],
      [{ ...emptyScenario(), userTokens: [{ name: 't', value: 'too-short' }] }, /userTokens\[0\]\.value/],
      [{ ...emptyScenario(), accountTokens: [{ accountId: 'f'.repeat(32), name: 't' }] }, /unknown account/],
      [{ ...emptyScenario(), serviceTokens: [{ name: 's' }] }, /exactly one of accountId/],
    ] as const;
    for (const [scenario, msg] of bad) {
      await assert.rejects(start({ scenario: scenario as never }), msg);
    }
    await assert.rejects(start({ scenario: '/nonexistent/scenario.json' }), /cannot read/);
  });
});
