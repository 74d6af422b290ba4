/** Every CloudflareClient operation against the Cloudflare API simulator. */
import * as assert from 'node:assert/strict';
import { decodeJwtJti } from '../../../src/core/cloudflare/client';
import { CfRotateError, type ErrorKind } from '../../../src/core/errors';
import { start } from '../../simulator';
import { assertNoSecrets, errorText } from './helpers';
import { DEMO, DEMO_ADMIN_TOKEN_ONLY, liveSecrets, makeClient, type Sim } from './sim';

async function expectKind(p: Promise<unknown>, kind: ErrorKind): Promise<CfRotateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CfRotateError, `expected a CfRotateError, got ${String(e)}`);
    assert.equal(e.kind, kind, `expected ${kind}, got ${e.kind}: ${e.message}`);
    return e;
  }
  assert.fail(`expected a '${kind}' error, but the call succeeded`);
}

describe('cloudflare/CloudflareClient operations (simulator)', function () {
  let sim: Sim;
  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 100_000, windowMs: 1000 } });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.control.reset();
  });

  describe('credential and API tokens', () => {
    it('verifyCredential: API token → GET /user/tokens/verify', async () => {
      const { client } = makeClient(sim);
      const r = await client.verifyCredential();
      assert.deepEqual(r, { ok: true, id: DEMO.admin.id, status: 'active' });
      assert.equal(sim.control.requests({ op: 'verifyUserToken' }).length, 1);
    });

    it('verifyCredential: Global API key → GET /user with X-Auth-Email / X-Auth-Key', async () => {
      const { client } = makeClient(sim, { credential: { type: 'global-key', email: DEMO.user.email, key: DEMO.user.globalApiKey } });
      const r = await client.verifyCredential();
      assert.equal(r.ok, true);
      assert.equal(r.email, DEMO.user.email);
      assert.equal(r.id, DEMO.user.id);
      const [req] = sim.control.requests({ op: 'getUser' });
      assert.equal(req?.headers['x-auth-email'], DEMO.user.email);
      assert.equal(req?.headers['authorization'], undefined);
    });

    it('verifyCredential: account-owned admin token → GET /accounts/{id}/tokens/verify (credentialAccountId, or the credential\'s accountId)', async () => {
      const owned = sim.control.addAccountToken(DEMO.accountId, { name: 'acct-admin', permissions: ['Account API Tokens Write'] });
      const { client } = makeClient(sim, { credential: { type: 'api-token', token: owned.value }, credentialAccountId: DEMO.accountId });
      assert.deepEqual(await client.verifyCredential(), { ok: true, id: owned.id, status: 'active', accountId: DEMO.accountId });
      assert.deepEqual(sim.control.requests().map((r) => r.op), ['verifyAccountToken'], 'a cfat_ token with its account: the account route only');
      sim.control.clearRequests();
      const { client: stored } = makeClient(sim, { credential: { type: 'api-token', token: owned.value, accountId: DEMO.accountId } });
      assert.equal((await stored.verifyCredential()).accountId, DEMO.accountId);
      assert.deepEqual(sim.control.requests().map((r) => r.op), ['verifyAccountToken']);
    });

    it('verifyCredential: a cfat_ (account-owned) token without its account skips the user route, which refuses it (A1): GET /accounts names the one it sees', async () => {
      const owned = sim.control.addAccountToken(DEMO.accountId, { name: 'acct-admin', permissions: ['Account API Tokens Write'] });
      assert.ok(owned.value.startsWith('cfat_'));
      const { client } = makeClient(sim, { credential: { type: 'api-token', token: owned.value } });
      assert.deepEqual(await client.verifyCredential(), { ok: true, id: owned.id, status: 'active', accountId: DEMO.accountId });
      assert.deepEqual(
        sim.control.requests().map((r) => [r.op, r.status]),
        [
          ['listAccounts', 200],
          ['verifyAccountToken', 200],
        ],
      );
    });

    it('verifyCredential: an old-format (unprefixed) account-owned token without its account: the user route refuses it with 401, or 403 / 9109 (A8), and GET /accounts still finds it', async () => {
      for (const answer of [401, 403] as const) {
        sim.control.configure({ invalidTokenAnswer: answer });
        sim.control.clearRequests();
        const owned = sim.control.addAccountToken(DEMO.accountId, { name: `old-format-${answer}`, permissions: ['Account API Tokens Write'], value: 'O'.repeat(20) + String(answer).repeat(7).slice(0, 20) });
        const { client } = makeClient(sim, { credential: { type: 'api-token', token: owned.value } });
        assert.deepEqual(await client.verifyCredential(), { ok: true, id: owned.id, status: 'active', accountId: DEMO.accountId }, `user route answered ${answer}`);
        assert.deepEqual(sim.control.requests().map((r) => [r.op, r.status]), [['verifyUserToken', answer], ['listAccounts', 200], ['verifyAccountToken', 200]]);
      }
      sim.control.configure({ invalidTokenAnswer: 401 });
    });

    it('verifyCredential: a user token with CLOUDFLARE_ACCOUNT_ID set (as wrangler users have) still verifies on the user route', async () => {
      const { client } = makeClient(sim, { credential: DEMO_ADMIN_TOKEN_ONLY, credentialAccountId: DEMO.accountId });
      assert.deepEqual(await client.verifyCredential(), { ok: true, id: DEMO.admin.id, status: 'active' });
      assert.deepEqual(sim.control.requests().map((r) => r.op), ['verifyUserToken'], 'cfut_: the user route first');
    });

    it('verifyCredential: an unknown token is auth, after looking for an account it might own', async () => {
      const { client } = makeClient(sim, { credential: { type: 'api-token', token: `cfat_${'Q'.repeat(48)}` } });
      const e = await expectKind(client.verifyCredential(), 'auth');
      assert.match(e.message, /was rejected/);
      assert.deepEqual(sim.control.requests().map((r) => r.op), ['listAccounts'], 'cfat_: not the user route (A1)');
    });

    it('verifyCredential {schemes: "all"} checks both schemes of a profile that holds both', async () => {
      const { client } = makeClient(sim);
      assert.deepEqual(await client.verifyCredential(), { ok: true, id: DEMO.admin.id, status: 'active' });
      assert.deepEqual(sim.control.requests().map((r) => r.op), ['verifyUserToken'], 'preferred: the API token only');
      sim.control.clearRequests();
      assert.deepEqual(await client.verifyCredential({ schemes: 'all' }), { ok: true, id: DEMO.admin.id, status: 'active', email: DEMO.user.email });
      const [verify, user] = sim.control.requests();
      assert.equal(verify?.op, 'verifyUserToken');
      assert.equal(verify?.credential, `token:${DEMO.admin.id}`);
      assert.equal(user?.op, 'getUser');
      assert.equal(user?.credential, `global-key:${DEMO.user.email}`);
      const { client: badKey } = makeClient(sim, { credential: { type: 'api-token', token: DEMO.admin.value, globalKey: { email: DEMO.user.email, key: `cfk_${'a'.repeat(48)}` } } });
      const e = await expectKind(badKey.verifyCredential({ schemes: 'all' }), 'auth');
      assert.match(e.message, /Global API key/);
    });

    it('verifyCredential: a disabled admin token is reported as auth', async () => {
      const disabled = sim.control.addUserToken({ name: 'off', status: 'disabled', permissions: [] });
      const { client } = makeClient(sim, { credential: { type: 'api-token', token: disabled.value } });
      const e = await expectKind(client.verifyCredential(), 'auth');
      assert.match(e.message, /is disabled/);
    });

    it('rollUserToken: new value differs, is live, verifies active; the old value is rejected', async () => {
      const { client, logger } = makeClient(sim);
      const value = await client.rollUserToken(DEMO.userToken.id);
      assert.notEqual(value, DEMO.userToken.value);
      assert.ok(value.length >= 40 && value.length <= 80);
      const state = sim.control.state().userTokens.find((t) => t.id === DEMO.userToken.id);
      assert.equal(state?.value, value);
      const v = await client.verifyToken(value);
      assert.deepEqual(v, { id: DEMO.userToken.id, status: 'active', expiresOn: undefined, notBefore: undefined });
      const old = await expectKind(client.verifyToken(DEMO.userToken.value), 'auth');
      assert.match(old.message, /rejected the token value/);
      const [roll] = sim.control.requests({ op: 'rollUserToken' });
      assert.equal(roll?.method, 'PUT');
      assert.deepEqual(roll?.body, {});
      assertNoSecrets(logger.lines.join('\n') + errorText(old), [value, DEMO.userToken.value, DEMO.admin.value], 'logs/errors');
      assert.ok(logger.lines.some((l) => /rollUserToken: PUT \/client\/v4\/user\/tokens\/[0-9a-f]{32}\/value -> 200/.test(l)), logger.lines.join('\n'));
    });

    it('rollAccountToken: verified on the account route (the user route rejects account-owned tokens)', async () => {
      const { client } = makeClient(sim);
      const value = await client.rollAccountToken(DEMO.accountId, DEMO.accountToken.id);
      assert.notEqual(value, DEMO.accountToken.value);
      const v = await client.verifyToken(value, DEMO.accountId);
      assert.equal(v.id, DEMO.accountToken.id);
      assert.equal(v.status, 'active');
      assert.equal(sim.control.requests({ op: 'verifyAccountToken' })[0]?.apiPath, `/accounts/${DEMO.accountId}/tokens/verify`);
      await expectKind(client.verifyToken(value), 'auth');
      await expectKind(client.verifyToken(DEMO.accountToken.value, DEMO.accountId), 'auth');
    });

    it('a verify route that refuses a value with 403 / 9109 (notes A8: revoked or invalid, or limited to other IP addresses) names the value, not the admin credential, and gives no verdict', async () => {
      sim.control.configure({ invalidTokenAnswer: 403 });
      const { client } = makeClient(sim);
      const value = await client.rollAccountToken(DEMO.accountId, DEMO.accountToken.id);
      const old = await expectKind(client.verifyToken(DEMO.accountToken.value, DEMO.accountId), 'permission');
      assert.equal(old.status, 403);
      assert.deepEqual(old.codes, [9109]);
      assert.match(old.message, /Cloudflare refused the token value \(HTTP 403, code 9109.*revoked or no longer valid, or limited to other IP addresses/);
      assert.doesNotMatch(old.message, /admin credential/, 'the value checked is not the admin credential');
      assert.match(old.hint ?? '', /Client IP Address Filtering/);
      await expectKind(client.verifyToken(value), 'permission');
      assert.equal((await client.verifyToken(value, DEMO.accountId)).status, 'active');
      sim.control.configure({ invalidTokenAnswer: 401 });
      await expectKind(client.verifyToken(DEMO.accountToken.value, DEMO.accountId), 'auth');
    });

    it('listUserTokens / getUserToken: paginates page/per_page=50 until total_pages', async () => {
      sim.control.addUserTokens(117);
      const { client } = makeClient(sim);
      const all = await client.listUserTokens();
      const expected = sim.control.state().userTokens.map((t) => t.id);
      assert.equal(all.length, expected.length);
      assert.deepEqual(new Set(all.map((t) => t.id)), new Set(expected));
      assert.ok(all.every((t) => typeof t.name === 'string' && ['active', 'disabled', 'expired'].includes(t.status ?? '')));
      const reqs = sim.control.requests({ op: 'listUserTokens' });
      assert.deepEqual(
        reqs.map((r) => [r.query['page'], r.query['per_page']]),
        [...Array(Math.ceil(expected.length / 50)).keys()].map((i) => [String(i + 1), '50']),
      );
      const one = await client.getUserToken(DEMO.userToken.id);
      assert.equal(one.id, DEMO.userToken.id);
      assert.equal(one.name, DEMO.userToken.name);
      assert.ok(one.issuedOn);
    });

    it('pagination stops when Cloudflare answers another page than the one asked for (A10; wrong-page fault), without repeating items', async () => {
      sim.control.addUserTokens(117);
      sim.control.addFault({ op: 'listUserTokens', type: 'wrong-page', page: 1, after: 1, times: -1 });
      const { client, logger } = makeClient(sim);
      const all = await client.listUserTokens();
      assert.equal(all.length, 50, 'page 1 only: page 2 came back as page 1');
      assert.equal(new Set(all.map((t) => t.id)).size, 50, 'no duplicates');
      assert.deepEqual(sim.control.requests({ op: 'listUserTokens' }).map((r) => r.query['page']), ['1', '2']);
      assert.ok(logger.lines.some((l) => /asked for page 2, Cloudflare answered page 1/.test(l)));
    });

    it('listAccountTokens / getAccountToken', async () => {
      sim.control.addAccountTokens(DEMO.accountId, 60);
      const { client } = makeClient(sim);
      const all = await client.listAccountTokens(DEMO.accountId);
      assert.equal(all.length, sim.control.state().accountTokens.filter((t) => t.accountId === DEMO.accountId).length);
      assert.ok(all.some((t) => t.id === DEMO.accountToken.id));
      assert.equal(sim.control.requests({ op: 'listAccountTokens' }).length, 2);
      const one = await client.getAccountToken(DEMO.accountId, DEMO.accountToken.id);
      assert.equal(one.name, DEMO.accountToken.name);
    });
    it('reads take the answer whatever its result_info counts hold (null, text) and whatever token status Cloudflare names; a verify still refuses a status it does not know', async () => {
      sim.control.addUserTokens(60);
      const { client } = makeClient(sim);
      // Counts that are not numbers: paging goes on while pages are full, and stops on a short one.
      sim.control.addFault({ op: 'listUserTokens', type: 'off-contract', set: { 'result_info.total_pages': null, 'result_info.total_count': '61', 'result_info.page': null }, times: 10 });
      const all = await client.listUserTokens();
      assert.equal(all.length, sim.control.state().userTokens.length);
      assert.equal(new Set(all.map((t) => t.id)).size, all.length);
      assert.ok(sim.control.requests({ op: 'listUserTokens' }).every((r) => r.fault === 'off-contract'));
      // A status the enum does not list: shown as Cloudflare says it.
      sim.control.addFault({ op: 'getUserToken', type: 'off-contract', set: { 'result.status': 'pending_review' } });
      const one = await client.getUserToken(DEMO.userToken.id);
      assert.equal(one.status, 'pending_review');
      // The verify's status decides whether the credential works: one it does not know is refused, naming the field.
      sim.control.addFault({ op: 'verifyUserToken', type: 'off-contract', set: { 'result.status': 'pending_review' } });
      const err = await expectKind(client.verifyCredential(), 'contract');
      assert.match(err.message, /status/);
    });
  });

  describe('Access service tokens', () => {
    it('listServiceTokens / getServiceToken: account and zone scope', async () => {
      const { client } = makeClient(sim);
      const acc = await client.listServiceTokens({ accountId: DEMO.accountId });
      assert.ok(acc.some((t) => t.id === DEMO.serviceToken.id && t.clientId === DEMO.serviceToken.clientId));
      const zone = await client.listServiceTokens({ zoneId: DEMO.zoneId });
      assert.ok(zone.some((t) => t.id === DEMO.zoneServiceToken.id));
      const one = await client.getServiceToken({ accountId: DEMO.accountId }, DEMO.serviceToken.id);
      assert.equal(one.name, DEMO.serviceToken.name);
      assert.ok(!('clientSecretVersion' in one), 'Cloudflare does not report client_secret_version (A3)');
      const z1 = await client.getServiceToken({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id);
      assert.equal(z1.clientId, DEMO.zoneServiceToken.clientId);
      assert.equal(JSON.stringify([acc, zone, one, z1]).includes('cfast_'), false, 'no secret in listings');
    });

    it('reads and rotations ignore client_secret_version and previous_client_secret_expires_at, which the answers do not declare, whatever their shape (A3)', async () => {
      const { client } = makeClient(sim);
      const odd = { 'result.client_secret_version': 'two', 'result.previous_client_secret_expires_at': 7 };
      sim.control.addFault({ op: 'getServiceToken', type: 'off-contract', set: odd });
      const one = await client.getServiceToken({ accountId: DEMO.accountId }, DEMO.serviceToken.id);
      assert.equal(sim.control.requests({ op: 'getServiceToken' })[0]?.fault, 'off-contract');
      assert.equal(one.id, DEMO.serviceToken.id);
      assert.ok(!('clientSecretVersion' in one) && !('previousClientSecretExpiresAt' in one));
      sim.control.addFault({ op: 'updateServiceToken', type: 'off-contract', set: { ...odd, 'result.client_secret_version': 9 } });
      const bumped = await client.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined);
      assert.equal(sim.control.requests({ op: 'updateServiceToken' })[0]?.fault, 'off-contract');
      assert.equal(bumped.clientSecretVersion, 2, 'the version sent, not a number the answer carries');
      assert.equal(sim.control.accessCheck(bumped.clientId ?? "", bumped.clientSecret).allowed, true);
    });

    it('a rotation answer without id or client_id (every field of it is optional) still gives the secret: the id asked about, the client id left out', async () => {
      const { client } = makeClient(sim);
      sim.control.addFault({ op: 'rotateServiceToken', type: 'off-contract', remove: ['result.id', 'result.client_id'] });
      const r = await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
      assert.equal(sim.control.requests({ op: 'rotateServiceToken' })[0]?.fault, 'off-contract');
      assert.equal(r.id, DEMO.serviceToken.id);
      assert.equal(r.clientId, undefined);
      assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, r.clientSecret).allowed, true);
      sim.control.addFault({ op: 'updateServiceToken', type: 'off-contract', remove: ['result.client_id'] });
      const b = await client.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined);
      assert.equal(b.id, DEMO.zoneServiceToken.id);
      assert.equal(sim.control.accessCheck(DEMO.zoneServiceToken.clientId, b.clientSecret).allowed, true);
    });

    it('listServiceTokens paginates (account: page+per_page; zone: page 2+ only when result_info says so)', async () => {
      sim.control.addServiceTokens(70, { accountId: DEMO.accountId });
      sim.control.addServiceTokens(25, { zoneId: DEMO.zoneId });
      const { client } = makeClient(sim);
      const acc = await client.listServiceTokens({ accountId: DEMO.accountId });
      const st = sim.control.state().serviceTokens;
      assert.equal(acc.length, st.filter((t) => t.accountId === DEMO.accountId && t.scope === 'account').length);
      const zone = await client.listServiceTokens({ zoneId: DEMO.zoneId });
      assert.equal(zone.length, st.filter((t) => t.zoneId === DEMO.zoneId).length);
      const zoneReqs = sim.control.requests({ op: 'listServiceTokens' }).filter((r) => r.apiPath.startsWith('/zones/'));
      assert.deepEqual(zoneReqs[0]?.query, {}, 'the zone route documents no query parameters');
      assert.equal(zoneReqs.length, 2);
      assert.equal(zoneReqs[1]?.query['page'], '2');
    });

    it('rotateServiceToken with grace: new secret works, the old one until the grace end', async () => {
      const { client } = makeClient(sim);
      const grace = new Date(sim.control.now().getTime() + 3_600_000);
      const r = await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, grace);
      assert.equal(r.id, DEMO.serviceToken.id);
      assert.equal(r.clientId, DEMO.serviceToken.clientId);
      assert.notEqual(r.clientSecret, DEMO.serviceToken.clientSecret);
      assert.equal(sim.control.accessCheck(r.clientId ?? "", r.clientSecret).allowed, true);
      const old = sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret);
      assert.equal(old.allowed, true);
      assert.equal(old.matched, 'previous');
      const [req] = sim.control.requests({ op: 'rotateServiceToken' });
      assert.deepEqual(req?.body, { previous_client_secret_expires_at: grace.toISOString() });
      sim.control.advance(3_600_001);
      assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);
    });

    it('rotateServiceToken without grace sends {} and the old secret dies at once', async () => {
      const { client } = makeClient(sim);
      const r = await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
      assert.deepEqual(sim.control.requests({ op: 'rotateServiceToken' })[0]?.body, {});
      assert.equal(sim.control.accessCheck(r.clientId ?? "", r.clientSecret).allowed, true);
      assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);
    });

    it('bumpServiceTokenVersion (zone scope): PUT version+1 returns the undeclared client_secret', async () => {
      const { client } = makeClient(sim);
      const v = 1; // the demo token was never rotated by version; GET does not report it (A3)
      const grace = new Date(sim.control.now().getTime() + 86_400_000);
      const r = await client.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, v, grace);
      assert.notEqual(r.clientSecret, DEMO.zoneServiceToken.clientSecret);
      assert.equal(r.clientSecretVersion, v + 1);
      const [req] = sim.control.requests({ op: 'updateServiceToken' });
      assert.equal(req?.method, 'PUT');
      assert.equal(req?.apiPath, `/zones/${DEMO.zoneId}/access/service_tokens/${DEMO.zoneServiceToken.id}`);
      assert.deepEqual(req?.body, { client_secret_version: v + 1, previous_client_secret_expires_at: grace.toISOString() });
      assert.equal(sim.control.accessCheck(r.clientId ?? "", r.clientSecret).allowed, true);
      assert.equal(sim.control.accessCheck(DEMO.zoneServiceToken.clientId, DEMO.zoneServiceToken.clientSecret).matched, 'previous');
    });

    it('bumpServiceTokenVersion (account scope) and setPreviousSecretExpiry ends the grace period', async () => {
      const { client } = makeClient(sim);
      const scope = { accountId: DEMO.accountId };
      const grace = new Date(sim.control.now().getTime() + 86_400_000);
      const r = await client.bumpServiceTokenVersion(scope, DEMO.serviceToken.id, 1, grace);
      assert.equal(r.clientSecretVersion, 2);
      assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, true);
      const at = new Date(sim.control.now().getTime() - 1000);
      const info = await client.setPreviousSecretExpiry(scope, DEMO.serviceToken.id, at);
      assert.equal(info.id, DEMO.serviceToken.id);
      assert.deepEqual(sim.control.requests({ op: 'updateServiceToken' })[1]?.body, { previous_client_secret_expires_at: at.toISOString() });
      assert.equal(sim.control.accessCheck(DEMO.serviceToken.clientId, DEMO.serviceToken.clientSecret).allowed, false);
      assert.equal(sim.control.accessCheck(r.clientId ?? "", r.clientSecret).allowed, true);
    });
  });

  describe('MoQ relays', () => {
    it('listMoqRelays (cursor pagination) / getMoqRelay map uid → id', async () => {
      for (let i = 0; i < 55; i++) {
        sim.control.addMoqRelay({ accountId: DEMO.accountId, name: `r${i}`, created: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() });
      }
      const { client } = makeClient(sim);
      const relays = await client.listMoqRelays(DEMO.accountId);
      const expected = sim.control.state().moqRelays.filter((r) => r.accountId === DEMO.accountId);
      assert.equal(relays.length, expected.length);
      assert.deepEqual(new Set(relays.map((r) => r.id)), new Set(expected.map((r) => r.uid)));
      assert.ok(sim.control.requests({ op: 'listMoqRelays' }).length >= 2);
      const one = await client.getMoqRelay(DEMO.accountId, DEMO.relay.id);
      assert.equal(one.id, DEMO.relay.id);
      assert.equal(one.name, DEMO.relay.name);
    });

    it('createMoqToken: a new token whose secret arrives once; the old one stays live until deleted; delete is idempotent', async () => {
      const { client } = makeClient(sim);
      const seen: string[] = [];
      const r = await client.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'viewer' }, { onSecret: async (v) => void seen.push(v.token ?? '') });
      assert.deepEqual(seen, [r.token], 'the secret is handed over before the call returns');
      assert.ok(r.jti);
      assert.equal(decodeJwtJti(r.token), r.jti);
      assert.deepEqual(sim.control.requests({ op: 'createMoqToken' })[0]?.body, { operations: ['subscribe'], label: 'viewer' });
      const check = sim.control.moqCheck(r.token);
      assert.equal(check.allowed, true);
      assert.deepEqual(check.operations, ['subscribe']);
      const listed = await client.listMoqTokens(DEMO.accountId, DEMO.relay.id);
      assert.ok(listed.some((t) => t.jti === r.jti && t.label === 'viewer'));
      assert.ok(listed.some((t) => t.jti === DEMO.relay.token.jti));
      assert.equal(JSON.stringify(listed).includes('eyJ'), false, 'listing carries no secret');
      // Old token still live until the engine deletes it.
      assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, true);
      assert.equal(decodeJwtJti(DEMO.relay.token.value), DEMO.relay.token.jti);
      await client.deleteMoqToken(DEMO.accountId, DEMO.relay.id, DEMO.relay.token.jti);
      assert.equal(sim.control.moqCheck(DEMO.relay.token.value).allowed, false);
      await client.deleteMoqToken(DEMO.accountId, DEMO.relay.id, DEMO.relay.token.jti);
      assert.equal(sim.control.requests({ op: 'deleteMoqToken' }).length, 2);
    });

    it('publish_subscribe asks for ["publish","subscribe"] and never calls the removed rotate route', async () => {
      const { client } = makeClient(sim);
      const r = await client.createMoqToken(DEMO.accountId, DEMO.relay.id, ['publish', 'subscribe'], { label: 'enc' });
      assert.deepEqual(sim.control.requests({ op: 'createMoqToken' })[0]?.body, { operations: ['publish', 'subscribe'], label: 'enc' });
      assert.deepEqual(sim.control.moqCheck(r.token).operations, ['publish', 'subscribe']);
      assert.equal(sim.control.requests().filter((q) => q.path.endsWith('/tokens/rotate')).length, 0);
    });

    it('a missing relay is not-found', async () => {
      const { client } = makeClient(sim);
      const e = await expectKind(client.createMoqToken(DEMO.accountId, 'ffffffffffffffffffffffffffffffff', ['subscribe'], { label: 'x' }), 'not-found');
      assert.ok(e.codes.includes(21007));
    });
  });

  describe('authentication schemes per operation (A5)', () => {
    const KEY_ONLY = { type: 'global-key', email: DEMO.user.email, key: DEMO.user.globalApiKey } as const;

    it('a profile with both: zone-level Access uses email + Global API key; account-level Access, tokens and MoQ the API token', async () => {
      const { client } = makeClient(sim);
      await client.listServiceTokens({ zoneId: DEMO.zoneId });
      await client.getServiceToken({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id);
      await client.listServiceTokens({ accountId: DEMO.accountId });
      await client.listAccountTokens(DEMO.accountId);
      await client.listMoqTokens(DEMO.accountId, DEMO.relay.id);
      await client.listAccounts();
      const used = sim.control.requests().map((r) => [r.op, r.apiPath.startsWith('/zones/') ? 'zone' : 'account', r.credential.split(':')[0]]);
      assert.deepEqual(used, [
        ['listServiceTokens', 'zone', 'global-key'],
        ['getServiceToken', 'zone', 'global-key'],
        ['listServiceTokens', 'account', 'token'],
        ['listAccountTokens', 'account', 'token'],
        ['listMoqTokens', 'account', 'token'],
        ['listAccounts', 'account', 'token'],
      ]);
      const zoneReq = sim.control.requests()[0];
      assert.equal(zoneReq?.headers['authorization'], undefined, 'no Bearer token to a zone-level service-token route');
      assert.equal(zoneReq?.headers['x-auth-email'], DEMO.user.email);
    });

    it('an API token alone is refused for zone-level Access service tokens before anything is sent, naming the scheme needed', async () => {
      const { client } = makeClient(sim, { credential: DEMO_ADMIN_TOKEN_ONLY });
      for (const call of [
        () => client.listServiceTokens({ zoneId: DEMO.zoneId }),
        () => client.getServiceToken({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id),
        () => client.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined),
        () => client.setPreviousSecretExpiry({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, new Date()),
      ]) {
        const e = await expectKind(call(), 'credential-missing');
        assert.match(e.message, /needs email \+ Global API key: .*holds an API token\. Nothing was sent\./);
        assert.match(e.hint ?? '', /CLOUDFLARE_EMAIL_TEST \+ CLOUDFLARE_API_KEY_TEST/);
        assert.match(e.hint ?? '', /Set Credential…" for profile "test" with "Email \+ Global API key"/);
      }
      assert.equal(sim.control.requests().length, 0, 'nothing reached Cloudflare');
      // Account-level Access accepts either: the API token works there.
      assert.ok((await client.listServiceTokens({ accountId: DEMO.accountId })).length > 0);
    });

    it('a Global API key alone is refused for API-token-only operations (tokens, MoQ) before anything is sent', async () => {
      const { client } = makeClient(sim, { credential: KEY_ONLY });
      for (const call of [
        () => client.rollUserToken(DEMO.userToken.id),
        () => client.rollAccountToken(DEMO.accountId, DEMO.accountToken.id),
        () => client.listUserTokens(),
        () => client.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'x' }),
        () => client.listMoqRelays(DEMO.accountId),
      ]) {
        const e = await expectKind(call(), 'credential-missing');
        assert.match(e.message, /needs an API token: Cloudflare accepts only API tokens for it, and the admin credential for profile "test" holds email \+ Global API key\. Nothing was sent\./);
        assert.match(e.hint ?? '', /CLOUDFLARE_API_TOKEN_TEST/);
      }
      assert.equal(sim.control.requests().length, 0);
      // Zone- and account-level Access and discovery accept it.
      await client.listServiceTokens({ zoneId: DEMO.zoneId });
      await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
      await client.listZones();
      assert.ok(sim.control.requests().every((r) => r.credential === `global-key:${DEMO.user.email}` && r.status === 200));
    });
  });

  describe('discovery', () => {
    it('listAccounts / listZones (optionally filtered by account.id)', async () => {
      const other = sim.control.addAccount({ name: 'Other' });
      sim.control.addZone({ accountId: other.id, name: 'other.example' });
      const { client } = makeClient(sim);
      const accounts = await client.listAccounts();
      assert.ok(accounts.some((a) => a.id === DEMO.accountId && a.name === DEMO.accountName));
      assert.ok(accounts.some((a) => a.id === other.id));
      const zones = await client.listZones();
      assert.ok(zones.some((z) => z.id === DEMO.zoneId && z.accountId === DEMO.accountId));
      assert.ok(zones.some((z) => z.name === 'other.example'));
      const demoZones = await client.listZones(DEMO.accountId);
      assert.ok(demoZones.length >= 1 && demoZones.every((z) => z.accountId === DEMO.accountId));
      const last = sim.control.requests({ op: 'listZones' }).at(-1);
      assert.equal(last?.query['account.id'], DEMO.accountId);
    });
  });

  it('never sends a credential the simulator records in clear, nor logs one', async () => {
    const { client, logger } = makeClient(sim);
    await client.rollUserToken(DEMO.userToken.id);
    await client.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined);
    const reqs = sim.control.requests();
    assert.ok(reqs.every((r) => r.headers['authorization'] === '[redacted]'));
    assert.ok(reqs.every((r) => String(r.headers['user-agent']).startsWith('cf-rotate/')));
    assertNoSecrets(logger.lines.join('\n'), [DEMO.admin.value, ...liveSecrets(sim)], 'log lines');
  });
});
