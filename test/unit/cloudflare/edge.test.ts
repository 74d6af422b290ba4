/**
 * Conditions the simulator cannot produce (HTML error pages, redirects, odd envelopes,
 * socket-level error codes), through a scripted HttpTransport.
 */
import * as assert from 'node:assert/strict';
import { AccountChoiceNeeded, CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/core/cloudflare/transport';
import { CfRotateError, type ErrorKind } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';
import { InstantClock, assertNoSecrets, errorText } from './helpers';

type Step = { status: number; body: unknown; headers?: Record<string, string> } | { throw: unknown };

class ScriptedTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  constructor(private readonly steps: Step[]) {}
  async send(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    const step = this.steps[Math.min(this.requests.length - 1, this.steps.length - 1)] as Step;
    if ('throw' in step) throw step.throw;
    return { status: step.status, headers: new Headers(step.headers ?? {}), text: typeof step.body === 'string' ? step.body : JSON.stringify(step.body) };
  }
}

const ADMIN = 'cfut_' + 'Q'.repeat(40) + '0a1b2c3d';
const A = '023e105f4ecef8ad9ca31a8372d0c353';
const T = 'ed17574386854bf78a67040be0a770b0';
const ok = (result: unknown, extra: Record<string, unknown> = {}): unknown => ({ success: true, errors: [], messages: [], result, ...extra });
const fail = (code: number, message = 'nope'): unknown => ({ success: false, errors: [{ code, message }], messages: [], result: null });
const fetchFailed = (code: string): TypeError => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

function setup(steps: Step[], limiter?: RateLimiter, credential?: ConstructorParameters<typeof CloudflareClient>[0]['credential']): { client: CloudflareClient; transport: ScriptedTransport; clock: InstantClock; logger: MemoryLogger } {
  const transport = new ScriptedTransport(steps);
  const clock = new InstantClock();
  const logger = new MemoryLogger();
  const client = new CloudflareClient({
    baseUrl: 'https://api.cloudflare.com/client/v4',
    credential: credential ?? { type: 'api-token', token: ADMIN },
    transport,
    clock,
    logger,
    limiter: limiter ?? new RateLimiter({ limit: 1000, windowMs: 1000, clock }),
    backoff: { random: () => 0 },
  });
  return { client, transport, clock, logger };
}

async function kind(p: Promise<unknown>, k: ErrorKind): Promise<CfRotateError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CfRotateError, String(e));
    assert.equal(e.kind, k, `${e.kind}: ${e.message}`);
    return e;
  }
  assert.fail(`expected '${k}'`);
}

