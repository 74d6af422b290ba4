/**
 * The errors the Cloudflare client raises for what Cloudflare answered (or did not answer):
 * each a `CfRotateError` whose `kind` a user can act on, with a message that names the
 * operation and a hint with the next step.
 */
import * as l10n from '@vscode/l10n';
import { cap as capital, wording } from '../wording';
import { CfRotateError, type ErrorKind } from '../errors';
import type { Logger } from '../ports';
import { notification } from '../text';
import * as E from './envelope';
import type { CallSpec } from './request';
import { classifyTransportError, ResponseTooLargeError } from './transport';
import type { AuthScheme } from './types';

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
    return contractError(spec.what, spec.rotation, l10n.t('{0}; cf-rotate stopped reading it', e.message));
  }
  const mutation = !spec.idempotent;
  const callerAborted = !timedOut && spec.signal?.aborted === true;
  const { failure, code } = timedOut ? { failure: 'ambiguous' as const, code: 'timeout' } : classifyTransportError(e);
  const seconds = Math.round(ctx.timeoutMs / 100) / 10;
  // The log stays English (it is for bug reports); the message says the same in the display language.
  const logReason = timedOut ? `no answer within ${seconds} s` : callerAborted ? 'cancelled while waiting for the answer' : (code ?? 'connection failed');
  ctx.logger.warn(`cloudflare ${spec.op}: ${spec.method} ${logPath} failed after ${ms} ms (${logReason})`);
  const reason = timedOut ? l10n.t('no answer within {0} s', seconds) : callerAborted ? l10n.t('cancelled while waiting for the answer') : (code ?? l10n.t('connection failed'));
  if (callerAborted && !mutation) return cancelled(spec);
  if (failure === 'network' && !callerAborted) {
    return new CfRotateError('network', l10n.t('Could not reach Cloudflare at {0} while {1} ({2}); nothing was sent.', ctx.host, spec.what, reason), {
      hint: l10n.t('Check your network connection, proxy and DNS, then retry; retrying is safe.'),
      cause: e,
    });
  }
  if (spec.rotation || mutation) {
    const message = spec.rotation
      ? l10n.t('No answer from Cloudflare while {0} ({1}): the change may have happened and the new secret was not received.', spec.what, reason)
      : l10n.t('No answer from Cloudflare while {0} ({1}): the change may have happened.', spec.what, reason);
    return new CfRotateError('ambiguous', message, {
      hint: spec.rotation
        ? l10n.t('Do not rotate blindly: {0}; it checks whether the call took effect and tells you what to do.', wording().resume())
        : l10n.t('Check the current state in the Cloudflare dashboard before retrying.'),
      cause: e,
    });
  }
  return new CfRotateError('ambiguous', l10n.t('No answer from Cloudflare while {0} ({1}).', spec.what, reason), {
    hint: l10n.t('Check your network connection or proxy, then retry; retrying is safe.'),
    cause: e,
  });
}

/**
 * An HTTP error status, or `success: false`: classified by `classifyHttp`. `forProfile` is
 * the " for profile …" suffix used after "the admin credential" (or ''); `scheme` the admin
 * credential's scheme this request used (undefined: a token value was verified with itself).
 */
