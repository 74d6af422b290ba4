/**
 * The errors the Cloudflare client raises for what Cloudflare answered (or did not answer):
 * each a `CfRotateError` whose `kind` a user can act on, with a message that names the
 * operation and a hint with the next step.
 */
import { cap as capital, wording } from '../wording';
import { CfRotateError, type ErrorKind } from '../errors';
import type { Logger } from '../ports';
import { notification } from '../text';
import * as E from './envelope';
import type { CallSpec } from './request';
import { classifyTransportError, ResponseTooLargeError } from './transport';

const AUTH_CODES = new Set([10000, 6003, 9103, 9106]);
const PERMISSION_CODES = new Set([9109]);
export const NOT_FOUND_CODES = new Set([7000, 7003]);

/** Map an HTTP status and Cloudflare error codes to an error kind. */
export function classifyHttp(status: number, codes: number[]): ErrorKind {
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  if (codes.some((c) => PERMISSION_CODES.has(c))) return 'permission';
  if (status === 401) return 'auth';
  if (status === 403) {
    // 403 with a credential-format/validity code means the credential itself is bad.
    if (codes.some((c) => c === 6003 || c === 9103 || c === 9106)) return 'auth';
    return 'permission';
  }
  if (codes.some((c) => AUTH_CODES.has(c))) return 'auth';
  if (status === 404 || codes.some((c) => NOT_FOUND_CODES.has(c))) return 'not-found';
  return 'validation';
}

/**
 * The transport failed or the attempt timed out: logged (warn), then classified as nothing
 * sent ('network'), maybe applied ('ambiguous') or cancelled by the caller.
 */
export function transportError(
  spec: CallSpec,
  e: unknown,
  timedOut: boolean,
  ms: number,
  logPath: string,
  ctx: { timeoutMs: number; host: string; logger: Logger },
): CfRotateError {
  if (e instanceof ResponseTooLargeError) {
    ctx.logger.warn(`cloudflare ${spec.op}: ${spec.method} ${logPath}: ${e.message}; reading stopped`);
    return contractError(spec.what, spec.rotation, `${e.message}; cf-rotate stopped reading it`);
  }
  const mutation = !spec.idempotent;
  const callerAborted = !timedOut && spec.signal?.aborted === true;
  const { failure, code } = timedOut ? { failure: 'ambiguous' as const, code: 'timeout' } : classifyTransportError(e);
  const reason = timedOut ? `no answer within ${Math.round(ctx.timeoutMs / 100) / 10} s` : callerAborted ? 'cancelled while waiting for the answer' : (code ?? 'connection failed');
  ctx.logger.warn(`cloudflare ${spec.op}: ${spec.method} ${logPath} failed after ${ms} ms (${reason})`);
  if (callerAborted && !mutation) return cancelled(spec);
  if (failure === 'network' && !callerAborted) {
    return new CfRotateError('network', `Could not reach Cloudflare at ${ctx.host} while ${spec.what} (${reason}); nothing was sent.`, {
      hint: 'Check your network connection, proxy and DNS, then retry; retrying is safe.',
      cause: e,
    });
  }
  if (spec.rotation || mutation) {
    return new CfRotateError('ambiguous', `No answer from Cloudflare while ${spec.what} (${reason}): the change may have happened${spec.rotation ? ' and the new secret was not received' : ''}.`, {
      hint: spec.rotation
        ? `Do not rotate blindly: ${wording().resume()}; it checks whether the call took effect and tells you what to do.`
        : 'Check the current state in the Cloudflare dashboard before retrying.',
      cause: e,
    });
  }
  return new CfRotateError('ambiguous', `No answer from Cloudflare while ${spec.what} (${reason}).`, {
    hint: 'Check your network connection or proxy, then retry; retrying is safe.',
    cause: e,
  });
}

/**
 * An HTTP error status, or `success: false`: classified by `classifyHttp`. `forProfile` is
 * the " for profile …" suffix used after "the admin credential" (or '').
 */
