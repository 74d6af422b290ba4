/** Pure units of the Cloudflare client: base URL, retry policy, header parsing, error classes, JWT jti. */
import * as assert from 'node:assert/strict';
import * as E from '../../../src/core/cloudflare/envelope';
import { classifyHttp, decodeJwtJti, validateApiBaseUrl, DEFAULT_API_BASE_URL } from '../../../src/core/cloudflare/client';
import { backoffDelay, parseRateLimitHeader, parseRateLimitReset, parseRetryAfter, retryDecision } from '../../../src/core/cloudflare/retry';
import { classifyTransportError, readBodyCapped, ResponseTooLargeError } from '../../../src/core/cloudflare/transport';
import { collectSecrets } from '../../../src/core/cloudflare/envelope';
import { CfRotateError, type ErrorKind } from '../../../src/core/errors';

const isConfig = (e: unknown): boolean => e instanceof CfRotateError && e.kind === 'config';

describe('cloudflare/validateApiBaseUrl', () => {
  it('accepts https and http to loopback only', () => {
    assert.equal(validateApiBaseUrl(DEFAULT_API_BASE_URL).href, 'https://api.cloudflare.com/client/v4');
    for (const ok of ['http://127.0.0.1:8787/client/v4', 'http://127.3.4.5/x', 'http://localhost:1/client/v4', 'http://[::1]:9/client/v4', 'https://example.com/v4']) {
      assert.doesNotThrow(() => validateApiBaseUrl(ok), ok);
    }
    for (const bad of ['http://api.cloudflare.com/client/v4', 'http://10.0.0.1/', 'http://128.0.0.1/', 'ftp://127.0.0.1/', 'file:///etc/passwd', 'not a url', 'http://localhost.evil.com/', 'https://u:p@api.cloudflare.com/']) {
      assert.throws(() => validateApiBaseUrl(bad), isConfig, bad);
    }
  });
});

