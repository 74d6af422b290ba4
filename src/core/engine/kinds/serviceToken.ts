/**
 * Access service tokens: `POST …/rotate` with a grace period for the previous secret (account
 * level), or a `client_secret_version` bump with PUT (zone level, or `method: "version"`).
 * Cloudflare does not report the version: the one cf-rotate last set (history) or the config's
 * `clientSecretVersion` is used, and a rotation is refused before any request (`plan`, ahead of
 * the credential check) when neither is known.
 */
import * as l10n from '@vscode/l10n';
import type { AccessScope, SecretValues } from '../../cloudflare/types';
import { credentialKey, parseDuration, type AccessServiceTokenConfig } from '../../config/schema';
import { CfRotateError } from '../../errors';
import { latestFor, type HistoryStore } from '../../history';
import { pick, PROBE, type KindDriver } from './driver';

export function scopeOf(r: Record<string, string>): AccessScope {
  return r.accountId ? { accountId: r.accountId } : { zoneId: r.zoneId as string };
}

const resourceId: (t: AccessServiceTokenConfig) => string = credentialKey;

/** How long a version bump without a grace period keeps the previous secret, until the new one is written (then it is expired). */
export const VERSION_SAFETY_MS = 10 * 60_000;

/** How a config entry is rotated: `rotate` (account level only) or `version`. */
function methodOf(t: { method?: string | undefined; accountId?: string | undefined }): 'rotate' | 'version' {
  return t.method === 'rotate' || t.method === 'version' ? t.method : t.accountId ? 'rotate' : 'version';
}

