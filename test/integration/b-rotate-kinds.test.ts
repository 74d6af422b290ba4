/**
 * Every token kind rotates for real against the simulator: the command's result, the files on
 * disk (byte for byte: only the values change) and what the simulator now accepts.
 */
import * as assert from 'node:assert/strict';
import { COMMANDS } from '../../src/constants';
import type { HistoryEntry } from '../../src/core/history';
import { TOKENS, type Secrets } from './fixture';
import { assertFilesHold, assertNoSecret, exec, rotate, resetWorld, shown, shownSince, sim } from './helpers';

describe('rotation of every token kind', () => {
  let secrets: Secrets;

  before(async () => {
    ({ secrets } = await resetWorld());
  });

  it('account API token: rolled, .env holds the value Cloudflare now accepts, the old value is dead', async () => {
    const old = secrets.deploy;
    const mark = shown.length;
    const r = await rotate(TOKENS.account);
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.equal(r.kind, 'account-api-token');
    assert.deepEqual(r.targets, ['.env › CLOUDFLARE_API_TOKEN']);
    assert.equal(r.verified, true, 'the new token was verified at Cloudflare');
    const s = await sim.state();
    const live = s.accountTokens.find((t) => t.name === 'deploy');
    assert.ok(live);
    assert.notEqual(live.value, old, 'Cloudflare issued a new value');
    assert.equal(live.previousValue, old, 'the old value was revoked');
    secrets = { ...secrets, deploy: live.value };
    assertFilesHold(secrets, 'holds the new value and every other byte unchanged');
    const info = shownSince(mark).find((n) => n.level === 'info' && n.message.startsWith('Rotated "deploy"'));
    assert.ok(info, 'a success notification');
    assert.equal(info.message, 'Rotated "deploy" → .env › CLOUDFLARE_API_TOKEN.');
    assert.ok(info.items.includes('Open .env'));
  });

  it('user API token: rolled, written into the `export` line', async () => {
    const old = secrets.me;
    const r = await rotate(TOKENS.user);
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.equal(r.verified, true);
    const live = (await sim.state()).userTokens.find((t) => t.name === 'me');
    assert.ok(live);
    assert.notEqual(live.value, old);
    assert.equal(live.previousValue, old);
    secrets = { ...secrets, me: live.value };
    assertFilesHold(secrets, 'holds the new user token');
  });

  it('account Access service token: new secret in .env, the previous one valid for the 2h grace period', async () => {
    const oldSecret = secrets.ciClientSecret;
    const started = Date.now();
    const r = await rotate(TOKENS.access);
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.deepEqual(r.targets, ['.env › CF_ACCESS_CLIENT_ID', '.env › CF_ACCESS_CLIENT_SECRET']);
    assert.ok(r.graceUntil, 'the result names the end of the grace period');
    const graceMs = Date.parse(r.graceUntil) - started;
    assert.ok(graceMs > 2 * 3600_000 - 60_000 && graceMs <= 2 * 3600_000 + 60_000, `grace ≈ 2h (got ${graceMs} ms)`);
    const live = (await sim.state()).serviceTokens.find((t) => t.name === 'ci-access');
    assert.ok(live);
    assert.notEqual(live.clientSecret, oldSecret);
    assert.equal(live.clientId, secrets.ciClientId, 'the client id stays');
    secrets = { ...secrets, ciClientSecret: live.clientSecret };
    assertFilesHold(secrets, 'holds the new client secret');
    const now = await sim.accessCheck(secrets.ciClientId, secrets.ciClientSecret);
    assert.deepEqual([now.allowed, now.matched], [true, 'current'], `the secret in .env is accepted: ${now.reason}`);
    const prev = await sim.accessCheck(secrets.ciClientId, oldSecret);
    assert.deepEqual([prev.allowed, prev.matched], [true, 'previous'], `the previous secret works during the grace period: ${prev.reason}`);
  });

  it('zone Access service token (version bump, grace 0s): .dev.vars updated, the old secret dies as soon as the new one is written', async () => {
    const oldSecret = secrets.zoneClientSecret;
    await sim.clearRequests();
    const r = await rotate(TOKENS.zoneAccess);
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    assert.equal(r.graceUntil, undefined, 'no grace period');
    const puts = (await sim.requests('updateServiceToken')).map((q) => q.body as Record<string, unknown>);
    assert.equal(puts.length, 2, 'two PUTs: the version bump, then the expiry of the previous secret');
    assert.equal(puts[0]?.client_secret_version, 2, 'rotated through PUT (client_secret_version + 1)');
    assert.ok(Date.parse(puts[0]?.previous_client_secret_expires_at as string) > Date.now(), 'the bump keeps the previous secret a few minutes (its answer does not declare the new secret)');
    assert.deepEqual(Object.keys(puts[1] ?? {}), ['previous_client_secret_expires_at'], 'then expires it, once the new one is in .dev.vars');
    assert.equal(r.retired, true);
    assert.equal((await sim.requests('rotateServiceToken')).length, 0, 'zone tokens have no rotate route');
    const live = (await sim.state()).serviceTokens.find((t) => t.name === 'zone-access');
    assert.ok(live);
    assert.notEqual(live.clientSecret, oldSecret);
    secrets = { ...secrets, zoneClientSecret: live.clientSecret };
    assertFilesHold(secrets, 'holds the new zone secret (CRLF, spaces around = and no final newline kept)');
    const now = await sim.accessCheck(secrets.zoneClientId, secrets.zoneClientSecret);
    assert.equal(now.allowed, true, now.reason);
    const prev = await sim.accessCheck(secrets.zoneClientId, oldSecret);
    assert.equal(prev.allowed, false, 'the previous secret no longer works');
  });

  it('MoQ relay token: .dev.vars holds the token the relay now accepts; the old one is revoked', async () => {
    const old = secrets.moq;
    const r = await rotate(TOKENS.moq);
    assert.ok(r?.ok, `ok: ${JSON.stringify(r?.error)}`);
    assert.equal(r.state, 'rotated');
    const next = await sim.secrets();
    assert.notEqual(next.moq, old);
    secrets = { ...secrets, moq: next.moq };
    assertFilesHold(secrets, 'holds the new MoQ token');
    const now = await sim.moqCheck(secrets.moq);
    assert.equal(now.allowed, true, now.reason);
    const prev = await sim.moqCheck(old);
    assert.equal(prev.allowed, false, 'the previous MoQ token is revoked');
  });

  it('expirePreviousSecret ends the grace period of the service token at once', async () => {
    const prevSecret = (await sim.state()).serviceTokens.find((t) => t.name === 'ci-access')?.previousClientSecret;
    assert.ok(prevSecret, 'the simulator still keeps the previous secret');
    assert.equal((await sim.accessCheck(secrets.ciClientId, prevSecret)).allowed, true);
    const r = await exec<{ ok: boolean }>(COMMANDS.expirePreviousSecret, { name: TOKENS.access, confirm: false });
    assert.equal(r.ok, true);
    assert.equal((await sim.accessCheck(secrets.ciClientId, prevSecret)).allowed, false, 'the previous secret is rejected now');
    assert.equal((await sim.accessCheck(secrets.ciClientId, secrets.ciClientSecret)).allowed, true, 'the current one still works');
    assertFilesHold(secrets, 'is unchanged by expiring the previous secret');
  });

  it('the history lists every rotation, without any secret', async () => {
    const entries = await exec<HistoryEntry[]>(COMMANDS.showHistory, { show: false });
    const recent = entries.slice(0, 7);
    assert.deepEqual(
      recent.map((e) => `${e.name}:${e.outcome}`),
      // zone-access (grace 0s): its previous secret, kept a few minutes by the version bump, is expired once the new one is written ("retired").
      ['ci-access:expired-previous', 'moq-publish:rotated', 'zone-access:retired', 'zone-access:rotated', 'ci-access:rotated', 'me:rotated', 'deploy:rotated'],
    );
    assertNoSecret(JSON.stringify(entries), 'the rotation history');
  });
});