describe('cloudflare/retry policy', () => {
  const err = (kind: ErrorKind, retryAfterMs?: number): CfRotateError =>
    new CfRotateError(kind, 'x', retryAfterMs !== undefined ? { retryAfterMs } : {});

  it('retries 429 and network failures for every method, honouring retry-after', () => {
    assert.deepEqual(retryDecision(err('rate-limited', 2000), 0, false, 3), { retry: true, delayMs: 2000 });
    assert.equal(retryDecision(err('network'), 0, false, 3).retry, true);
  });
  it('never retries a mutation after an ambiguous failure or a 5xx; retries idempotent calls', () => {
    assert.equal(retryDecision(err('ambiguous'), 0, false, 3).retry, false);
    assert.equal(retryDecision(err('server'), 0, false, 3).retry, false);
    assert.equal(retryDecision(err('ambiguous'), 0, true, 3).retry, true);
    assert.equal(retryDecision(err('server'), 2, true, 3).retry, true);
  });
  it('is bounded by maxRetries and never retries user-actionable errors', () => {
    assert.equal(retryDecision(err('server'), 3, true, 3).retry, false);
    assert.equal(retryDecision(err('rate-limited', 1), 3, true, 3).retry, false);
    for (const k of ['auth', 'permission', 'not-found', 'validation', 'contract'] as const) {
      assert.equal(retryDecision(err(k), 0, true, 3).retry, false, k);
    }
  });
  it('backs off exponentially with jitter, capped', () => {
    assert.equal(backoffDelay(0, { random: () => 0 }), 250);
    assert.equal(backoffDelay(0, { random: () => 0.999999 }), 500);
    assert.equal(backoffDelay(3, { random: () => 0 }), 2000);
    assert.equal(backoffDelay(20, { random: () => 0.999999, maxMs: 15_000 }), 15_000);
    const a = backoffDelay(2);
    assert.ok(a >= 1000 && a <= 2000);
  });
  it('parses retry-after and x-ratelimit-reset', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('0.5', now), 500);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter(null, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRateLimitReset('12', now), 12_000);
    assert.equal(parseRateLimitReset(String(now / 1000 + 7), now), 7000);
    assert.equal(parseRateLimitReset('x', now), undefined);
  });
  it('x-ratelimit-reset is an RFC 1123 date (A7; the limits docs), numbers still accepted', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(parseRateLimitReset('Tue, 01 Jan 2030 00:05:00 GMT', now), 300_000);
    assert.equal(parseRateLimitReset('  Tue, 01 Jan 2030 00:00:01 GMT ', now), 1000);
    assert.equal(parseRateLimitReset('Mon, 31 Dec 2029 23:59:00 GMT', now), 0, 'a reset in the past: no wait');
    assert.equal(parseRateLimitReset('Tuesday, 01-Jan-30 00:00:30 GMT', now), 30_000, 'RFC 850 form');
    assert.equal(parseRateLimitReset('300', now), 300_000, 'seconds');
    assert.equal(parseRateLimitReset('', now), undefined);
    assert.equal(parseRateLimitReset('Tue, 99 Foo 2030', now), undefined);
    assert.equal(parseRateLimitReset('12:00', now), undefined);
  });
  it('Ratelimit (Cloudflare since 2025-09): the most constraining item, r remaining and t seconds to the reset', () => {
    assert.deepEqual(parseRateLimitHeader('"default";r=50;t=30'), { remaining: 50, resetMs: 30_000 });
    assert.deepEqual(parseRateLimitHeader('"default";r=50;t=30, "burst";r=3;t=5'), { remaining: 3, resetMs: 5_000 });
    assert.deepEqual(parseRateLimitHeader('"a";r=0;t=2,"b";r=0;t=40'), { remaining: 0, resetMs: 40_000 }, 'on a tie, the longer wait');
    assert.deepEqual(parseRateLimitHeader(' "default" ; r=7 ; t=1 '), { remaining: 7, resetMs: 1_000 });
    assert.deepEqual(parseRateLimitHeader('default;r=4'), { remaining: 4, resetMs: 0 }, 'a token name, no t');
    assert.equal(parseRateLimitHeader(null), undefined);
    assert.equal(parseRateLimitHeader(''), undefined);
    assert.equal(parseRateLimitHeader('"default";q=100;w=60'), undefined, 'a policy item says nothing about what remains');
    assert.equal(parseRateLimitHeader('"default";r=-1;t=3'), undefined);
  });
  it('a 5xx retry honours its Retry-After for idempotent calls; mutations are still not repeated', () => {
    assert.deepEqual(retryDecision(err('server', 5000), 0, true, 3, { random: () => 0 }), { retry: true, delayMs: 5000 });
    assert.deepEqual(retryDecision(err('server'), 0, true, 3, { random: () => 0 }), { retry: true, delayMs: 250 });
    assert.equal(retryDecision(err('server', 5000), 0, false, 3).retry, false);
  });
});

describe('cloudflare/classifyHttp', () => {
  const cases: [number, number[], ErrorKind][] = [
    [401, [], 'auth'],
    [400, [6003], 'auth'],
    [403, [9106], 'auth'],
    [400, [9103], 'auth'],
    [200, [10000], 'auth'],
    [403, [9109], 'permission'],
    [403, [], 'permission'],
    [404, [], 'not-found'],
    [400, [7003], 'not-found'],
    [400, [7000], 'not-found'],
    [429, [], 'rate-limited'],
    [500, [], 'server'],
    [503, [1000], 'server'],
    [400, [1001], 'validation'],
    [409, [21009], 'validation'],
  ];
  for (const [status, codes, kind] of cases) {
    it(`HTTP ${status} codes [${codes.join(',')}] → ${kind}`, () => assert.equal(classifyHttp(status, codes), kind));
  }
});

describe('cloudflare/classifyTransportError', () => {
  const fetchError = (cause: unknown): TypeError => new TypeError('fetch failed', { cause });
  const coded = (code: string): Error => Object.assign(new Error(code), { code });
  it('connection never made → network', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']) {
      assert.equal(classifyTransportError(fetchError(coded(code))).failure, 'network', code);
    }
    const agg = Object.assign(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), { code: 'ECONNREFUSED' });
    assert.equal(classifyTransportError(fetchError(agg)).failure, 'network');
  });
  it('request possibly written → ambiguous', () => {
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'EPIPE']) {
      assert.equal(classifyTransportError(fetchError(coded(code))).failure, 'ambiguous', code);
    }
    assert.equal(classifyTransportError(new DOMException('timed out', 'TimeoutError')).failure, 'ambiguous');
    assert.equal(classifyTransportError(new Error('weird')).failure, 'ambiguous');
  });
});

