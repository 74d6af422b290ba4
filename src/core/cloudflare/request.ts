/**
 * The request core of the Cloudflare client: one `RequestCore` per client performs every
 * call the resource modules (tokens.ts, serviceTokens.ts, moq.ts, accounts.ts) describe.
 *
 * - HTTP through an injectable `HttpTransport` (default: global fetch).
 * - Every response is parsed with zod/mini against the envelope and the operation's result.
 * - Every failure is a `CfRotateError` (failures.ts). Secrets never appear in messages or
 *   logs: the credential and every secret received are registered with the redactor first.
 * - Requests pass a shared per-credential `RateLimiter` (retries too).
 * - Retries: see retry.ts. A rotation that may have been applied is never repeated.
 *
 * No mutable state is shared between calls except the limiter.
 */
import { performance } from 'node:perf_hooks';
import * as l10n from '@vscode/l10n';
import { CfRotateError } from '../errors';
import { redactingLogger } from '../log';
import { nullLogger, systemClock, type Clock, type Logger } from '../ports';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { cancelled, cap, contractError, errorCodesOf, httpError, transportError } from './failures';
import { sharedRateLimiter, type Permit, type RateLimiter } from './limiter';
import { DEFAULT_API_BASE_URL, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, validateApiBaseUrl, type CloudflareClientOptions } from './options';
import { chooseScheme, schemeRefusal, type OperationName } from './permissions';
import { parseRateLimitReset, parseRetryAfter, retryDecision, DEFAULT_MAX_RETRIES, type BackoffOptions } from './retry';
import { FetchTransport, requestSignal, type HttpRequest, type HttpResponse, type HttpTransport } from './transport';
import { globalKeyOf, type AdminCredential, type AuthScheme, type MutationOptions, type RequestOptions, type SecretFacts, type SecretValues } from './types';
import type * as z from 'zod/mini';

export const PAGE_SIZE = 50;
export const MAX_PAGES = 2_000;

type Method = HttpRequest['method'];

export interface CallSpec {
  op: OperationName;
  /** What is being done, for messages: "rolling user API token abc" (translated: an `l10n.t` phrase). */
  what: string;
  method: Method;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Safe to repeat after an ambiguous failure or a 5xx. */
  idempotent: boolean;
  /** A mutation that produces a secret: wording of contract/ambiguous errors. */
  rotation: boolean;
  permission: string | undefined;
  /**
   * The schemes Cloudflare accepts for this operation (`acceptedSchemes`, from the documents'
   * `security`). The admin credential authenticates with the first one it holds; a credential
   * that holds none is refused before anything is sent.
   */
  schemes: readonly AuthScheme[];
  /** Noun for not-found messages (translated). */
  resource: string;
  /** Bearer token to use instead of the admin credential (verifyToken). */
  bearer?: string;
  signal: AbortSignal | undefined;
  /** Per-attempt timeout and retries for this call (default: the client's). */
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  /** Mutations: called right before each attempt is handed to the network; a throw cancels it unsent. */
  beforeSend?: ((info: { timeoutMs: number }) => Promise<void>) | undefined;
  /**
   * Mutations that produce a secret: takes the secret out of the raw `result` (before any
   * validation) and hands it to `onSecret`, awaited, before the rest of the answer is checked.
   */
  secret?:
    | {
        extract: (result: unknown) => SecretValues | undefined;
        /** Facts journaled with the secret (the id of a token just created), read from the same raw `result`. */
        facts?: ((result: unknown) => SecretFacts | undefined) | undefined;
        onSecret?: ((values: SecretValues, facts?: SecretFacts) => Promise<void>) | undefined;
      }
    | undefined;
  /**
   * The operation refuses account-owned API tokens (Turnstile, notes B). When the admin token is
   * known to be account-owned (`cfat_…`, or this flag from a caller that verified it), the
   * credential's Global API key is used instead, or nothing is sent.
   */
  userOwnedTokensOnly?: { accountOwned?: boolean | undefined; reason: string } | undefined;
}

/** The per-call options a resource function passes on from its caller. */
export function callOptions(opts: (RequestOptions & Partial<Pick<MutationOptions, 'beforeSend'>>) | undefined): Pick<CallSpec, 'signal' | 'timeoutMs' | 'maxRetries' | 'beforeSend'> {
  return { signal: opts?.signal, timeoutMs: opts?.timeoutMs, maxRetries: opts?.maxRetries, beforeSend: opts?.beforeSend };
}

export interface CallResult {
  result: unknown;
  resultInfo: E.ResultInfo | undefined;
}