export function httpError(
  spec: CallSpec,
  status: number,
  codes: number[],
  body: unknown,
  retryAfterMs: number | undefined,
  forProfile: string,
  scheme?: AuthScheme,
): CfRotateError {
  const said = cloudflareSaid(body);
  const http = codes.length ? l10n.t('HTTP {0}, code {1}', status, codes.join('/')) : `HTTP ${status}`;
  const st = said ? `${http}: ${said}` : http;
  const docs = documentationUrl(body);
  const seeDocs = docs ? l10n.t(" Cloudflare's explanation: {0}", docs) : '';
  const details = { status, codes };
  // A token value checked with itself (the verify route needs no permission): a 401 there, 9109
  // included, means the value does not work. A 403 may say that too (notes A8: 9109 also for a
  // revoked or invalid token), or that the value is limited to other IP addresses: no verdict.
  const kind = spec.bearer !== undefined && status === 401 ? 'auth' : classifyHttp(status, codes);
  if (spec.bearer !== undefined && kind === 'permission') {
    return new CfRotateError('permission', l10n.t('{0} failed: Cloudflare refused the token value ({1}): it is revoked or no longer valid, or limited to other IP addresses.', cap(spec.what), st), {
      ...details,
      hint: l10n.t('Check the token in the Cloudflare dashboard: its status and its Client IP Address Filtering.') + seeDocs,
    });
  }
  const What = cap(spec.what);
  const credName = scheme === 'global-key' ? l10n.t(' (email + Global API key)') : scheme === 'api-token' ? l10n.t(' (API token)') : '';
  const used = scheme === 'global-key' ? l10n.t('email + Global API key, ') : scheme === 'api-token' ? l10n.t('API token, ') : '';
  switch (kind) {
    case 'auth':
      if (spec.bearer !== undefined) {
        return new CfRotateError('auth', l10n.t('{0} failed: Cloudflare rejected the token value ({1}).', What, st), {
          ...details,
          hint: l10n.t('The value is not a valid, active token: check that the newest value was stored; if it was lost, roll the token again.'),
        });
      }
      return new CfRotateError('auth', l10n.t('{0} failed: the admin credential{1} was rejected ({2}{3}).', What, forProfile, used, st), {
        ...details,
        hint: l10n.t('Set the admin credential{0} again (a valid API token, or your Global API key with its account email), then retry.', forProfile) + seeDocs,
      });
    case 'permission': {
      const perm = spec.permission;
      const where = spec.path.startsWith('/zones') ? l10n.t('zone') : spec.path.startsWith('/accounts') ? l10n.t('account') : l10n.t('user');
      // 9109 means a missing permission and also a revoked or invalid token (notes A8): say both.
      const revoked = codes.includes(9109) || codes.includes(10000);
      const message =
        scheme === 'global-key'
          ? revoked
            ? l10n.t('{0} failed: Cloudflare refused the admin credential{1}{2}: its user has no access to this {3}, or the key is no longer valid ({4}).', What, forProfile, credName, where, st)
            : l10n.t('{0} failed: Cloudflare refused the admin credential{1}{2}: its user has no access to this {3} ({4}).', What, forProfile, credName, where, st)
          : perm
            ? revoked
              ? l10n.t('{0} failed: the admin credential{1}{2} lacks the permission "{3}", or it was revoked or is no longer valid (Cloudflare answers both the same way) ({4}).', What, forProfile, credName, perm, st)
              : l10n.t('{0} failed: the admin credential{1}{2} lacks the permission "{3}" ({4}).', What, forProfile, credName, perm, st)
            : revoked
              ? l10n.t('{0} failed: the admin credential{1}{2} is not allowed to do this, or it was revoked or is no longer valid ({3}).', What, forProfile, credName, st)
              : l10n.t('{0} failed: the admin credential{1}{2} is not allowed to do this ({3}).', What, forProfile, credName, st);
      const fix =
        scheme === 'global-key'
          ? l10n.t('Check that your user is a member of this {0} with access to it, or set the Global API key{1} again if it was changed.', where, forProfile)
          : perm
            ? l10n.t(
                'If the token still works elsewhere, edit it in the Cloudflare dashboard (My Profile › API Tokens, or Manage Account › Account API Tokens) and add "{0}" for this {1}, or use a credential that has it. If it was rolled, deleted or disabled, set it again{2}.',
                perm,
                where,
                forProfile,
              )
            : l10n.t('Use a credential with access to this resource; if it was rolled, deleted or disabled, set it again{0}.', forProfile);
      return new CfRotateError('permission', message, {
        ...details,
        ...(perm && scheme !== 'global-key' ? { permission: perm } : {}),
        hint: fix + seeDocs,
      });
    }
    case 'not-found':
      return new CfRotateError('not-found', l10n.t('{0} failed: Cloudflare has no such {1} ({2}).', What, spec.resource, st), {
        ...details,
        hint: l10n.t('Check the ids in cf-rotate.json (and that they belong to this account or zone), or pick the item again from the list.'),
      });
    case 'rate-limited':
      return new CfRotateError('rate-limited', l10n.t("{0} was refused: Cloudflare's rate limit was reached ({1}); Cloudflare did not process it.", What, st), {
        ...details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        // A destination write comes after the rotation: the request changed nothing, the rotation did.
        hint: spec.delivery
          ? retryAfterMs !== undefined
            ? l10n.t('Wait {0}. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.', waitText(retryAfterMs))
            : l10n.t('Wait a few minutes. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.')
          : retryAfterMs !== undefined
            ? l10n.t('Wait {0} and retry; nothing was changed. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.', waitText(retryAfterMs))
            : l10n.t('Wait a few minutes and retry; nothing was changed. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.'),
      });
    case 'server':
      return new CfRotateError(
        'server',
        spec.idempotent
          ? l10n.t('{0} failed: Cloudflare had an internal error ({1}).', What, st)
          : l10n.t('{0} failed: Cloudflare had an internal error ({1}); it was not retried because the change may have been applied.', What, st),
        {
          ...details,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          hint: spec.rotation
            ? l10n.t('{0}: it checks whether the call took effect before you retry. See https://www.cloudflarestatus.com.', capital(wording().resume()))
            : retryAfterMs !== undefined
              ? l10n.t("Retry in {0} (Cloudflare's Retry-After); see https://www.cloudflarestatus.com.", waitText(retryAfterMs))
              : l10n.t('Retry in a few minutes; see https://www.cloudflarestatus.com.'),
        },
      );
    default:
      return new CfRotateError('validation', l10n.t('{0} failed: Cloudflare rejected the request ({1}).', What, st), {
        ...details,
        hint:
          (spec.delivery
            ? l10n.t('Check this target in cf-rotate.json (its ids and key) and the destination in the Cloudflare dashboard.')
            : l10n.t('Check the ids and settings for this credential in cf-rotate.json; nothing was changed.')) + seeDocs,
      });
  }
}

