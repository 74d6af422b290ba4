/**
 * The request core of the Cloudflare client: one `RequestCore` per client performs every
 * call the resource modules (tokens.ts, serviceTokens.ts, moq.ts, accounts.ts) describe.
 *
 * - HTTP through an injectable `HttpTransport` (default: global fetch).
 * - Headers and the authentication scheme of each operation: headers.ts.
 * - Every response is parsed with zod/mini against the envelope and the operation's result
 *   (response.ts); numbered lists page through pagination.ts.
 * - Every failure is a `CfRotateError` (failures.ts). Secrets never appear in messages or
 *   logs: the credential and every secret received are registered with the redactor first.
 * - Requests pass the `RateLimiter` shared by every client of the admin credential and its user
 *   (limiter.ts; retries too).
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
import { cancelled, cap, contractError, transportError } from './failures';
import { requestHeaders } from './headers';
import { sharedRateLimiter, type Permit, type RateLimiter } from './limiter';
import { DEFAULT_API_BASE_URL, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, validateApiBaseUrl, type CloudflareClientOptions } from './options';
import { paginate } from './pagination';
import type { OperationName } from './permissions';
import { rateInfo, readBody, resultOf, type CallResult } from './response';
import { retryDecision, DEFAULT_MAX_RETRIES, type BackoffOptions } from './retry';
import { FetchTransport, requestSignal, type HttpRequest, type HttpResponse, type HttpTransport } from './transport';
import { globalKeyOf, type AdminCredential, type AuthScheme, type MutationOptions, type RequestOptions, type SecretFacts, type SecretValues } from './types';
import type * as z from 'zod/mini';

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
  /**
   * A write of a secret already received to a destination (a Worker, Pages, the Secrets Store): it runs
   * after the rotation, so no failure of it may say that nothing was changed (the credential was rotated;
   * its new secret waits in the journal).
   */
  delivery?: boolean;
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
  /** Mutations: called before each attempt waits for the rate limiter (again after a long wait); a throw cancels it unsent. */
  beforeSend?: ((info: { timeoutMs: number }) => Promise<void>) | undefined;
  /** Mutations: called at the instant each attempt is handed to the network. */
  onSend?: (() => void) | undefined;
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
export function callOptions(opts: (RequestOptions & Partial<Pick<MutationOptions, 'beforeSend' | 'onSend'>>) | undefined): Pick<CallSpec, 'signal' | 'timeoutMs' | 'maxRetries' | 'beforeSend' | 'onSend'> {
  return { signal: opts?.signal, timeoutMs: opts?.timeoutMs, maxRetries: opts?.maxRetries, beforeSend: opts?.beforeSend, onSend: opts?.onSend };
}

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
    this.limiter = opts.limiter ?? sharedRateLimiter(this.baseUrl.href, this.credential, { clock: this.clock, ...opts.rateLimit }, opts.profile);
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

  /** Numbered pagination of a list (pagination.ts). */
  paginate<T>(base: CallSpec, schema: z.ZodMiniType<T[]>, mode: 'numbered' | 'numbered-lazy'): Promise<T[]> {
    return paginate(this, base, schema, mode);
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

  private async attempt(spec: CallSpec): Promise<CallResult> {
    const url = this.buildUrl(spec);
    const { headers, scheme } = requestHeaders(spec, { credential: this.credential, profile: this.profile, forProfile: this.forProfile(), userAgent: this.userAgent });
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    // A mutation is journaled ("sent now; can take effect until now + timeout") before it waits
    // for a request slot, so the journal's fsync never holds one of the slots in flight. The
    // request then gets what is left of its timeout, so it still ends before the journaled
    // deadline; after a long wait (a rate-limit pause) it is journaled again instead.
    let journaledAt: number | undefined;
    const journal = async (): Promise<void> => {
      if (!spec.beforeSend) return;
      const at = performance.now();
      try {
        await spec.beforeSend({ timeoutMs });
      } catch (e) {
        throw e instanceof CfRotateError ? e : new CfRotateError('internal', l10n.t('{0} was not sent: {1}', cap(spec.what), e instanceof Error ? e.message : String(e)), { cause: e });
      }
      journaledAt = at;
    };
    await journal();
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
    if (journaledAt !== undefined && (performance.now() - journaledAt) * 2 > timeoutMs) {
      try {
        await journal();
      } catch (e) {
        permit.release();
        throw e;
      }
    }
    const budgetMs = journaledAt === undefined ? timeoutMs : Math.max(1, Math.floor(timeoutMs - (performance.now() - journaledAt)));
    const logPath = url.slice(this.baseUrl.origin.length);
    const sig = requestSignal(budgetMs, spec.signal);
    const started = performance.now();
    let res: HttpResponse;
    try {
      spec.onSend?.();
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
    const answer = readBody(res);
    const { remainingHeader, ...rate } = rateInfo(res, answer, this.clock.now());
    this.limiter.observe(rate);
    this.logger.debug(
      `cloudflare ${spec.op}: ${spec.method} ${logPath} -> ${res.status} in ${ms} ms (cf-ray ${res.headers.get('cf-ray') ?? '-'}, ratelimit-remaining ${remainingHeader ?? '-'})`,
    );
    return resultOf(spec, res.status, answer, rate.retryAfterMs, this.forProfile(), scheme);
  }
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
