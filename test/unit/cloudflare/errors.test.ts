/** Error mapping, retries and secret hygiene, with simulator faults and real conditions. */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import { CfRotateError, type ErrorKind } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { systemClock } from '../../../src/core/ports';
import { start } from '../../simulator';
import { assertNoSecrets, errorText } from './helpers';
import { DEMO, liveSecrets, makeClient, type Sim, type TestClient } from './sim';

describe('cloudflare/CloudflareClient errors and retries (simulator)', function () {
  let sim: Sim;
  /** Every error and log line produced in this file, checked for secrets at the end. */
  const seenErrors: unknown[] = [];
  const loggers: MemoryLogger[] = [];
  const secretsEverSeen = new Set<string>();

  before(async () => {
    sim = await start({ port: 0, latencyMs: 0, rateLimit: { limit: 100_000, windowMs: 1000 } });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => {
    sim.control.reset();
    for (const s of liveSecrets(sim)) secretsEverSeen.add(s);
  });
  afterEach(() => {
    for (const s of liveSecrets(sim)) secretsEverSeen.add(s);
  });

  function client(extra: Parameters<typeof makeClient>[1] = {}): TestClient {
    const c = makeClient(sim, extra);
    loggers.push(c.logger);
    return c;
  }

  async function expectKind(p: Promise<unknown>, kind: ErrorKind): Promise<CfRotateError> {
    try {
      await p;
    } catch (e) {
      seenErrors.push(e);
      assert.ok(e instanceof CfRotateError, `expected a CfRotateError, got ${String(e)}`);
      assert.equal(e.kind, kind, `expected ${kind}, got ${e.kind}: ${e.message}`);
      assert.ok(e.hint && e.hint.length > 10, 'every error has a hint');
      return e;
    }
    assert.fail(`expected a '${kind}' error, but the call succeeded`);
  }

  describe('auth / permission / not-found / validation', () => {
    it("wrong admin token → 'auth' naming the operation and the profile", async () => {
      const wrong = 'cfut_' + 'W'.repeat(40) + 'deadbeef';
      secretsEverSeen.add(wrong);
      const { client: c } = client({ credential: { type: 'api-token', token: wrong } });
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'auth');
      assert.match(e.message, /^Rolling user API token [0-9a-f]{32} failed/);
      assert.match(e.message, /admin credential for profile "test" was rejected/);
      assert.match(e.hint ?? '', /again/);
      assert.equal(e.status, 401);
      assert.ok(e.codes.includes(10000));
      assert.equal(sim.control.state().userTokens.find((t) => t.id === DEMO.userToken.id)?.value, DEMO.userToken.value);
      await expectKind(c.verifyCredential(), 'auth');
    });

    it("wrong Global API key → 'auth'", async () => {
      const { client: c } = client({ credential: { type: 'global-key', email: DEMO.user.email, key: '0'.repeat(37) } });
      await expectKind(c.verifyCredential(), 'auth');
    });

    it("token without the permission → 'permission' naming it, per operation", async () => {
      const limited = sim.control.addUserToken({ name: 'read-only', permissions: ['API Tokens Read', 'Account API Tokens Read', 'Access: Service Tokens Read', 'MoQ Read'] });
      secretsEverSeen.add(limited.value);
      const { client: c } = client({ credential: { type: 'api-token', token: limited.value } });
      const cases: [() => Promise<unknown>, string][] = [
        [() => c.rollUserToken(DEMO.userToken.id), 'API Tokens Write'],
        [() => c.rollAccountToken(DEMO.accountId, DEMO.accountToken.id), 'Account API Tokens Write'],
        [() => c.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined), 'Access: Service Tokens Write'],
        [() => c.bumpServiceTokenVersion({ accountId: DEMO.accountId }, DEMO.serviceToken.id, 1, undefined), 'Access: Service Tokens Write'],
        [() => c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'x' }), 'MoQ Write'],
        [() => c.deleteMoqToken(DEMO.accountId, DEMO.relay.id, DEMO.relay.token.jti), 'MoQ Write'],
      ];
      for (const [p, perm] of cases) {
        const e = await expectKind(p(), 'permission');
        assert.equal(e.permission, perm);
        assert.ok(e.message.includes(`"${perm}"`), e.message);
        // 9109 is also Cloudflare's answer for a revoked or invalid token (A8): the message says both.
        assert.match(e.message, /, or it was revoked or is no longer valid/);
        assert.ok((e.hint ?? '').includes(perm));
        assert.match(e.hint ?? '', /set it again for profile "test"/);
        // The 403's documentation_url (A8: "contextual 403s") is shown.
        assert.match(e.hint ?? '', /Cloudflare's explanation: https:\/\/developers\.cloudflare\.com\/api\/resources\//);
        assert.equal(e.status, 403);
        assert.deepEqual(e.codes, [9109]);
      }
      const none = sim.control.addUserToken({ name: 'nothing', permissions: [] });
      secretsEverSeen.add(none.value);
      const { client: c2 } = client({ credential: { type: 'api-token', token: none.value } });
      for (const [p, perm] of [
        [() => c2.listUserTokens(), 'API Tokens Read'],
        [() => c2.getAccountToken(DEMO.accountId, DEMO.accountToken.id), 'Account API Tokens Read'],
        [() => c2.listServiceTokens({ accountId: DEMO.accountId }), 'Access: Service Tokens Read'],
        [() => c2.listMoqRelays(DEMO.accountId), 'MoQ Read'],
      ] as const) {
        assert.equal((await expectKind(p(), 'permission')).permission, perm);
      }
      // verify needs no permission
      assert.equal((await c2.verifyCredential()).ok, true);
    });

    it("unknown token id → 'not-found'", async () => {
      const { client: c } = client();
      const e = await expectKind(c.rollUserToken('0123456789abcdef0123456789abcdef'), 'not-found');
      assert.equal(e.status, 404);
      assert.match(e.message, /no such user API token/);
      await expectKind(c.getServiceToken({ accountId: DEMO.accountId }, '00000000-0000-4000-8000-000000000000'), 'not-found');
      await expectKind(c.getMoqRelay(DEMO.accountId, 'ffffffffffffffffffffffffffffffff'), 'not-found');
      assert.equal(sim.control.requests({ op: 'rollUserToken' }).length, 1, 'not retried');
    });

    it("rejected input → 'validation' (and nothing is retried)", async () => {
      const { client: c } = client();
      // An expiry more than a year out: Cloudflare refuses the MoQ create with 400 / 21012.
      const far = new Date(sim.control.now().getTime() + 2 * 365 * 86_400_000).toISOString();
      const e = await expectKind(c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'x', expires: far }), 'validation');
      assert.equal(e.status, 400);
      assert.deepEqual(e.codes, [21012]);
      assert.match(e.message, /MoQ relay "demo-live" \([0-9a-f]{32}\) refused the new token's expiry: Cloudflare allows at most one year/);
      assert.match(e.hint ?? '', /Nothing was rotated/);
      assert.equal(sim.control.requests({ op: 'createMoqToken' }).length, 1, 'not retried');
      await expectKind(c.rollUserToken(''), 'validation');
    });

    it("a secret version that is not greater rotates nothing: no secret comes back → 'contract' (A3)", async () => {
      const { client: c } = client();
      await c.bumpServiceTokenVersion({ accountId: DEMO.accountId }, DEMO.serviceToken.id, 5, undefined);
      const e = await expectKind(c.bumpServiceTokenVersion({ accountId: DEMO.accountId }, DEMO.serviceToken.id, 1, undefined), 'contract');
      assert.match(e.message, /returned no client_secret/);
      assert.equal(sim.control.requests({ op: 'updateServiceToken' }).length, 2, 'not retried');
    });

    it("MoQ: the 11th token of a relay → 409 / 21009 with its own message naming the relay; nothing created", async () => {
      const { client: c } = client();
      const have = sim.control.state().moqRelays.find((r) => r.uid === DEMO.relay.id)?.tokens.length ?? 0;
      for (let i = have; i < 10; i++) await c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: `filler ${i}` });
      const e = await expectKind(c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'eleventh' }), 'validation');
      assert.equal(e.status, 409);
      assert.deepEqual(e.codes, [21009]);
      assert.match(e.message, /MoQ relay "demo-live" \(48228cf27396a6c65b776a5578a657f2\) already holds 10 tokens, the most Cloudflare allows per relay/);
      assert.match(e.message, /no new token was created, and the previous token in your files still works/);
      assert.match(e.hint ?? '', /Delete tokens of MoQ relay "demo-live".*remove one in the Cloudflare dashboard/);
      assert.equal(sim.control.state().moqRelays.find((r) => r.uid === DEMO.relay.id)?.tokens.length, 10);
    });
  });

  describe('rate limits (429)', () => {
    it('GET: waits retry-after, then succeeds', async () => {
      sim.control.addFault({ op: 'listUserTokens', type: 'rate-limit', retryAfterSec: 7 });
      const { client: c, clock, limiter } = client();
      const list = await c.listUserTokens();
      assert.ok(list.length > 0);
      assert.deepEqual(clock.sleeps, [7000]);
      assert.deepEqual(sim.control.requests({ op: 'listUserTokens' }).map((r) => r.status), [429, 200]);
      assert.ok(limiter.pausedUntil > 0, 'the shared limiter paused everyone');
    });

    it('mutation: a 429 was not processed, so the roll is retried once and succeeds', async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'rate-limit', retryAfterSec: 3 });
      const { client: c, clock } = client();
      const value = await c.rollUserToken(DEMO.userToken.id);
      assert.equal(sim.control.state().userTokens.find((t) => t.id === DEMO.userToken.id)?.value, value);
      assert.deepEqual(clock.sleeps, [3000]);
      assert.deepEqual(sim.control.requests({ op: 'rollUserToken' }).map((r) => r.status), [429, 200]);
    });

    it("persistent 429 → 'rate-limited' with retryAfterMs after maxRetries", async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'rate-limit', retryAfterSec: 2, times: -1 });
      const { client: c } = client({ maxRetries: 2 });
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'rate-limited');
      assert.equal(e.retryAfterMs, 2000);
      assert.equal(sim.control.requests({ op: 'rollUserToken' }).length, 3);
    });
  });

  describe('server errors (5xx)', () => {
    for (const status of [500, 502] as const) {
      it(`GET: ${status} (RFC 9457 problem details with Retry-After) is retried after Retry-After and succeeds`, async () => {
        sim.control.addFault({ op: 'getUserToken', type: 'status', status, times: 2, retryAfterSec: 2 });
        const { client: c, clock } = client();
        const t = await c.getUserToken(DEMO.userToken.id);
        assert.equal(t.id, DEMO.userToken.id);
        assert.deepEqual(sim.control.requests({ op: 'getUserToken' }).map((r) => r.status), [status, status, 200]);
        assert.deepEqual(clock.sleeps, [2000, 2000], "Cloudflare's Retry-After, not our backoff");
      });
    }

    it('GET: 503 without Retry-After is retried with backoff and succeeds', async () => {
      sim.control.addFault({ op: 'getUserToken', type: 'status', status: 503, times: 2 });
      const { client: c, clock } = client();
      const t = await c.getUserToken(DEMO.userToken.id);
      assert.equal(t.id, DEMO.userToken.id);
      assert.deepEqual(sim.control.requests({ op: 'getUserToken' }).map((r) => r.status), [503, 503, 200]);
      assert.deepEqual(clock.sleeps, [250, 500], 'exponential backoff (jitter pinned to 0)');
    });

    it("a 5xx problem-details body (RFC 9457) gives a readable message: title, detail, Cloudflare's error code and Ray ID", async () => {
      sim.control.addFault({ op: 'listAccounts', type: 'status', status: 502, times: -1, retryAfterSec: 1 });
      const { client: c, clock } = client({ maxRetries: 1 });
      const e = await expectKind(c.listAccounts(), 'server');
      assert.equal(e.status, 502);
      assert.match(e.message, /^Listing accounts failed: Cloudflare had an internal error \(HTTP 502: Bad gateway: [^()]+\(error 502, Ray ID [\w-]+\)\)\.$/);
      assert.equal(e.retryAfterMs, 1000);
      assert.match(e.hint ?? '', /Retry in 1 s \(Cloudflare's Retry-After\)/);
      assert.deepEqual(clock.sleeps, [1000]);
    });

    it('a Retry-After longer than the client waits is not waited for: the error says when to come back', async () => {
      sim.control.addFault({ op: 'listAccounts', type: 'status', status: 500, retryAfterSec: 900 });
      const { client: c, clock } = client({ maxRetryAfterMs: 60_000 });
      const e = await expectKind(c.listAccounts(), 'server');
      assert.equal(e.retryAfterMs, 900_000);
      assert.match(e.hint ?? '', /Retry in 15 min/);
      assert.deepEqual(clock.sleeps, []);
    });

    for (const status of [500, 502, 503] as const) {
      it(`roll: ${status} is NOT retried → 'server', exactly one request`, async () => {
        sim.control.addFault({ op: 'rollAccountToken', type: 'status', status });
        const { client: c, clock } = client();
        const e = await expectKind(c.rollAccountToken(DEMO.accountId, DEMO.accountToken.id), 'server');
        assert.equal(e.status, status);
        assert.match(e.message, /not retried because the change may have been applied/);
        assert.match(e.hint ?? '', /checks whether the call took effect/);
        assert.equal(sim.control.requests({ op: 'rollAccountToken' }).length, 1);
        assert.deepEqual(clock.sleeps, []);
      });
    }

    it("rotate / PUT bump / MoQ create: 503 is NOT retried → 'server'", async () => {
      for (const op of ['rotateServiceToken', 'updateServiceToken', 'createMoqToken'] as const) sim.control.addFault({ op, type: 'status', status: 503 });
      const { client: c } = client();
      await expectKind(c.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined), 'server');
      await expectKind(c.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined), 'server');
      await expectKind(c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'x' }), 'server');
      for (const op of ['rotateServiceToken', 'updateServiceToken', 'createMoqToken'] as const) assert.equal(sim.control.requests({ op }).length, 1, op);
    });

    it("GET: persistent 503 → 'server' after maxRetries+1 attempts", async () => {
      sim.control.addFault({ op: 'listAccounts', type: 'status', status: 503, times: -1 });
      const { client: c } = client({ maxRetries: 3 });
      await expectKind(c.listAccounts(), 'server');
      assert.equal(sim.control.requests({ op: 'listAccounts' }).length, 4);
    });
  });

  describe("contract violations → 'contract'", () => {
    it('malformed JSON after a committed roll: the message says the rotation may have happened', async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'malformed-json' });
      const { client: c } = client();
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'contract');
      assert.match(e.message, /may have happened/);
      assert.match(e.message, /not received/);
      assert.equal(sim.control.requests({ op: 'rollUserToken' }).length, 1);
      assert.notEqual(sim.control.state().userTokens.find((t) => t.id === DEMO.userToken.id)?.value, DEMO.userToken.value, 'it did happen');
    });

    it('malformed JSON on a GET', async () => {
      sim.control.addFault({ op: 'getUserToken', type: 'malformed-json' });
      const { client: c } = client();
      const e = await expectKind(c.getUserToken(DEMO.userToken.id), 'contract');
      assert.match(e.message, /not JSON/);
    });

    it('roll answered without the secret', async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'missing-secret' });
      const { client: c } = client();
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'contract');
      assert.match(e.message, /rotation may have happened and the new secret was not received/);
    });

    it('service-token rotate answered without client_secret', async () => {
      sim.control.addFault({ op: 'rotateServiceToken', type: 'missing-secret' });
      const { client: c } = client();
      const e = await expectKind(c.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined), 'contract');
      assert.match(e.message, /returned no client_secret\. The rotation happened and the new secret was not received/);
    });

    it('PUT version bump answered without client_secret is a hard failure that claims neither reading (a version not above the token\'s own rotates nothing and returns no secret, A3)', async () => {
      sim.control.addFault({ op: 'updateServiceToken', type: 'missing-secret' });
      const { client: c } = client();
      const e = await expectKind(c.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined), 'contract');
      assert.match(e.message, /either version 2 is not above the version the token already has \(nothing rotated\), or it rotated and the new secret was not received/);
      assert.equal(sim.control.requests({ op: 'updateServiceToken' }).length, 1);
    });

    it('MoQ create answered without the token', async () => {
      sim.control.addFault({ op: 'createMoqToken', type: 'missing-secret' });
      const { client: c } = client();
      const e = await expectKind(c.createMoqToken(DEMO.accountId, DEMO.relay.id, ['subscribe'], { label: 'x' }), 'contract');
      assert.match(e.message, /no token secret/);
      assert.match(e.hint ?? '', /deletes the unusable token/);
    });
  });

  describe('no answer', () => {
    it("drop-after-commit on roll → 'ambiguous', exactly one request sent", async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'drop-after-commit' });
      const { client: c } = client();
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'ambiguous');
      assert.match(e.message, /may have happened/);
      assert.match(e.hint ?? '', /checks whether the call took effect/);
      assert.equal(sim.control.requests({ op: 'rollUserToken' }).length, 1);
    });

    it('drop-after-commit on rotate and on the PUT bump → ambiguous, not repeated', async () => {
      sim.control.addFault({ op: 'rotateServiceToken', type: 'drop-after-commit' });
      sim.control.addFault({ op: 'updateServiceToken', type: 'drop-after-commit' });
      const { client: c } = client();
      await expectKind(c.rotateServiceToken(DEMO.accountId, DEMO.serviceToken.id, undefined), 'ambiguous');
      await expectKind(c.bumpServiceTokenVersion({ zoneId: DEMO.zoneId }, DEMO.zoneServiceToken.id, 1, undefined), 'ambiguous');
      assert.equal(sim.control.requests({ op: 'rotateServiceToken' }).length, 1);
      assert.equal(sim.control.requests({ op: 'updateServiceToken' }).length, 1);
    });

    it('drop on a GET is retried and succeeds; MoQ DELETE (idempotent) too', async () => {
      sim.control.addFault({ op: 'listAccounts', type: 'drop-after-commit' });
      sim.control.addFault({ op: 'deleteMoqToken', type: 'drop-after-commit' });
      const { client: c } = client();
      assert.ok((await c.listAccounts()).length > 0);
      assert.equal(sim.control.requests({ op: 'listAccounts' }).length, 2);
      await c.deleteMoqToken(DEMO.accountId, DEMO.relay.id, DEMO.relay.token.jti);
      assert.equal(sim.control.requests({ op: 'deleteMoqToken' }).length, 2);
    });

    it("hang with a short timeoutMs on roll → 'ambiguous' (one request)", async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'hang' });
      const { client: c } = client({ timeoutMs: 300 });
      const started = Date.now();
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'ambiguous');
      assert.ok(Date.now() - started < 3000);
      assert.match(e.message, /no answer within 0\.3 s/);
      assert.equal(sim.control.requests({ op: 'rollUserToken' }).length, 1);
    });

    it("hang on a GET every time → retried, then 'network' (nothing changed)", async () => {
      sim.control.addFault({ op: 'getUserToken', type: 'hang', times: -1 });
      const { client: c } = client({ timeoutMs: 150, maxRetries: 1 });
      const e = await expectKind(c.getUserToken(DEMO.userToken.id), 'network');
      assert.match(e.message, /after 2 attempt/);
      assert.equal(sim.control.requests({ op: 'getUserToken' }).length, 2);
    });

    it("connection refused (closed port) → 'network', nothing sent; retried with backoff", async () => {
      const port = await closedPort();
      const logger = new MemoryLogger();
      loggers.push(logger);
      const sleeps: number[] = [];
      const c = new CloudflareClient({
        baseUrl: `http://127.0.0.1:${port}/client/v4`,
        credential: { type: 'api-token', token: DEMO.admin.value },
        logger,
        clock: { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) },
        limiter: new RateLimiter({ limit: 1000, windowMs: 1000, clock: systemClock }),
        backoff: { random: () => 0 },
      });
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id), 'network');
      assert.match(e.message, /nothing was sent/);
      assert.match(e.message, /ECONNREFUSED/);
      assert.equal(sleeps.length, 3, 'a roll that never reached Cloudflare may be retried');
      await expectKind(c.listUserTokens(), 'network');
    });

    it("caller abort while a roll is in flight → 'ambiguous' (it may have been applied)", async () => {
      sim.control.addFault({ op: 'rollUserToken', type: 'hang' });
      const { client: c } = client();
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('user pressed cancel')), 100);
      const e = await expectKind(c.rollUserToken(DEMO.userToken.id, { signal: ac.signal }), 'ambiguous');
      assert.match(e.message, /cancelled while waiting for the answer/);
    });

    it("an already-cancelled roll → 'cancelled' and nothing is sent", async () => {
      const { client: c } = client();
      await expectKind(c.rollUserToken(DEMO.userToken.id, { signal: AbortSignal.abort() }), 'cancelled');
      assert.equal(sim.control.requests().length, 0);
    });

    it("an admin credential with a line break is refused before sending ('auth')", async () => {
      const { client: c } = client({ credential: { type: 'api-token', token: 'cfut_abc\ndef' + 'x'.repeat(40) } });
      const e = await expectKind(c.listUserTokens(), 'auth');
      assert.match(e.message, /cannot be sent/);
      assert.equal(sim.control.requests().length, 0);
      // surrounding whitespace (a pasted value) is trimmed, not refused
      const { client: ok } = client({ credential: { type: 'api-token', token: ` ${DEMO.admin.value}\n` } });
      assert.equal((await ok.verifyCredential()).id, DEMO.admin.id);
    });

    it("caller abort while a GET is in flight → 'cancelled'", async () => {
      sim.control.addFault({ op: 'getUserToken', type: 'hang' });
      const { client: c } = client();
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('user pressed cancel')), 100);
      await expectKind(c.getUserToken(DEMO.userToken.id, { signal: ac.signal }), 'cancelled');
    });
  });

  // Last: runs after every test above (mocha runs nested describes in order).
  describe('secret hygiene', () => {
  it('no secret (admin token, old or new values) in any error message, hint or log line of this file', () => {
    for (const s of liveSecrets(sim)) secretsEverSeen.add(s);
    secretsEverSeen.add(DEMO.admin.value);
    assert.ok(seenErrors.length >= 20, `collected ${seenErrors.length} errors`);
    const text = seenErrors.map(errorText).join('\n') + loggers.flatMap((l) => l.lines).join('\n');
    assert.ok(loggers.flatMap((l) => l.lines).length > 30);
    assertNoSecrets(text, [...secretsEverSeen], 'errors/logs');
  });
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
