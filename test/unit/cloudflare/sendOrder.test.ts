/**
 * When a mutation is journaled relative to its wait for a request slot, and what is left of its
 * timeout once it goes out: the journal's fsync never holds one of the slots in flight, yet the
 * request always ends by the deadline that was journaled.
 */
import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CloudflareClient } from '../../../src/core/cloudflare/client';
import { RateLimiter } from '../../../src/core/cloudflare/limiter';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../src/core/cloudflare/transport';
import { CfRotateError } from '../../../src/core/errors';
import { MemoryLogger } from '../../../src/core/log';

const ADMIN = 'cfut_' + 'S'.repeat(40) + '0a1b2c3d';
const A = '023e105f4ecef8ad9ca31a8372d0c353';
const FIRST = 'ed17574386854bf78a67040be0a770b0';
const SECOND = 'fd17574386854bf78a67040be0a770b1';
const ROLLED = 'cfut_' + 'N'.repeat(40) + '9f8e7d6c';

/** Answers each request after `delayMs(req)`, or never (until aborted) when that is null. */
class TimedTransport implements HttpTransport {
  readonly sent: { url: string; at: number; endedAt?: number; aborted?: boolean }[] = [];
  constructor(private readonly delayMs: (req: HttpRequest) => number | null) {}
  send(req: HttpRequest): Promise<HttpResponse> {
    const rec: (typeof this.sent)[number] = { url: req.url, at: performance.now() };
    this.sent.push(rec);
    const d = this.delayMs(req);
    return new Promise((resolve, reject) => {
      const timer =
        d === null
          ? undefined
          : setTimeout(() => {
              rec.endedAt = performance.now();
              resolve({ status: 200, headers: new Headers(), text: JSON.stringify({ success: true, errors: [], messages: [], result: ROLLED }) });
            }, d);
      req.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          rec.endedAt = performance.now();
          rec.aborted = true;
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        },
        { once: true },
      );
    });
  }
}

function client(transport: HttpTransport): CloudflareClient {
  return new CloudflareClient({
    baseUrl: 'https://api.cloudflare.com/client/v4',
    credential: { type: 'api-token', token: ADMIN },
    transport,
    logger: new MemoryLogger(),
    // One request in flight at a time: the second call has to wait for the first.
    limiter: new RateLimiter({ limit: 1000, windowMs: 60_000, maxConcurrent: 1 }),
    maxRetries: 0,
  });
}

describe('cloudflare/request: journal before the slot, deadline kept', () => {
  it('a mutation is journaled before it waits for a slot, and the wait comes off its timeout', async () => {
    const transport = new TimedTransport((req) => (req.url.includes(FIRST) ? 150 : null));
    const c = client(transport);
    const t0 = performance.now();
    const first = c.rollAccountToken(A, FIRST);
    const journaled: number[] = [];
    let sentAt: number | undefined;
    const second = c
      .rollAccountToken(A, SECOND, {
        timeoutMs: 600,
        beforeSend: async () => {
          journaled.push(performance.now());
        },
        onSend: () => {
          sentAt = performance.now();
        },
      })
      .then(
        () => assert.fail('the hung roll cannot answer'),
        (e: unknown) => e,
      );
    assert.equal(await first, ROLLED);
    const err = await second;
    assert.ok(err instanceof CfRotateError && err.kind === 'ambiguous', String(err));
    assert.equal(journaled.length, 1);
    const j = journaled[0] as number;
    assert.ok(j - t0 < 100, `journaled while the first call was still out (${(j - t0).toFixed(0)} ms)`);
    assert.ok(sentAt !== undefined && sentAt - t0 >= 145, 'sent only once the slot was free');
    const rec = transport.sent.find((r) => r.url.includes(SECOND));
    assert.ok(rec?.aborted && rec.endedAt !== undefined);
    // The journaled deadline is journaled time + 600 ms (+ a margin): the request ended by then,
    // not 600 ms after it went out.
    assert.ok(rec.endedAt - j <= 600 + 40, `ended ${(rec.endedAt - j).toFixed(0)} ms after it was journaled`);
    assert.ok(rec.endedAt - rec.at < 600 - 100, `its own time was shortened by the wait (${(rec.endedAt - rec.at).toFixed(0)} ms)`);
  });

  it('after a wait longer than half its timeout it is journaled again, with the slot held, and gets its whole timeout', async () => {
    const transport = new TimedTransport((req) => (req.url.includes(FIRST) ? 250 : 20));
    const c = client(transport);
    const t0 = performance.now();
    const first = c.rollAccountToken(A, FIRST);
    const journaled: number[] = [];
    const second = c.rollAccountToken(A, SECOND, {
      timeoutMs: 400,
      beforeSend: async () => {
        journaled.push(performance.now() - t0);
      },
    });
    assert.equal(await first, ROLLED);
    assert.equal(await second, ROLLED);
    assert.equal(journaled.length, 2, `journaled at ${journaled.map((t) => t.toFixed(0)).join(', ')} ms`);
    assert.ok((journaled[0] as number) < 100 && (journaled[1] as number) >= 245, `journaled at ${journaled.map((t) => t.toFixed(0)).join(', ')} ms`);
  });

  it('cancelled while it waits for a slot: journaled, never sent, and it says nothing was changed', async () => {
    const transport = new TimedTransport((req) => (req.url.includes(FIRST) ? 200 : 10));
    const c = client(transport);
    const first = c.rollAccountToken(A, FIRST);
    const ac = new AbortController();
    let journaled = 0;
    let sent = 0;
    const second = c
      .rollAccountToken(A, SECOND, {
        signal: ac.signal,
        beforeSend: async () => {
          journaled++;
        },
        onSend: () => {
          sent++;
        },
      })
      .then(
        () => assert.fail('cancelled'),
        (e: unknown) => e,
      );
    setTimeout(() => ac.abort(), 50);
    const err = await second;
    assert.ok(err instanceof CfRotateError && err.kind === 'cancelled', String(err));
    assert.match(err.hint ?? '', /Nothing was changed/);
    assert.equal(journaled, 1);
    assert.equal(sent, 0);
    assert.equal(await first, ROLLED);
    assert.deepEqual(
      transport.sent.map((r) => r.url.includes(SECOND)),
      [false],
      'only the first roll reached the network',
    );
  });

  it('a journal that fails stops the attempt before it takes a slot or is sent', async () => {
    const transport = new TimedTransport(() => 10);
    const c = client(transport);
    let sent = 0;
    const err = await c
      .rollAccountToken(A, SECOND, {
        beforeSend: async () => {
          throw new Error('disk full');
        },
        onSend: () => {
          sent++;
        },
      })
      .then(
        () => assert.fail('not sent'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof CfRotateError && err.kind === 'internal' && /was not sent: disk full/.test(err.message), String(err));
    assert.equal(sent, 0);
    assert.equal(transport.sent.length, 0);
    // The slot was never taken: the next call goes out at once.
    assert.equal(await c.rollAccountToken(A, FIRST), ROLLED);
  });
});
