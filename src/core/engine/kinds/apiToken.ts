/** Account- and user-owned API tokens, rolled in place (PUT …/tokens/{id}/value): the old value dies at once. */
import { credentialKey, type AccountApiTokenConfig, type UserApiTokenConfig } from '../../config/schema';
import { CfRotateError, toCfRotateError } from '../../errors';
import { hashValue } from '../targets';
import { pick, PROBE, type KindDriver } from './driver';

type ApiTokenConfig = AccountApiTokenConfig | UserApiTokenConfig;

function driver(kind: ApiTokenConfig['kind']): KindDriver<ApiTokenConfig> {
  const account = kind === 'account-api-token';
  return {
    kind,
    resourceId: credentialKey,
    resource: (t) => pick(t, ['accountId', 'tokenId']),
    apiTokenId: (t) => t.tokenId,

    async preState(ctx, t, targets) {
      // With no old value in any target, only Cloudflare's own timestamp can tell later whether a lost call rolled it.
      if (targets.some((x) => x.current !== undefined)) return {};
      const o = ctx.signal ? { signal: ctx.signal } : undefined;
      const info = t.kind === 'account-api-token' ? await ctx.api.getAccountToken(t.accountId, t.tokenId, o) : await ctx.api.getUserToken(t.tokenId, o);
      return info.modifiedOn ? { modifiedOn: info.modifiedOn } : {};
    },

    async inspect(ctx, t) {
      const o = ctx.signal ? { signal: ctx.signal } : undefined;
      if (t.kind === 'account-api-token') await ctx.api.getAccountToken(t.accountId, t.tokenId, o);
      else await ctx.api.getUserToken(t.tokenId, o);
    },

    async call(ctx, e, hooks) {
      const r = e.resource;
      if (account) await ctx.api.rollAccountToken(r.accountId as string, r.tokenId as string, hooks);
      else await ctx.api.rollUserToken(r.tokenId as string, hooks);
      return {};
    },

    async probe(ctx, e, targets) {
      const r = e.resource;
      const acct = account ? r.accountId : undefined;
      const old = targets.find((t) => t.current !== undefined && t.oldHash !== null && hashValue(t.current) === t.oldHash)?.current;
      if (old !== undefined) {
        try {
          const v = await ctx.api.verifyToken(old, acct, PROBE);
          return v.status === 'active' ? 'not-rotated' : 'rotated';
        } catch (err) {
          if (toCfRotateError(err).kind === 'auth') return 'rotated';
          throw err;
        }
      }
      if (e.pre?.modifiedOn) {
        const info = acct ? await ctx.api.getAccountToken(acct, r.tokenId as string, PROBE) : await ctx.api.getUserToken(r.tokenId as string, PROBE);
        if (!info.modifiedOn) return 'unknown';
        return info.modifiedOn !== e.pre.modifiedOn ? 'rotated' : 'not-rotated';
      }
      return 'unknown';
    },

    cannotTell: (e, targets) =>
      !targets.some((t) => t.current !== undefined) && !e.pre?.modifiedOn ? ' (no target held an old value to test, and Cloudflare did not report when the token last changed)' : '',

    async verify(ctx, e, values) {
      const v = await ctx.api.verifyToken(values.token as string, account ? e.resource.accountId : undefined);
      return {
        ok: v.status === 'active',
        ...(v.status !== 'active'
          ? { error: new CfRotateError('auth', `Cloudflare reports the new token of "${e.token}" as ${v.status}; it was written, but does not work.`, { hint: 'Check the token in the Cloudflare dashboard.' }) }
          : {}),
        ...(v.expiresOn ? { expiresAt: v.expiresOn } : {}),
      };
    },

    lost: (e, now) => ({
      outcome: 'lost',
      message: `Cloudflare rolled the API token "${e.token}" but the new value never arrived; the old value no longer works.`,
      hint: `Rotate "${e.token}" again: the admin credential rolls it once more and cf-rotate writes the value it receives.`,
      errorKind: 'ambiguous',
      at: now,
    }),
  };
}

export const accountApiToken = driver('account-api-token') as KindDriver;
export const userApiToken = driver('user-api-token') as KindDriver;