/** A client_secret_version cf-rotate can send one above: a whole number from 1. */
function isVersion(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/**
 * The client_secret_version the token has now: what cf-rotate last set (history), else
 * `clientSecretVersion` from the config, whichever is higher (`fromHistory`: the history knew it).
 * Guessing would move the previous secret's expiry without a rotation; a remembered value that is
 * not a version is not one.
 */
async function knownSecretVersion(history: Pick<HistoryStore, 'list'>, t: AccessServiceTokenConfig): Promise<{ version: number; fromHistory: boolean }> {
  const entries = await history.list().catch(() => []);
  const last = latestFor(entries, resourceId(t), (e) => isVersion(e.secretVersion))?.secretVersion ?? 0;
  const configured = isVersion(t.clientSecretVersion) ? t.clientSecretVersion : 0;
  const known = Math.max(last, configured);
  if (known > 0) return { version: known, fromHistory: last >= configured };
  throw new CfRotateError('config', l10n.t('cf-rotate does not know the current client_secret_version of the service token "{0}", and Cloudflare does not report it.', t.name), {
    hint: t.accountId
      ? l10n.t('Use "method": "rotate" for this account-level token (it needs no version), or set "clientSecretVersion" in cf-rotate.json to the version in use now (1 if it was never rotated by version). Nothing was rotated.')
      : l10n.t('Set "clientSecretVersion" in cf-rotate.json to the version in use now (1 for a token that was never rotated by version; Terraform users: the value in your configuration). cf-rotate remembers it from then on. Nothing was rotated.'),
  });
}

export const accessServiceToken: KindDriver<AccessServiceTokenConfig> = {
  kind: 'access-service-token',
  resourceId,
  resource: (t) => pick(t, ['accountId', 'zoneId', 'serviceTokenId', 'method']),

  intent(t, now, ctx) {
    const graceMs = parseDuration(t.gracePeriod ?? ctx.defaultGracePeriod);
    if (graceMs > 0) return { graceUntil: new Date(now + graceMs).toISOString() };
    if (methodOf(t) !== 'version') return {};
    // No grace period asked for, on a version bump: the PUT's answer does not declare the new
    // secret (only Cloudflare's Terraform tests show it there, at account level). Should it come
    // back without one, a previous secret expired by the same call would leave nothing that
    // works. It is kept for a short safety window instead, and expired as soon as the new one is
    // in every target (a retirement due at once, retried if that call fails).
    return {
      graceUntil: new Date(now + VERSION_SAFETY_MS).toISOString(),
      retire: { what: 'access-previous-secret', resource: accessServiceToken.resource(t), overlapMs: 0 },
    };
  },

  // The version to set is known from config and history alone: an unknown one is refused before the credential check.
  async plan(ctx, t) {
    if (methodOf(t) !== 'version') return {};
    const known = await knownSecretVersion(ctx.history, t);
    return { nextVersion: known.version + 1, ...(known.fromHistory ? {} : { versionFromConfig: true as const }) };
  },

  async preState(ctx, t) {
    const info = await ctx.api.getServiceToken(scopeOf(accessServiceToken.resource(t)), t.serviceTokenId, ctx.signal ? { signal: ctx.signal } : undefined);
    // An expired service token authenticates with no secret: a rotation would write one that cannot work (and say it did).
    const expires = info.expiresAt ? Date.parse(info.expiresAt) : NaN;
    if (Number.isFinite(expires) && expires <= ctx.clock.now()) {
      throw new CfRotateError('config', l10n.t('The service token "{0}" expired on {1}: a new client secret of it would not authenticate either.', t.name, info.expiresAt as string), {
        hint: t.accountId
          ? l10n.t('Extend it first (Zero Trust › Access › Service credentials › Refresh, or POST …/access/service_tokens/{id}/refresh), then rotate. Nothing was rotated.')
          : l10n.t('Extend it first (set a new duration in Zero Trust › Access › Service credentials, or PUT its "duration"), then rotate. Nothing was rotated.'),
      });
    }
    return { ...(info.clientId ? { clientId: info.clientId } : {}), ...(info.updatedAt ? { updatedAt: info.updatedAt } : {}) };
  },

  async call(ctx, e, hooks) {
    const r = e.resource;
    const grace = e.graceUntil ? new Date(e.graceUntil) : undefined;
    const method = methodOf(r);
    // The client id comes back with the secret; if Cloudflare leaves it out, the one read before stands.
    const withClientId = { ...hooks, onSecret: async (v: SecretValues) => hooks.onSecret?.({ ...(e.pre?.clientId ? { clientId: e.pre.clientId } : {}), ...v }) };
    const s =
      method === 'rotate' && r.accountId
        ? await ctx.api.rotateServiceToken(r.accountId, r.serviceTokenId as string, grace, withClientId)
        : await ctx.api.bumpServiceTokenVersion(scopeOf(r), r.serviceTokenId as string, (e.pre?.nextVersion ?? 0) - 1, grace, withClientId);
    return s.expiresAt ? { expiresAt: s.expiresAt } : {};
  },

  async probe(ctx, e) {
    const pre = e.pre ?? {};
    if (pre.updatedAt === undefined) return 'unknown';
    const info = await ctx.api.getServiceToken(scopeOf(e.resource), e.resource.serviceTokenId as string, PROBE);
    if (info.updatedAt === undefined) return 'unknown';
    return info.updatedAt !== pre.updatedAt ? 'rotated' : 'not-rotated';
  },

  cannotTell: (e) => (e.pre?.updatedAt ? '' : ` (${l10n.t('Cloudflare did not report when the service token last changed')})`),

  async verify(_ctx, e, values) {
    const expected = e.pre?.clientId;
    if (expected === undefined || values.clientId === undefined || expected === values.clientId) return { ok: true };
    return {
      ok: false,
      error: new CfRotateError('contract', l10n.t('The service token "{0}" came back with a different client ID than before; the new one was written.', e.token), { hint: l10n.t('Update every application that sends the old client ID.') }),
    };
  },

  // A version known from cf-rotate.json alone (no history: a first rotation, or a CI job whose state is not kept): say where to keep the new one.
  finish: async (_ctx, e) =>
    e.pre?.versionFromConfig === true && e.pre.nextVersion !== undefined
      ? [
          l10n.t(
            'The service token "{0}" is now at client_secret_version {1}; cf-rotate remembers that in its state directory. Where that is not kept (a CI job), set "clientSecretVersion": {1} in cf-rotate.json, or the next rotation sends {1} again and rotates nothing.',
            e.token,
            e.pre.nextVersion,
          ),
        ]
      : [],

  lost(e, now) {
    const graceOk = e.graceUntil !== undefined && Date.parse(e.graceUntil) > now;
    const sent = e.pre?.nextVersion;
    if (methodOf(e.resource) === 'version' && sent !== undefined) {
      // The token changed (updated_at), but a PUT whose version is not above the token's own changes
      // it too: it rotates nothing and returns no secret, yet moves the previous secret's expiry (A3).
      // Cloudflare does not report the version, so both readings stay open.
      return {
        outcome: 'lost',
        message: l10n.t(
          'Cloudflare changed the service token "{0}" (client_secret_version {1} was sent) but a new client secret never arrived. Either it rotated and the new secret was lost, or {1} is not above the version the token already has and nothing rotated.',
          e.token,
          sent,
        ),
        hint:
          l10n.t(
            'Rotate "{0}" again now: cf-rotate sends {1} next. If the version in use is higher still (set elsewhere: the dashboard, Terraform, a CI job whose state was not kept), set "clientSecretVersion" in cf-rotate.json to it first.',
            e.token,
            sent + 1,
          ) +
          (graceOk
            ? ` ${l10n.t('Until {0}, the previous secret works either way (if nothing rotated, that is the secret from before the token\'s last rotation, accepted again until then).', e.graceUntil as string)}`
            : ''),
        errorKind: 'ambiguous',
        at: now,
      };
    }
    return {
      outcome: 'lost',
      message: l10n.t('Cloudflare rotated the service token "{0}" but the new client secret never arrived.', e.token),
      hint: graceOk
        ? l10n.t('The previous secret in your files still works until {0}: rotate "{1}" again now to get a secret you can use.', e.graceUntil as string, e.token)
        : l10n.t('The previous secret no longer works: rotate "{0}" again now to get a new one.', e.token),
      errorKind: 'ambiguous',
      at: now,
    };
  },

  // A version bump that happened (completed or lost) moved the version: remember the one set.
  record: (e, outcome) => (e.pre?.nextVersion !== undefined && outcome !== 'failed' && outcome !== 'discarded' ? { secretVersion: e.pre.nextVersion } : {}),
};
