/**
 * The one seam between the Cloudflare client and the network. The default transport uses
 * Node's global `fetch` (undici inside Node; the `undici` package is deliberately not
 * imported). Tests and benchmarks can pass any object with a `send` method.
 */
import * as l10n from '@vscode/l10n';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignal;
}

export interface HeadersLike {
  get(name: string): string | null;
}

export interface HttpResponse {
  status: number;
  headers: HeadersLike;
  text: string;
}

export interface HttpTransport {
  send(req: HttpRequest): Promise<HttpResponse>;
}

/** Default transport: global fetch, never following redirects (credentials stay on the API host). */
export class FetchTransport implements HttpTransport {
  async send(req: HttpRequest): Promise<HttpResponse> {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      redirect: 'manual',
    });
    const text = await readCapped(res, MAX_RESPONSE_BYTES);
    return { status: res.status, headers: res.headers, text };
  }
}

/** No Cloudflare answer cf-rotate reads is near this size; a larger body is refused while it streams. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Thrown when a response body passes the cap: classified like any failure to read an answer. */
export class ResponseTooLargeError extends Error {
  readonly code = 'CF_ROTATE_RESPONSE_TOO_LARGE';
  constructor(limit: number) {
    super(l10n.t('the response was larger than {0} MiB', Math.round(limit / 1024 / 1024)));
    this.name = 'ResponseTooLargeError';
  }
}

/** The body as text, reading at most `limit` bytes (memory stays bounded whatever the server sends). */
export async function readCapped(res: Response, limit: number): Promise<string> {
  const body = res.body;
  return readBodyCapped(Number(res.headers.get('content-length')), body ?? [], async () => void (await body?.cancel().catch(() => undefined)), limit);
}

/**
 * Any transport's answer as text, reading at most `limit` bytes: refused at once when the declared
 * length (NaN when none) passes it, or while it streams; `cancel` stops the rest of the body.
 */
export async function readBodyCapped(declared: number, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, cancel: () => void | Promise<void>, limit: number): Promise<string> {
  if (Number.isFinite(declared) && declared > limit) {
    await cancel();
    throw new ResponseTooLargeError(limit);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > limit) {
      await cancel();
      throw new ResponseTooLargeError(limit);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, total).toString('utf8');
}

/**
 * What a thrown transport error means for the request:
 *  - 'network': the connection was never established (nothing was sent: safe to retry);
 *  - 'ambiguous': the request may have been sent and processed, but no answer was read.
 */
export type TransportFailure = 'network' | 'ambiguous';

/** Error codes proving that no request bytes reached a server. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_NODATA',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

/** The code the CLI's proxy transport gives a refused CONNECT (src/cli/proxy.ts). */
const PROXY_REFUSED = /^proxy answered \d{3} to CONNECT$/;

/** Every `code` found on an error, its `cause` chain and AggregateError members. */
export function errorCodes(e: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): void => {
    if (depth > 6 || x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    walk((x as { cause?: unknown }).cause, depth + 1);
    const errors = (x as { errors?: unknown }).errors;
    if (Array.isArray(errors)) for (const inner of errors) walk(inner, depth + 1);
  };
  walk(e, 0);
  return codes;
}

/**
 * Classify an error thrown by a transport (not an abort requested by the caller: the
 * client checks that first). Only codes that prove the connection was never made count
 * as 'network'; everything else (ECONNRESET, UND_ERR_SOCKET, header/body timeouts, our own
 * timeout abort, unknown errors) is 'ambiguous', because a request may have been written.
 */
export function classifyTransportError(e: unknown): { failure: TransportFailure; code: string | undefined } {
  const codes = errorCodes(e);
  // A proxy that refused the CONNECT tunnel (the CLI's proxy transport): nothing reached Cloudflare.
  const tunnel = codes.find((c) => PROXY_REFUSED.test(c));
  if (tunnel !== undefined) return { failure: 'network', code: tunnel };
  const notSent = codes.find((c) => NOT_SENT_CODES.has(c));
  if (notSent !== undefined && codes.every((c) => NOT_SENT_CODES.has(c) || c === 'UND_ERR_CONNECT')) {
    return { failure: 'network', code: notSent };
  }
  const name = e instanceof Error ? e.name : undefined;
  return { failure: 'ambiguous', code: codes[0] ?? name };
}

/**
 * The signal one request is sent with: aborted after `timeoutMs`, or when `outer` (the caller's
 * cancellation) aborts. `timedOut()` tells the two apart; `done()` stops the timer and listener.
 */
export function requestSignal(timeoutMs: number, outer?: AbortSignal): { signal: AbortSignal; timedOut: () => boolean; done: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timeout after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
