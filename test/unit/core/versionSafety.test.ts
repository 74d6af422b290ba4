/**
 * A zone-level Access service token rotates by a client_secret_version bump (PUT), whose answer
 * does not declare the new secret (only Terraform's tests, at account level, show it there).
 * Without a grace period, that same PUT used to expire the previous secret at once: an answer
 * without the secret would leave nothing that works. The previous secret is kept for a short
 * safety window and expired as soon as the new one is in every target.
 */
import { strict as assert } from 'node:assert';
import { parse } from 'dotenv';
import { VERSION_SAFETY_MS } from '../../../src/core/engine/kinds/serviceToken';
import { makeEngine, read, tokens, withWorld, write } from '../helpers/world';

describe('a version bump without a grace period', function () {
  this.timeout(30_000);
  const at = withWorld();

  async function setup() {
    const st = at.world.sim.control.addServiceToken({ zoneId: at.world.zoneId, name: 'zone' });
    await write(at.folder, '.env', `ZONE_SECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'zone', kind: 'access-service-token', zoneId: at.world.zoneId, serviceTokenId: st.id, clientSecretVersion: 1, gracePeriod: '0s', targets: [{ file: '.env', key: 'ZONE_SECRET' }] }]);
    return { st, token: token! };
  }

  it('keeps the previous secret for the safety window in the PUT, then expires it once the new one is written', async () => {
    const { st, token } = await setup();
    at.world.sim.control.clearRequests();
    const h = makeEngine(at.world);
    const before = Date.now();
    const r = await h.engine.rotate(at.folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.retired, true, 'the previous secret was expired right after the write');
    assert.equal(r.graceUntil, undefined, 'no grace period is reported: none was asked for');
    const [bump, expire] = at.world.sim.control.requests({ op: 'updateServiceToken' }).map((q) => q.body as Record<string, unknown>);
    assert.equal(bump?.client_secret_version, 2);
    const window = Date.parse(bump?.previous_client_secret_expires_at as string) - before;
    assert.ok(window > VERSION_SAFETY_MS - 60_000 && window <= VERSION_SAFETY_MS + 60_000, `the bump keeps the previous secret ~10 minutes (${window} ms)`);
    assert.deepEqual(Object.keys(expire ?? {}), ['previous_client_secret_expires_at']);
    assert.ok(Date.parse(expire?.previous_client_secret_expires_at as string) <= Date.now(), 'then expires it now');
    const live = at.world.sim.control.state().serviceTokens.find((t) => t.id === st.id)!;
    assert.equal(parse(await read(at.folder, '.env')).ZONE_SECRET, live.clientSecret);
    assert.equal(at.world.sim.control.accessCheck(st.clientId, live.clientSecret).allowed, true);
    assert.equal(at.world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, false, 'the previous secret no longer works');
    assert.deepEqual(await h.engine.retirements.list(), []);
    assert.deepEqual(h.history.entries.map((e) => e.outcome).sort(), ['retired', 'rotated']);
  });

  it('an answer without the new secret: the secret in the files still works (for the window), and the result says until when', async () => {
    const { st, token } = await setup();
    at.world.sim.control.addFault({ op: 'updateServiceToken', type: 'missing-secret' });
    const h = makeEngine(at.world);
    const r = await h.engine.rotate(at.folder, token);
    assert.equal(r.ok, false);
    assert.equal(r.state, 'lost', JSON.stringify(r));
    assert.match(r.error?.hint ?? '', /the previous secret works either way/);
    assert.equal(parse(await read(at.folder, '.env')).ZONE_SECRET, st.clientSecret);
    assert.equal(at.world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, true, 'not locked out');
  });

  it('the expiry call fails: the rotation is done, the expiry stays pending and is retried', async () => {
    const { st, token } = await setup();
    // The bump goes through; the second PUT (the expiry) fails.
    at.world.sim.control.addFault({ op: 'updateServiceToken', type: 'status', status: 500, after: 1, times: 10 });
    const h = makeEngine(at.world);
    const r = await h.engine.rotate(at.folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.notEqual(r.retired, true);
    assert.ok(r.warnings.some((w) => /previous secret of Access service token/.test(w)), JSON.stringify(r.warnings));
    const [pending] = await h.engine.retirements.list();
    assert.equal(pending?.kind, 'access-service-token');
    at.world.sim.control.clearFaults();
    const [done] = await h.engine.retirements.carryOut(() => true);
    assert.equal(done?.state, 'retired', JSON.stringify(done));
    assert.equal(at.world.sim.control.accessCheck(st.clientId, st.clientSecret).allowed, false);
  });

  it('a version not above the token\'s own (set elsewhere, or a CI job that kept no history): no claim that it rotated, the next version named, and the next run rotates', async () => {
    const st = at.world.sim.control.addServiceToken({ zoneId: at.world.zoneId, name: 'zone', clientSecretVersion: 2 });
    await write(at.folder, '.env', `ZONE_SECRET=${st.clientSecret}\n`);
    const [token] = tokens([{ name: 'zone', kind: 'access-service-token', zoneId: at.world.zoneId, serviceTokenId: st.id, clientSecretVersion: 1, gracePeriod: '1h', targets: [{ file: '.env', key: 'ZONE_SECRET' }] }]);
    const h = makeEngine(at.world, { timeoutMs: 300 });
    const r = await h.engine.rotate(at.folder, token!);
    assert.equal(r.ok, false);
    assert.equal(at.world.sim.control.state().serviceTokens.find((t) => t.id === st.id)?.clientSecret, st.clientSecret, 'nothing rotated');
    assert.doesNotMatch(r.error?.message ?? '', /Cloudflare rotated the service token/);
    assert.match(r.error?.message ?? '', /Either it rotated and the new secret was lost, or 2 is not above the version the token already has/);
    assert.match(r.error?.hint ?? '', /cf-rotate sends 3 next/);
    assert.match(r.error?.hint ?? '', /set "clientSecretVersion" in cf-rotate\.json/);
    assert.equal(parse(await read(at.folder, '.env')).ZONE_SECRET, st.clientSecret, 'the files keep the working secret');
    // The version cf-rotate remembers (2) is right under either reading: the next rotation sends 3, which rotates.
    const again = await h.engine.rotate(at.folder, token!);
    assert.equal(again.ok, true, JSON.stringify(again.error));
    const live = at.world.sim.control.state().serviceTokens.find((t) => t.id === st.id)!;
    assert.equal(parse(await read(at.folder, '.env')).ZONE_SECRET, live.clientSecret);
    assert.ok(!again.warnings.some((w) => /cf-rotate\.json/.test(w)), 'the history knew the version: no advice to keep it in cf-rotate.json');
  });

  it('a version known from cf-rotate.json alone: the result says where to keep the new one (a CI job keeps no state directory)', async () => {
    const { token } = await setup();
    const r = await makeEngine(at.world).engine.rotate(at.folder, token);
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.ok(r.warnings.some((w) => /now at client_secret_version 2.*set "clientSecretVersion": 2 in cf-rotate\.json/.test(w)), JSON.stringify(r.warnings));
  });

  it('an expired service token is refused before any change (its new secret could not authenticate either)', async () => {
    for (const [scope, config] of [
      [{ zoneId: at.world.zoneId }, { zoneId: at.world.zoneId, clientSecretVersion: 1 }],
      [{ accountId: at.world.accountId }, { accountId: at.world.accountId }],
    ] as const) {
      const st = at.world.sim.control.addServiceToken({ ...scope, name: 'old', createdAt: '2025-01-01T00:00:00Z', expiresAt: '2026-01-01T00:00:00Z' });
      await write(at.folder, '.env', `S=${st.clientSecret}\n`);
      const [token] = tokens([{ name: 'old', kind: 'access-service-token', ...config, serviceTokenId: st.id, targets: [{ file: '.env', key: 'S' }] }]);
      at.world.sim.control.clearRequests();
      const r = await makeEngine(at.world).engine.rotate(at.folder, token!);
      assert.equal(r.ok, false);
      assert.equal(r.state, 'failed', JSON.stringify(r));
      assert.match(r.error?.message ?? '', /expired on 2026-01-01/);
      assert.match(r.error?.hint ?? '', /Extend it first.*Nothing was rotated/);
      assert.equal(at.world.sim.control.requests({ op: 'updateServiceToken' }).length + at.world.sim.control.requests({ op: 'rotateServiceToken' }).length, 0, 'no change sent');
      assert.equal(await read(at.folder, '.env'), `S=${st.clientSecret}\n`);
    }
  });
});
