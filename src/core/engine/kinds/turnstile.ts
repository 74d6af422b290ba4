/**
 * Turnstile widget secrets: POST …/challenges/widgets/{sitekey}/rotate_secret. The previous secret
 * keeps working 2 hours unless `invalidateImmediately`, and Cloudflare refuses another rotation
 * within that window: cf-rotate refuses it first, naming the time it becomes possible (the last
 * rotation's grace end, from the history). Account-owned admin tokens are refused by Turnstile:
 * the profile's Global API key is used then, or nothing is sent (request core).
 *
 * A widget's GET returns its current secret, so an answer that never arrived is not lost: resume
 * reads the widget and writes the secret it reports when it differs from the one before the call.
 */
import * as l10n from '@vscode/l10n';
import { credentialKey, type TurnstileSecretConfig } from '../../config/schema';
import { CfRotateError } from '../../errors';
import { latestFor } from '../../history';
import { hashValue } from '../targets';
import { PROBE, type KindDriver } from './driver';

/** "If invalidate_immediately is set to false, the previous secret remains valid for 2 hours." */
export const TURNSTILE_GRACE_MS = 2 * 3_600_000;

export const turnstileSecret: KindDriver<TurnstileSecretConfig> = {
  kind: 'turnstile-secret',
  resourceId: credentialKey,
  resource: (t) => ({ accountId: t.accountId, sitekey: t.sitekey, invalidateImmediately: String(t.invalidateImmediately === true) }),

  intent: (t, now) => (t.invalidateImmediately === true ? {} : { graceUntil: new Date(now + TURNSTILE_GRACE_MS).toISOString() }),

  async preState(ctx, t) {
    const now = ctx.clock.now();
    const history = await ctx.history.list().catch(() => []);
    const last = latestFor(history, credentialKey(t), (e) => e.graceUntil !== undefined && (e.outcome === 'rotated' || e.outcome === 'recovered'));
    if (last?.graceUntil !== undefined && Date.parse(last.graceUntil) > now) {
      throw new CfRotateError('validation', l10n.t('Turnstile does not rotate the secret of "{0}" again while the previous one is still valid: the last rotation ({1}) keeps it until {2}. A rotation is possible again after {2}.', t.name, last.at, last.graceUntil), {
        hint: l10n.t('Rotate "{0}" after {1}. Nothing was rotated.', t.name, last.graceUntil),
      });
    }
    const w = await ctx.api.getTurnstileWidget(t.accountId, t.sitekey, { ...(ctx.signal ? { signal: ctx.signal } : {}), adminTokenAccountOwned: ctx.adminTokenAccountOwned === true });
    return { ...(w.modifiedOn ? { modifiedOn: w.modifiedOn } : {}), ...(w.secret ? { secretHash: hashValue(w.secret) } : {}) };
  },

  async call(ctx, e, hooks) {
    const r = e.resource;
    await ctx.api.rotateTurnstileSecret(r.accountId as string, r.sitekey as string, r.invalidateImmediately === 'true', { ...hooks, adminTokenAccountOwned: ctx.adminTokenAccountOwned === true });
    return {};
  },

  async probe(ctx, e, targets) {
    const r = e.resource;
    const w = await ctx.api.getTurnstileWidget(r.accountId as string, r.sitekey as string, { ...PROBE, adminTokenAccountOwned: ctx.adminTokenAccountOwned === true });
    if (!w.secret) return 'unknown';
    const now = hashValue(w.secret);
    const before = e.pre?.secretHash ?? targets.find((t) => t.oldHash !== null)?.oldHash ?? undefined;
    if (before !== undefined) return now === before ? 'not-rotated' : { recovered: { token: w.secret } };
    if (e.pre?.modifiedOn && w.modifiedOn) return w.modifiedOn === e.pre.modifiedOn ? 'not-rotated' : { recovered: { token: w.secret } };
    return 'unknown';
  },

  cannotTell: () => ` (${l10n.t('Cloudflare reported neither the widget\'s secret nor when it last changed')})`,

  async verify(ctx, e, values) {
    const r = e.resource;
    const w = await ctx.api.getTurnstileWidget(r.accountId as string, r.sitekey as string, { adminTokenAccountOwned: ctx.adminTokenAccountOwned === true });
    if (w.secret === undefined || w.secret === values.token) return { ok: true };
    return {
      ok: false,
      error: new CfRotateError('auth', l10n.t('Cloudflare reports another current secret for the Turnstile widget of "{0}" than the one that was written (rotated again meanwhile?).', e.token), {
        hint: l10n.t('Check the widget in the Cloudflare dashboard (Turnstile › the widget › Settings).'),
      }),
    };
  },

  lost: (e, now) => ({
    outcome: 'lost',
    message: l10n.t('Cloudflare rotated the Turnstile secret of "{0}" but the new secret never arrived and the widget did not report it.', e.token),
    hint: l10n.t('The previous secret works until {0}. Copy the current secret from the dashboard (Turnstile › the widget › Settings) into your files, or rotate "{1}" again once that time has passed.', e.graceUntil ?? l10n.t('it was invalidated (at once)'), e.token),
    errorKind: 'ambiguous',
    at: now,
  }),

  notRotated: (e) => l10n.t('Cloudflare did not rotate the Turnstile secret of "{0}": the current secret still works and no file was changed.', e.token),
};