function waitText(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 120 ? l10n.t('{0} min', Math.ceil(s / 60)) : l10n.t('{0} s', s);
}

/** The response does not have the documented shape. */
export function contractError(what: string, rotation: boolean, detail: string): CfRotateError {
  return rotation
    ? new CfRotateError(
        'contract',
        l10n.t("{0}: Cloudflare's response did not have the documented shape ({1}). The rotation may have happened and the new secret was not received.", cap(what), detail),
        {
          hint: l10n.t('Check in the Cloudflare dashboard whether the credential changed (or verify the old value); if it did, rotate it again to get a value you can store. Report this response shape to cf-rotate.'),
        },
      )
    : new CfRotateError('contract', l10n.t("{0}: Cloudflare's response did not have the documented shape ({1}).", cap(what), detail), {
        hint: l10n.t('Retry later; if it persists, the Cloudflare API may have changed: report it to cf-rotate.'),
      });
}

/** The caller aborted its signal: before the request was sent, between retries, or while a read waited for its answer. */
export function cancelled(spec: CallSpec): CfRotateError {
  return new CfRotateError('cancelled', l10n.t('{0} was cancelled.', cap(spec.what)), {
    hint: spec.delivery ? l10n.t('Run it again when you are ready.') : l10n.t('Nothing was changed by this request; run it again when you are ready.'),
  });
}

/** The codes of Cloudflare's `errors` array ([] when the body is not a failure envelope). */
export function errorCodesOf(body: unknown): number[] {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.errors.map((m) => m.code);
}

/**
 * What Cloudflare said: the messages of a v4 failure envelope (first two, shortened), or the
 * `title: detail` of an RFC 9457 problem-details body (5xx, notes A8). Redacted by CfRotateError.
 */
function cloudflareSaid(body: unknown): string {
  // Cloudflare's text reaches terminals and notifications: no escapes, controls, bidi overrides or link syntax.
  const short = (m: string): string => notification(m).replace(/\s+/g, ' ').trim().slice(0, 160);
  const parsed = E.FailureSchema.safeParse(body);
  if (parsed.success) {
    return parsed.data.errors
      .slice(0, 2)
      .map((m) => short(m.message ?? ''))
      .filter((m) => m.length > 0)
      .join('; ');
  }
  const problem = E.ProblemSchema.safeParse(body);
  if (problem.success && (problem.data.title || problem.data.detail)) {
    const { title, detail, error_code: code, ray_id: ray } = problem.data;
    const text = [title, detail && detail !== title ? detail : undefined].filter(Boolean).map((x) => short(x as string)).join(': ');
    const extra = [code !== undefined && code !== null ? `error ${String(code)}` : undefined, ray ? `Ray ID ${short(ray)}` : undefined].filter(Boolean).join(', ');
    return extra ? `${text} (${extra})` : text;
  }
  return '';
}

/** The first `documentation_url` of Cloudflare's error messages (403s carry one since 2026-08, notes A8); https only. */
function documentationUrl(body: unknown): string | undefined {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return undefined;
  for (const m of parsed.data.errors) {
    const u = m.documentation_url;
    // Only Cloudflare's own documentation: the hint shows it as a link.
    if (typeof u === 'string' && /^https:\/\/([a-z0-9-]+\.)*cloudflare\.com\/[^\s\])>]*$/i.test(u) && u.length <= 300) return u;
  }
  return undefined;
}

export function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