/** Printable ASCII without spaces: what may go into Authorization / X-Auth-* headers. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

export class RequestCore {
  // Read by the resource modules (verifyCredential reads the credential's type only).
  readonly baseUrl: URL;
  readonly credential: AdminCredential;
  readonly credentialAccountId: string | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly limiter: RateLimiter;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly userAgent: string;
  private readonly profile: string | undefined;
  private readonly backoff: BackoffOptions;
  private readonly maxRetryAfterMs: number;

  constructor(opts: CloudflareClientOptions) {
    // Secrets first: nothing below may throw or log before they are known to the redactor.
    const c = opts.credential;
    const gk = globalKeyOf(c);
    if (gk) {
      registerSecret(gk.key);
      registerSecret(gk.key.trim());
    }
    if (c.type === 'api-token') {
      registerSecret(c.token);
      registerSecret(c.token.trim());
      const accountId = c.accountId?.trim() || undefined;
      this.credential = {
        type: 'api-token',
        token: c.token.trim(),
        ...(accountId ? { accountId } : {}),
        ...(gk ? { globalKey: { email: gk.email.trim(), key: gk.key.trim() } } : {}),
      };
    } else {
      this.credential = { type: 'global-key', email: c.email.trim(), key: c.key.trim() };
    }
    this.baseUrl = validateApiBaseUrl(opts.baseUrl || DEFAULT_API_BASE_URL);
    this.logger = redactingLogger(opts.logger ?? nullLogger);
    this.clock = opts.clock ?? systemClock;
    this.transport = opts.transport ?? new FetchTransport();
    this.limiter = opts.limiter ?? sharedRateLimiter(this.baseUrl.href, this.credential, { clock: this.clock, ...opts.rateLimit });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = Math.max(0, Math.floor(opts.maxRetries ?? DEFAULT_MAX_RETRIES));
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.profile = opts.profile;
    this.credentialAccountId = opts.credentialAccountId?.trim() || (this.credential.type === 'api-token' ? this.credential.accountId : undefined);
    this.backoff = opts.backoff ?? {};
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 300_000;
  }

  /** " for profile \"name\"" after "the admin credential", or ''. */
  forProfile(): string {
    return this.profile ? l10n.t(' for profile "{0}"', this.profile) : '';
  }

  /** Parse `result` with `schema`; a mismatch is a 'contract' error. */
  parse<S extends z.ZodMiniType>(result: unknown, schema: S, what: string, rotation: boolean): z.output<S> {
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw contractError(what, rotation, E.describeZodError(parsed.error));
    return parsed.data as z.output<S>;
  }

  /**
   * Numbered pagination: page=1.. with per_page=50 (tokens: 5–50) until `total_pages` (or, when
   * the server omits it, until `total_count` items or a short page). 'numbered-lazy' sends no
   * query on the first request (for routes that document none) and asks for page 2+ only when
   * `result_info` says there is more. Stops on an empty page, and when `result_info.page` is not
   * the page asked for (notes A10: a server past its last page, or one that ignored `page`,
   * would otherwise hand out the same items again); that page's items are not taken.
   */
  async paginate<T>(base: CallSpec, schema: z.ZodMiniType<T[]>, mode: 'numbered' | 'numbered-lazy'): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query: Record<string, string | undefined> = { ...base.query };
      if (mode === 'numbered' || page > 1) query['page'] = String(page);
      if (mode === 'numbered') query['per_page'] = String(PAGE_SIZE);
      const res = await this.call({ ...base, query });
      const items: T[] = this.parse(res.result, schema, base.what, false);
      const info = res.resultInfo;
      if (info?.page !== undefined && info.page !== page) {
        this.logger.warn(`cloudflare ${base.op}: asked for page ${page}, Cloudflare answered page ${info.page}; the list ends here (${out.length} item(s)).`);
        return out;
      }
      out.push(...items);
      if (items.length === 0 || !info) return out;
      const perPage = info.per_page ?? (mode === 'numbered' ? PAGE_SIZE : undefined);
      let totalPages = info.total_pages;
      if (totalPages === undefined && info.total_count !== undefined && perPage) totalPages = Math.ceil(info.total_count / perPage);
      if (totalPages !== undefined) {
        if (page >= totalPages) return out;
      } else if (perPage === undefined || items.length < perPage) {
        return out;
      }
    }
    throw tooManyPages(base.what);
  }

  /** One logical call: rate limiting, attempts, retries. */
  async call(spec: CallSpec): Promise<CallResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(spec);
      } catch (e) {
        const err = e instanceof CfRotateError ? e : new CfRotateError('internal', l10n.t('{0} failed unexpectedly.', cap(spec.what)), { cause: e });
        const decision = retryDecision(err, attempt, spec.idempotent, spec.maxRetries ?? this.maxRetries, this.backoff);
        if (!decision.retry) throw this.finalError(err, spec, attempt);
        // Cloudflare asked to wait longer than we are willing to (a 429's or a 5xx's Retry-After): say so instead.
        if ((err.kind === 'rate-limited' || err.kind === 'server') && err.retryAfterMs !== undefined && decision.delayMs > this.maxRetryAfterMs) throw err;
        this.logger.info(
          `cloudflare ${spec.op}: ${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}; retry ${attempt + 1}/${spec.maxRetries ?? this.maxRetries} in ${decision.delayMs} ms`,
        );
        try {
          await this.clock.sleep(decision.delayMs, spec.signal);
        } catch {
          throw cancelled(spec);
        }
      }
    }
  }

  /** After the last attempt: reads that never got an answer are reported as 'network'. */
  private finalError(err: CfRotateError, spec: CallSpec, attempt: number): CfRotateError {
    if (err.kind === 'ambiguous' && spec.idempotent && spec.method === 'GET') {
      const why = /\(([^()]*)\)\.?$/.exec(err.message)?.[1];
      const message = why
        ? l10n.t('No answer from Cloudflare while {0} after {1} attempt(s) ({2}); nothing was changed.', spec.what, attempt + 1, why)
        : l10n.t('No answer from Cloudflare while {0} after {1} attempt(s); nothing was changed.', spec.what, attempt + 1);
      return new CfRotateError('network', message, {
        hint: l10n.t('Check your network connection or proxy, then retry; retrying is safe.'),
        cause: err,
      });
    }
    return err;
  }

  private buildUrl(spec: CallSpec): string {
    const base = this.baseUrl.href.replace(/\/+$/, '');
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) qs.set(k, v);
    const q = qs.toString();
    return `${base}${spec.path}${q ? `?${q}` : ''}`;
  }

  /** Request headers; a credential that cannot be sent in a header is refused before anything is sent. */
  private headers(spec: CallSpec): { headers: Record<string, string>; scheme: AuthScheme | undefined } {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (spec.body !== undefined) h['content-type'] = 'application/json';
    if (spec.bearer !== undefined) {
      if (!HEADER_SAFE.test(spec.bearer)) {
        throw new CfRotateError('validation', l10n.t('{0} failed: the token value contains characters that cannot be sent (spaces, line breaks or non-ASCII).', cap(spec.what)), {
          hint: l10n.t('Check the stored value: Cloudflare token values are 40–80 printable ASCII characters.'),
        });
      }
      h['authorization'] = `Bearer ${spec.bearer}`;
      return { headers: h, scheme: undefined };
    }
    // The scheme this operation accepts (API token first): never a Bearer where Cloudflare declares email + key only.
    const only = spec.userOwnedTokensOnly;
    const accountOwned = only !== undefined && this.credential.type === 'api-token' && (only.accountOwned === true || this.credential.token.startsWith('cfat_'));
    const schemes = accountOwned ? spec.schemes.filter((s) => s !== 'api-token') : spec.schemes;
    const scheme = chooseScheme(schemes, this.credential);
    if (scheme === undefined) {
      throw accountOwned && only
        ? schemeRefusal(spec.what, ['global-key'], this.credential, this.profile, only.reason, true)
        : schemeRefusal(spec.what, spec.schemes, this.credential, this.profile);
    }
    const key = scheme === 'global-key' ? globalKeyOf(this.credential) : undefined;
    const token = scheme === 'api-token' && this.credential.type === 'api-token' ? this.credential.token : undefined;
    const ok = token !== undefined ? HEADER_SAFE.test(token) : key !== undefined && HEADER_SAFE.test(key.key) && HEADER_SAFE.test(key.email);
    if (!ok) {
      const held = token !== undefined ? l10n.t('API token') : l10n.t('email + Global API key');
      throw new CfRotateError('auth', l10n.t('{0} failed: the admin credential{1} ({2}) contains characters that cannot be sent (spaces, line breaks or non-ASCII).', cap(spec.what), this.forProfile(), held), {
        hint: l10n.t('Set the admin credential{0} again, without surrounding spaces or line breaks.', this.forProfile()),
      });
    }
    if (token !== undefined) h['authorization'] = `Bearer ${token}`;
    else if (key !== undefined) {
      h['x-auth-email'] = key.email;
      h['x-auth-key'] = key.key;
    }
    return { headers: h, scheme };
  }

  private async attempt(spec: CallSpec): Promise<CallResult> {
    const url = this.buildUrl(spec);
    const { headers, scheme } = this.headers(spec);
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let permit: Permit;
    try {
      permit = await this.limiter.acquire(spec.signal);
    } catch {
      throw cancelled(spec);
    }
    if (spec.signal?.aborted) {
      permit.release();
      throw cancelled(spec);
    }
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    if (spec.beforeSend) {
      try {
        await spec.beforeSend({ timeoutMs });
      } catch (e) {
        permit.release();
        throw e instanceof CfRotateError ? e : new CfRotateError('internal', l10n.t('{0} was not sent: {1}', cap(spec.what), e instanceof Error ? e.message : String(e)), { cause: e });
      }
    }
    const logPath = url.slice(this.baseUrl.origin.length);
    const sig = requestSignal(timeoutMs, spec.signal);
    const started = performance.now();
    let res: HttpResponse;
    try {
      res = await this.transport.send({ method: spec.method, url, headers, body: payload, signal: sig.signal });
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      permit.release();
      throw transportError(spec, e, sig.timedOut(), ms, logPath, { timeoutMs, host: this.baseUrl.host, logger: this.logger });
    } finally {
      sig.done();
    }
    permit.release();
    const ms = Math.round(performance.now() - started);

    // Secrets in the body are registered before anything is logged or thrown.
    let body: unknown;
    let json = true;
    try {
      body = JSON.parse(res.text);
    } catch {
      json = false;
    }
    if (json) for (const s of E.collectSecrets(body)) registerSecret(s);

    const now = this.clock.now();
    const resetMs = parseRateLimitReset(res.headers.get('x-ratelimit-reset'), now);
    // A 429 says when to come back in retry-after (seconds) or x-ratelimit-reset (an RFC 1123 date).
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now) ?? (res.status === 429 ? resetMs : undefined) ?? (res.status >= 500 && json ? E.problemRetryAfterMs(body) : undefined);
    const remainingHeader = res.headers.get('x-ratelimit-remaining');
    const remaining = remainingHeader !== null && /^\d+$/.test(remainingHeader.trim()) ? Number(remainingHeader) : undefined;
    this.limiter.observe({
      status: res.status,
      remaining,
      retryAfterMs,
      resetMs,
    });
    this.logger.debug(
      `cloudflare ${spec.op}: ${spec.method} ${logPath} -> ${res.status} in ${ms} ms (cf-ray ${res.headers.get('cf-ray') ?? '-'}, ratelimit-remaining ${remainingHeader ?? '-'})`,
    );

    const codes = json ? errorCodesOf(body) : [];
    if (res.status >= 400) throw httpError(spec, res.status, codes, json ? body : undefined, retryAfterMs, this.forProfile(), scheme);
    if (res.status < 200 || res.status >= 300) {
      throw contractError(spec.what, spec.rotation, l10n.t('unexpected HTTP {0}', res.status));
    }
    if (!json) throw contractError(spec.what, spec.rotation, l10n.t('the body is not JSON'));
    if (spec.secret && typeof body === 'object' && body !== null) {
      // The secret first (Cloudflare declares most response fields optional): once it is handed
      // over (journaled), a surprise in the rest of the answer can no longer lose it.
      let values: SecretValues | undefined;
      let facts: SecretFacts | undefined;
      const raw = (body as { result?: unknown }).result;
      try {
        values = spec.secret.extract(raw);
      } catch {
        values = undefined;
      }
      try {
        facts = spec.secret.facts?.(raw);
      } catch {
        facts = undefined;
      }
      if (values && Object.keys(values).length > 0) await spec.secret.onSecret?.(values, facts);
    }
    const env = E.EnvelopeSchema.safeParse(body);
    if (!env.success) throw contractError(spec.what, spec.rotation, E.describeZodError(env.error, 'body'));
    if (!env.data.success) {
      // success:false with a 2xx: classify by code; unknown codes are a contract breach.
      const err = httpError(spec, res.status, codes, body, undefined, this.forProfile(), scheme);
      if (err.kind !== 'validation' || codes.length > 0) throw err;
      throw contractError(spec.what, spec.rotation, l10n.t('success is false without errors'));
    }
    return { result: env.data.result, resultInfo: env.data.result_info ?? undefined };
  }
}

/** Pagination did not end within MAX_PAGES pages. */
export function tooManyPages(what: string): CfRotateError {
  return new CfRotateError('contract', l10n.t('{0}: Cloudflare kept returning pages past {1}.', cap(what), MAX_PAGES), {
    hint: l10n.t('Retry later; if it persists, report it to cf-rotate.'),
  });
}

/** A path segment: non-empty, URL-encoded. `name`: the translated noun an error names. */
export function seg(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CfRotateError('validation', l10n.t('The {0} is empty.', name), { hint: l10n.t('Set the {0} in cf-rotate.json.', name) });
  }
  return encodeURIComponent(value);
}

/** A date for a request body: ISO 8601; an invalid date is refused before anything is sent. */
export function isoDate(d: Date, name: string): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new CfRotateError('validation', l10n.t('The {0} is not a valid date.', name), { hint: l10n.t('Use an ISO 8601 date-time.') });
  }
  return d.toISOString();
}