export function httpError(
  spec: CallSpec,
  status: number,
  codes: number[],
  body: unknown,
  retryAfterMs: number | undefined,
  forProfile: string,
): CfRotateError {
  const said = cloudflareSaid(body);
  const st = `HTTP ${status}${codes.length ? `, code ${codes.join('/')}` : ''}${said ? `: ${said}` : ''}`;
  const details = { status, codes };
  const kind = classifyHttp(status, codes);
  const What = cap(spec.what);
  switch (kind) {
    case 'auth':
      if (spec.bearer !== undefined) {
        return new CfRotateError('auth', `${What} failed: Cloudflare rejected the token value (${st}).`, {
          ...details,
          hint: 'The value is not a valid, active token: check that the newest value was stored; if it was lost, roll the token again.',
        });
      }
      return new CfRotateError('auth', `${What} failed: the admin credential${forProfile} was rejected (${st}).`, {
        ...details,
        hint: `Set the admin credential${forProfile} again (a valid API token, or your Global API key with its account email), then retry.`,
      });
    case 'permission': {
      const perm = spec.permission;
      return new CfRotateError(
        'permission',
        perm
          ? `${What} failed: the admin credential${forProfile} lacks the permission "${perm}" (${st}).`
          : `${What} failed: the admin credential${forProfile} is not allowed to do this (${st}).`,
        {
          ...details,
          ...(perm ? { permission: perm } : {}),
          hint:
            (perm
              ? `Edit the API token in the Cloudflare dashboard (My Profile › API Tokens) and add "${perm}" for this ${spec.path.startsWith('/zones') ? 'zone' : spec.path.startsWith('/accounts') ? 'account' : 'user'}, or use a credential that has it.`
              : 'Use a credential with access to this resource.') +
            // Cloudflare answers 403 + 10000 ("Authentication error") both for a missing permission and for some rejected tokens.
            (codes.includes(10000) ? ` If the admin credential was rolled or deleted, set it again${forProfile}.` : ''),
        },
      );
    }
    case 'not-found':
      return new CfRotateError('not-found', `${What} failed: Cloudflare has no such ${spec.resource} (${st}).`, {
        ...details,
        hint: 'Check the ids in cf-rotate.json (and that they belong to this account or zone), or pick the item again from the list.',
      });
    case 'rate-limited':
      return new CfRotateError('rate-limited', `${What} was refused: Cloudflare's rate limit was reached (${st}).`, {
        ...details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        hint: `Wait ${retryAfterMs !== undefined ? `${Math.ceil(retryAfterMs / 1000)} s` : 'a few minutes'} and retry. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.`,
      });
    case 'server':
      return new CfRotateError(
        'server',
        spec.idempotent
          ? `${What} failed: Cloudflare had an internal error (${st}).`
          : `${What} failed: Cloudflare had an internal error (${st}); it was not retried because the change may have been applied.`,
        {
          ...details,
          hint: spec.rotation
            ? `${capital(wording().resume())}: it checks whether the call took effect before you retry. See https://www.cloudflarestatus.com.`
            : 'Retry in a few minutes; see https://www.cloudflarestatus.com.',
        },
      );
    default:
      return new CfRotateError('validation', `${What} failed: Cloudflare rejected the request (${st}).`, {
        ...details,
        hint: 'Check the ids and settings for this credential in cf-rotate.json; nothing was changed.',
      });
  }
}

/** The response does not have the documented shape. */
export function contractError(what: string, rotation: boolean, detail: string): CfRotateError {
  return rotation
    ? new CfRotateError(
        'contract',
        `${cap(what)}: Cloudflare's response did not have the documented shape (${detail}). The rotation may have happened and the new secret was not received.`,
        {
          hint: 'Check in the Cloudflare dashboard whether the credential changed (or verify the old value); if it did, rotate it again to get a value you can store. Report this response shape to cf-rotate.',
        },
      )
    : new CfRotateError('contract', `${cap(what)}: Cloudflare's response did not have the documented shape (${detail}).`, {
        hint: 'Retry later; if it persists, the Cloudflare API may have changed: report it to cf-rotate.',
      });
}

/** The caller aborted its signal: before the request was sent, between retries, or while a read waited for its answer. */
export function cancelled(spec: CallSpec): CfRotateError {
  return new CfRotateError('cancelled', `${cap(spec.what)} was cancelled.`, { hint: 'Nothing was changed by this request; run it again when you are ready.' });
}

/** The codes of Cloudflare's `errors` array ([] when the body is not a failure envelope). */
export function errorCodesOf(body: unknown): number[] {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.errors.map((m) => m.code);
}

/** Cloudflare's own error messages (first two, shortened). Redacted by CfRotateError. */
function cloudflareSaid(body: unknown): string {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return '';
  return parsed.data.errors
    .slice(0, 2)
    // Cloudflare's text reaches terminals and notifications: no escapes, controls, bidi overrides or link syntax.
    .map((m) => notification(m.message ?? '').replace(/\s+/g, ' ').slice(0, 160))
    .filter((m) => m.length > 0)
    .join('; ');
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