describe('cloudflare/decodeJwtJti', () => {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  it('reads jti from the payload without verifying', () => {
    assert.equal(decodeJwtJti(`${b64({ alg: 'EdDSA' })}.${b64({ jti: 'f3a1b2c3d4e5f67890a1b2c3d4e5f678', sub: 'r' })}.sig`), 'f3a1b2c3d4e5f67890a1b2c3d4e5f678');
  });
  it('returns undefined for anything else', () => {
    for (const t of ['', 'abc', 'a.b.c', `x.${b64({ sub: 1 })}.y`, `x.${b64({ jti: 5 })}.y`, `x.${b64('str')}.y`]) assert.equal(decodeJwtJti(t), undefined, t);
  });
});

describe('cloudflare/collectSecrets', () => {
  it('finds the roll value, client_secret and MoQ token/secret', () => {
    assert.deepEqual(collectSecrets({ success: true, result: 'v'.repeat(40) }), ['v'.repeat(40)]);
    assert.deepEqual(collectSecrets({ result: { id: 'i', client_secret: 'cs' } }), ['cs']);
    assert.deepEqual(collectSecrets({ result: { token: 'jwt', type: 'subscribe' } }), ['jwt']);
    assert.deepEqual(collectSecrets({ result: { issuers: [{ cloudflare_tokens: [{ jti: 'j', secret: 's1' }, { jti: 'k' }] }] } }), ['s1']);
    assert.deepEqual(collectSecrets('nope'), []);
  });
});

describe('cloudflare/MoQ token lists', () => {
  it('accept operation names beyond publish/subscribe (A4: "fine-grained MoQT message names later")', () => {
    const env = E.MoqTokensEnvelopeSchema.parse({
      issuers: [
        { type: 'cloudflare_jwt', issuer: 'cloudflare', cloudflare_tokens: [{ jti: 'a'.repeat(32), operations: ['publish', 'subscribe', 'announce'], created: '2026-11-01T00:00:00Z', expires: '2027-11-01T00:00:00Z' }] },
        { type: 'some_future_issuer', keys: [] },
      ],
    });
    const tokens = E.moqJwtTokens(env);
    assert.ok(Array.isArray(tokens));
    assert.deepEqual(tokens.map((t) => t.operations), [['publish', 'subscribe', 'announce']]);
  });
});

describe('cloudflare/readBodyCapped (every transport reads answers through it)', () => {
  const bytes = (n: number): Uint8Array => new Uint8Array(n).fill(0x61);
  async function* stream(sizes: number[], seen: number[]): AsyncGenerator<Uint8Array> {
    for (const n of sizes) {
      seen.push(n);
      yield bytes(n);
    }
  }

  it('reads a body up to exactly the limit', async () => {
    let cancelled = 0;
    const text = await readBodyCapped(Number.NaN, stream([4, 4, 2], []), () => void cancelled++, 10);
    assert.equal(text, 'a'.repeat(10));
    assert.equal(cancelled, 0);
  });

  it('refuses a declared length past the limit before reading anything, and cancels the body', async () => {
    const seen: number[] = [];
    let cancelled = 0;
    await assert.rejects(readBodyCapped(11, stream([1], seen), () => void cancelled++, 10), ResponseTooLargeError);
    assert.deepEqual(seen, []);
    assert.equal(cancelled, 1);
  });

  it('stops a streamed body at the first chunk past the limit (a lying or missing length), and cancels the rest', async () => {
    const seen: number[] = [];
    let cancelled = 0;
    await assert.rejects(readBodyCapped(5, stream([6, 6, 6, 6], seen), () => void cancelled++, 10), ResponseTooLargeError);
    assert.deepEqual(seen, [6, 6], 'nothing is pulled after the chunk that passed the limit');
    assert.equal(cancelled, 1);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const euro = Buffer.from('€', 'utf8');
    async function* parts(): AsyncGenerator<Uint8Array> {
      yield euro.subarray(0, 1);
      yield euro.subarray(1);
    }
    assert.equal(await readBodyCapped(Number.NaN, parts(), () => undefined, 10), '€');
  });
});
