/**
 * OAuth client secrets, two-phase: POST …/oauth_clients/{id}/rotate_secret creates a second
 * secret (both work), cf-rotate writes and checks it everywhere, and the previous secret is
 * deleted (DELETE …/rotate_secret) when the overlap ends — the pending-retirement machinery of
 * `strategy: "replace"`. Cloudflare keeps at most the current and one previous secret
 * (`has_rotated_secret`): a rotation is refused before any call while a previous one exists.
 * Cloudflare never shows a secret again: an answer that never arrived is lost, but the secret in
 * the files keeps working (the previous one is not deleted).
 */
import * as l10n from '@vscode/l10n';
import type { SecretFacts, SecretValues } from '../../cloudflare/types';
import { credentialKey, DEFAULT_OVERLAP, parseDuration, type OAuthClientSecretConfig } from '../../config/schema';
import { CfRotateError } from '../../errors';
import { PROBE, type KindDriver } from './driver';

export const oauthClientSecret: KindDriver<OAuthClientSecretConfig> = {
  kind: 'oauth-client-secret',
  resourceId: credentialKey,
  resource: (t) => ({ accountId: t.accountId, clientId: t.clientId }),

  intent: (t) => ({ retire: { what: 'oauth-client-secret', resource: { accountId: t.accountId, clientId: t.clientId }, overlapMs: parseDuration(t.overlap ?? DEFAULT_OVERLAP) } }),

  async preState(ctx, t) {
    const c = await ctx.api.getOAuthClient(t.accountId, t.clientId, ctx.signal ? { signal: ctx.signal } : undefined);
    if (c.hasRotatedSecret === true) {
      throw new CfRotateError('validation', l10n.t('OAuth client "{0}" ({1}) still has a previous secret: Cloudflare keeps two secrets at most, so cf-rotate rotates only once the previous one is deleted.', t.name, t.clientId), {
        hint: l10n.t('If cf-rotate rotated it and the retirement is pending, carry it out once nothing uses the previous secret (Retire Previous Token Now…, or cf-rotate retire "{0}" --now). Otherwise delete the previous secret in the Cloudflare dashboard, but only if your files hold the newer one. Nothing was rotated.', t.name),
      });
    }
    return c.updatedAt ? { updatedAt: c.updatedAt } : {};
  },

  async call(ctx, e, hooks) {
    const r = e.resource;
    // The client id is fixed: targets may take it beside the secret.
    const withId = { ...hooks, onSecret: async (v: SecretValues, f?: SecretFacts) => hooks.onSecret?.({ clientId: r.clientId as string, ...v }, f) };
    await ctx.api.rotateOAuthClientSecret(r.accountId as string, r.clientId as string, withId);
    return {};
  },

  async probe(ctx, e) {
    const c = await ctx.api.getOAuthClient(e.resource.accountId as string, e.resource.clientId as string, PROBE);
    if (c.hasRotatedSecret === undefined) return 'unknown';
    return c.hasRotatedSecret ? 'rotated' : 'not-rotated';
  },

  cannotTell: () => ` (${l10n.t('Cloudflare did not report whether the client has a second secret')})`,

  async verify(ctx, e) {
    // Cloudflare offers no way to test a client secret through the API: check that the rotation is in place.
    const c = await ctx.api.getOAuthClient(e.resource.accountId as string, e.resource.clientId as string);
    if (c.hasRotatedSecret !== false) return { ok: true };
    return {
      ok: false,
      error: new CfRotateError('auth', l10n.t('Cloudflare reports no previous secret for OAuth client "{0}" any more: the secret that was written may have been replaced or deleted meanwhile.', e.token), {
        hint: l10n.t('Check the OAuth client in the Cloudflare dashboard.'),
      }),
    };
  },

  lost: (e, now) => ({
    outcome: 'lost',
    message: l10n.t('Cloudflare created a second secret for OAuth client "{0}" but it never arrived. The secret in your files still works: both do until the previous one is deleted.', e.token),
    hint: l10n.t('Do not delete the previous secret while your files hold it. To rotate "{0}" again, Cloudflare must first drop the previous secret, which is the one your files hold: do it in the dashboard when a short outage is acceptable, then rotate again at once.', e.token),
    errorKind: 'ambiguous',
    at: now,
  }),

  notRotated: (e) => l10n.t('Cloudflare did not create a second secret for OAuth client "{0}": the current secret still works and no file was changed.', e.token),
};