describe('cloudflare/CloudflareClient edge cases (scripted transport)', () => {
  it('an HTML 502 page is a server error, retried for GETs', async () => {
    const { client, transport } = setup([{ status: 502, body: '<html>Bad gateway</html>' }, { status: 200, body: ok({ id: T, status: 'active' }) }]);
    assert.equal((await client.verifyToken('v'.repeat(40))).id, T);
    assert.equal(transport.requests.length, 2);
    const s = setup([{ status: 502, body: '<html>Bad gateway</html>' }]);
    await kind(s.client.rollAccountToken(A, T), 'server');
    assert.equal(s.transport.requests.length, 1);
  });

  it('a redirect is not followed: contract error', async () => {
    const { client, transport } = setup([{ status: 301, body: '', headers: { location: 'https://evil.example/' } }]);
    const e = await kind(client.rollUserToken(T), 'contract');
    assert.match(e.message, /unexpected HTTP 301/);
    assert.equal(transport.requests.length, 1);
  });

  it('HTTP 200 with success:false is classified by its codes', async () => {
    await kind(setup([{ status: 200, body: fail(10000, 'Authentication error') }]).client.listUserTokens(), 'auth');
    await kind(setup([{ status: 200, body: fail(7003) }]).client.getUserToken(T), 'not-found');
    await kind(setup([{ status: 200, body: { success: false, errors: [], messages: [], result: null } }]).client.getUserToken(T), 'contract');
  });

  it('403 + 10000 is a permission problem whose hint also covers a rolled admin token', async () => {
    const e = await kind(setup([{ status: 403, body: fail(10000, 'Authentication error') }]).client.rollAccountToken(A, T), 'permission');
    assert.equal(e.permission, 'Account API Tokens Write');
    assert.match(e.hint ?? '', /set it again/);
  });

  it('success without result / with a value outside 40–80 chars / with a non-string: contract, rotation wording', async () => {
    for (const body of [{ success: true, errors: [], messages: [] }, ok('short'), ok('x'.repeat(81)), ok({ value: 'x'.repeat(50) })]) {
      const e = await kind(setup([{ status: 200, body }]).client.rollUserToken(T), 'contract');
      assert.match(e.message, /may have happened and the new secret was not received/);
    }
  });

  it('a success envelope missing `errors` or `messages` still delivers its result: a received secret is never thrown away', async () => {
    const v = await setup([{ status: 200, body: { success: true, messages: [], result: { id: T, status: 'active' } } }]).client.verifyToken('v'.repeat(40));
    assert.equal(v.status, 'active');
    const secret = `cfut_${'s'.repeat(40)}`;
    assert.equal(await setup([{ status: 200, body: { success: true, result: secret } }]).client.rollUserToken(T), secret);
    await kind(setup([{ status: 200, body: { errors: [], messages: [], result: secret } }]).client.rollUserToken(T), 'contract');
  });

  it('unknown extra fields are accepted and null timestamps become undefined', async () => {
    const token = { id: T, name: 'n', status: 'active', last_used_on: null, expires_on: null, brand_new_field: { x: 1 }, policies: [] };
    const { client } = setup([{ status: 200, body: ok([token], { result_info: { page: 1, per_page: 50, total_pages: 1, count: 1, total_count: 1 }, surprise: true }) }]);
    const [t] = await client.listUserTokens();
    assert.deepEqual(t, { id: T, name: 'n', status: 'active', issuedOn: undefined, modifiedOn: undefined, lastUsedOn: undefined, expiresOn: undefined, notBefore: undefined });
  });

  it('pagination without total_pages falls back to total_count, then to a short page', async () => {
    const tok = (i: number): unknown => ({ id: `t${i}`, name: 'n', status: 'active' });
    const page = (n: number, count: number, info: Record<string, number>): Step => ({ status: 200, body: ok(Array.from({ length: count }, (_, i) => tok(n * 100 + i)), { result_info: info }) });
    const a = setup([page(1, 50, { page: 1, per_page: 50, total_count: 70 }), page(2, 20, { page: 2, per_page: 50, total_count: 70 })]);
    assert.equal((await a.client.listUserTokens()).length, 70);
    assert.equal(a.transport.requests.length, 2);
    const b = setup([page(1, 50, { per_page: 50 }), page(2, 50, { per_page: 50 }), page(3, 3, { per_page: 50 })]);
    assert.equal((await b.client.listUserTokens()).length, 103);
    assert.deepEqual(b.transport.requests.map((r) => new URL(r.url).searchParams.get('page')), ['1', '2', '3']);
  });

  it('socket reset after sending: ambiguous for a roll (not retried), retried for a GET', async () => {
    const roll = setup([{ throw: fetchFailed('ECONNRESET') }]);
    const e = await kind(roll.client.rollUserToken(T), 'ambiguous');
    assert.match(e.message, /ECONNRESET/);
    assert.equal(roll.transport.requests.length, 1);
    for (const code of ['UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      const r = setup([{ throw: fetchFailed(code) }]);
      await kind(r.client.rotateServiceToken(A, 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415', undefined), 'ambiguous');
      assert.equal(r.transport.requests.length, 1, code);
    }
    const get = setup([{ throw: fetchFailed('UND_ERR_SOCKET') }, { status: 200, body: ok({ id: T, name: 'n', status: 'active' }) }]);
    assert.equal((await get.client.getUserToken(T)).id, T);
    assert.equal(get.transport.requests.length, 2);
  });

  it('DNS failure: network for a roll, retried (nothing was sent), then succeeds', async () => {
    const { client, transport, clock } = setup([{ throw: fetchFailed('ENOTFOUND') }, { throw: fetchFailed('EAI_AGAIN') }, { status: 200, body: ok('n'.repeat(40)) }]);
    assert.equal(await client.rollUserToken(T), 'n'.repeat(40));
    assert.equal(transport.requests.length, 3);
    assert.deepEqual(clock.sleeps, [250, 500]);
  });

  it('x-ratelimit-remaining: 0 pauses the shared limiter; retry-after as an HTTP date is honoured', async () => {
    const clock = new InstantClock();
    const limiter = new RateLimiter({ limit: 1000, windowMs: 60_000, clock });
    const retryAt = new Date(Math.ceil((clock.now() + 5000) / 1000) * 1000).toUTCString();
    const { client, transport } = setup(
      [
        { status: 200, body: ok({ id: T, name: 'n', status: 'active' }), headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '9' } },
        { status: 429, body: fail(971), headers: { 'retry-after': retryAt } },
        { status: 200, body: ok({ id: T, name: 'n', status: 'active' }) },
      ],
      limiter,
    );
    await client.getUserToken(T);
    assert.ok(limiter.pausedUntil >= clock.now() + 8000, 'paused until the reset');
    await client.getUserToken(T);
    assert.equal(transport.requests.length, 3);
  });

  it('Ratelimit r=0 (the header Cloudflare sends since 2025-09) pauses the shared limiter until t; it wins over x-ratelimit-*', async () => {
    const clock = new InstantClock();
    const limiter = new RateLimiter({ limit: 1000, windowMs: 60_000, clock });
    const { client } = setup(
      [
        { status: 200, body: ok({ id: T, name: 'n', status: 'active' }), headers: { ratelimit: '"default";r=0;t=9', 'ratelimit-policy': '"default";q=1200;w=300', 'x-ratelimit-remaining': '500' } },
        { status: 200, body: ok({ id: T, name: 'n', status: 'active' }) },
      ],
      limiter,
    );
    await client.getUserToken(T);
    assert.ok(limiter.pausedUntil >= clock.now() + 8000, 'paused until the reset');
    const free = new RateLimiter({ limit: 1000, windowMs: 60_000, clock });
    const other = setup([{ status: 200, body: ok({ id: T, name: 'n', status: 'active' }), headers: { ratelimit: '"default";r=12;t=9' } }], free);
    await other.client.getUserToken(T);
    assert.equal(free.pausedUntil, 0, 'requests remain: no pause');
  });

  it('local validation: empty ids, bad dates and versions are refused before sending', async () => {
    const { client, transport } = setup([{ status: 200, body: ok(null) }]);
    await kind(client.getAccountToken('', T), 'validation');
    await kind(client.bumpServiceTokenVersion({ accountId: A }, 'x', Number.NaN, undefined), 'validation');
    await kind(client.rotateServiceToken(A, 'x', new Date('nope')), 'validation');
    await kind(client.listServiceTokens({} as unknown as { accountId: string }), 'validation');
    assert.equal(transport.requests.length, 0);
  });

  it('ids are URL-encoded into the path', async () => {
    const { client, transport } = setup([{ status: 404, body: fail(7003) }]);
    await kind(client.getUserToken('../accounts'), 'not-found');
    assert.equal(new URL(transport.requests[0]?.url ?? '').pathname, '/client/v4/user/tokens/..%2Faccounts');
  });

  it('secrets in bodies are registered before logging: none reaches a log line or an error', async () => {
    const secret = 'S3cr3t' + 'z'.repeat(40);
    const { client, logger } = setup([{ status: 200, body: ok({ id: 'i', client_id: 'c', client_secret: secret, name: 12 }) }]);
    const e = await kind(client.rotateServiceToken(A, 'f174e90a-fafe-4643-bbbc-4a0ed4fc8415', undefined), 'contract');
    assertNoSecrets(errorText(e) + logger.lines.join('\n'), [secret, ADMIN], 'error/log');
    assert.ok(logger.lines.some((l) => l.includes('rotateServiceToken: POST')), logger.lines.join('\n'));
    assert.ok(logger.lines.every((l) => !/authorization|bearer/i.test(l)));
  });

  it('an account-owned admin token that sees several accounts: AccountChoiceNeeded lists them (the user picks; CLI: CLOUDFLARE_ACCOUNT_ID)', async () => {
    const OWNED = 'cfat_' + 'R'.repeat(40) + '0a1b2c3d';
    const accounts = [
      { id: A, name: 'Prod' },
      { id: 'b'.repeat(32), name: 'Staging' },
    ];
    const { client, transport } = setup(
      [{ status: 200, body: ok(accounts, { result_info: { page: 1, per_page: 50, count: 2, total_count: 2, total_pages: 1 } }) }],
      undefined,
      { type: 'api-token', token: OWNED },
    );
    const e = await kind(client.verifyCredential(), 'auth');
    assert.ok(e instanceof AccountChoiceNeeded);
    assert.deepEqual(e.accounts, accounts);
    assert.match(e.message, /not a user-owned token.*can see 2 accounts/);
    assert.match(e.hint ?? '', /CLOUDFLARE_ACCOUNT_ID.*Prod \(023e105f4ecef8ad9ca31a8372d0c353\), Staging/);
    assert.deepEqual(transport.requests.map((r) => new URL(r.url).pathname), ['/client/v4/accounts'], 'cfat_: not the user route, which refuses it (A1)');
    assertNoSecrets(errorText(e), [OWNED], 'error');
  });

  it('a 429 that gives only x-ratelimit-reset (an RFC 1123 date) is retried when the window resets', async () => {
    const clock = new InstantClock();
    const reset = new Date(Math.ceil((clock.now() + 42_000) / 1000) * 1000).toUTCString();
    const transport = new ScriptedTransport([
      { status: 429, body: fail(971, 'Please wait'), headers: { 'x-ratelimit-reset': reset } },
      { status: 200, body: ok({ id: T, name: 't', status: 'active' }) },
    ]);
    const client = new CloudflareClient({ baseUrl: 'https://api.cloudflare.com/client/v4', credential: { type: 'api-token', token: ADMIN }, transport, clock, limiter: new RateLimiter({ limit: 1000, windowMs: 1000, clock }) });
    assert.equal((await client.getUserToken(T)).id, T);
    assert.equal(clock.sleeps.length, 1);
    assert.ok((clock.sleeps[0] ?? 0) > 40_000 && (clock.sleeps[0] ?? 0) <= 43_000, String(clock.sleeps));
  });
});
