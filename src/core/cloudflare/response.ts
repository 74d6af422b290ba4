/**
 * What one HTTP answer of Cloudflare says: its body (every secret in it registered with the
 * redactor before anything else happens), what it tells about the rate limit, and the call's
 * result or the `CfRotateError` it amounts to. A secret a mutation produced is handed over
 * (journaled) before the rest of the answer is validated.
 */
import * as l10n from '@vscode/l10n';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { contractError, errorCodesOf, httpError } from './failures';
import type { ServerRateInfo } from './limiter';
import type { CallSpec } from './request';
import { parseRateLimitHeader, parseRateLimitReset, parseRetryAfter } from './retry';
import type { HttpResponse } from './transport';
import type { AuthScheme, SecretFacts, SecretValues } from './types';

export interface CallResult {
  result: unknown;
  resultInfo: E.ResultInfo | undefined;
}

/** The answer's body: parsed JSON (its secrets registered at once), or `json: false`. */
export interface AnswerBody {
  body: unknown;
  json: boolean;
}

/** Parse the body; secrets in it are registered before anything is logged or thrown. */
export function readBody(res: HttpResponse): AnswerBody {
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return { body: undefined, json: false };
  }
  for (const s of E.collectSecrets(body)) registerSecret(s);
  return { body, json: true };
}

/**
 * What the answer tells the rate limiter, and the requests remaining as the answer said them (for
 * the log). Cloudflare sends `Ratelimit` (`"default";r=50;t=30`); the older `x-ratelimit-remaining`
 * and `x-ratelimit-reset` are read when it is absent.
 */
export function rateInfo(res: HttpResponse, answer: AnswerBody, now: number): ServerRateInfo & { remainingHeader: string | null } {
  const structured = parseRateLimitHeader(res.headers.get('ratelimit'));
  const resetMs = structured?.resetMs ?? parseRateLimitReset(res.headers.get('x-ratelimit-reset'), now);
  // A 429 says when to come back in retry-after (seconds) or x-ratelimit-reset (an RFC 1123 date).
  const retryAfterMs =
    parseRetryAfter(res.headers.get('retry-after'), now) ??
    (res.status === 429 ? resetMs : undefined) ??
    (res.status >= 500 && answer.json ? E.problemRetryAfterMs(answer.body) : undefined);
  const remainingHeader = structured ? String(structured.remaining) : res.headers.get('x-ratelimit-remaining');
  const remaining = remainingHeader !== null && /^\d+$/.test(remainingHeader.trim()) ? Number(remainingHeader) : undefined;
  return { status: res.status, remaining, retryAfterMs, resetMs, remainingHeader };
}

/**
 * The call's result, or the error the answer amounts to. `retryAfterMs`: from `rateInfo`;
 * `forProfile` and `scheme`: for the wording of auth and permission errors.
 */
export async function resultOf(
  spec: CallSpec,
  status: number,
  answer: AnswerBody,
  retryAfterMs: number | undefined,
  forProfile: string,
  scheme: AuthScheme | undefined,
): Promise<CallResult> {
  const { body, json } = answer;
  const codes = json ? errorCodesOf(body) : [];
  if (status >= 400) throw httpError(spec, status, codes, json ? body : undefined, retryAfterMs, forProfile, scheme);
  if (status < 200 || status >= 300) {
    throw contractError(spec.what, spec.rotation, l10n.t('unexpected HTTP {0}', status));
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
    const err = httpError(spec, status, codes, body, undefined, forProfile, scheme);
    if (err.kind !== 'validation' || codes.length > 0) throw err;
    throw contractError(spec.what, spec.rotation, l10n.t('success is false without errors'));
  }
  return { result: env.data.result, resultInfo: E.resultInfoOf(env.data.result_info) };
}
