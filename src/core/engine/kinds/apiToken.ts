/**
 * Account- and user-owned API tokens.
 *
 * - `strategy: "roll"` (default): PUT …/tokens/{id}/value; the old value dies at once (A6).
 * - `strategy: "replace"` (notes C): the token is read (name, policies, condition, expiry), a twin
 *   is created with the same fields (POST …/tokens: its value arrives once and is journaled with
 *   the twin's id), written and verified everywhere; the engine then points `tokenId` in
 *   cf-rotate.json at the twin and records the retirement of the previous token (deleted when the
 *   overlap ends). A twin's name ends with the rotation's marker "(cf-rotate <label>)": a twin whose
 *   answer never arrived is found by it and deleted, and the previous token keeps working.
 *
 * Both derive the R2 S3 credentials of the token the moment its value arrives, so they are
 * journaled with it: `r2AccessKeyId` = the token's id, `r2SecretAccessKey` = SHA-256 hex of its value.
 */
import * as l10n from '@vscode/l10n';
import { createHash, randomBytes } from 'node:crypto';
import type { SecretFacts, SecretValues, TwinBody } from '../../cloudflare/types';
import { credentialKey, DEFAULT_OVERLAP, parseDuration, type AccountApiTokenConfig, type UserApiTokenConfig } from '../../config/schema';
import { CfRotateError, toCfRotateError } from '../../errors';
import { plural } from '../../l10n';
import { holdsOldValue } from '../targets';
import { pick, PROBE, type KindDriver } from './driver';

type ApiTokenConfig = AccountApiTokenConfig | UserApiTokenConfig;

/** Cloudflare's token names are at most 120 characters (iam_name). */
const MAX_NAME = 120;
/** The marker a twin's name ends with: "(cf-rotate <label>)". */
export const TWIN_MARKER = /\s*\(cf-rotate [0-9a-z]{4,24}\)$/;

/** The R2 S3 credentials derived from an API token (cloudflare-docs `r2/api/tokens.mdx`). */
export function r2Credentials(tokenId: string, value: string): Pick<SecretValues, 'r2AccessKeyId' | 'r2SecretAccessKey'> {
  return { r2AccessKeyId: tokenId, r2SecretAccessKey: createHash('sha256').update(value, 'utf8').digest('hex') };
}

/** `name` without an earlier marker, plus this rotation's, within 120 characters. */
export function twinName(name: string, marker: string): string {
  const base = name.replace(TWIN_MARKER, '').trimEnd();
  const room = MAX_NAME - marker.length - 1;
  return `${base.length > room ? base.slice(0, Math.max(0, room)).trimEnd() : base} ${marker}`.trimStart();
}

function newMarker(now: number): string {
  return `(cf-rotate ${now.toString(36)}${randomBytes(3).toString('hex')})`;
}

function driver(kind: ApiTokenConfig['kind']): KindDriver<ApiTokenConfig> {
  const account = kind === 'account-api-token';
  const owner = (r: Record<string, string>): string => (account ? l10n.t('account {0}', r.accountId as string) : l10n.t('your user'));
  return {
    kind,
    resourceId: credentialKey,
    resource: (t) => pick(t, ['accountId', 'tokenId']),
    apiTokenId: (t) => t.tokenId,

    intent: (t) =>
      t.strategy === 'replace'
        ? { retire: { what: 'api-token', resource: pick(t, ['accountId', 'tokenId']), overlapMs: parseDuration(t.overlap ?? DEFAULT_OVERLAP) } }
        : {},

    async preState(ctx, t, targets) {
      const o = ctx.signal ? { signal: ctx.signal } : undefined;
      if (t.strategy === 'replace') {
        const tpl = t.kind === 'account-api-token' ? await ctx.api.getAccountTokenTemplate(t.accountId, t.tokenId, o) : await ctx.api.getUserTokenTemplate(t.tokenId, o);
        if (tpl.status !== undefined && tpl.status !== 'active') {
          throw new CfRotateError('validation', l10n.t('The API token of "{0}" is {1} at Cloudflare: its twin would not work either.', t.name, tpl.status), {
            hint: l10n.t('Enable it in the Cloudflare dashboard (or create a new token and point tokenId at it), then rotate again. Nothing was rotated.'),
          });
        }
        const now = ctx.clock.now();
        if (tpl.expiresOn !== undefined && Date.parse(tpl.expiresOn) <= now) {
          throw new CfRotateError('validation', l10n.t('The API token of "{0}" expired on {1}: a twin with the same expiry would be expired too.', t.name, tpl.expiresOn), {
            hint: l10n.t('Change its expiry in the Cloudflare dashboard (or create a new token), then rotate again. Nothing was rotated.'),
          });
        }
        const marker = newMarker(now);
        const body: TwinBody = {
          name: twinName(tpl.name, marker),
          policies: tpl.policies,
          ...(tpl.condition ? { condition: tpl.condition } : {}),
          ...(tpl.expiresOn ? { expires_on: tpl.expiresOn } : {}),
          ...(tpl.notBefore ? { not_before: tpl.notBefore } : {}),
        };
        return { ...(tpl.modifiedOn ? { modifiedOn: tpl.modifiedOn } : {}), twin: { marker, body: body as unknown as Record<string, unknown> } };
      }
      // With no old value in any target, only Cloudflare's own timestamp can tell later whether a lost call rolled it.
      if (targets.some((x) => x.current !== undefined)) return {};
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
      // The R2 credentials are derived before the value is journaled, and journaled with it.
      const withR2 = (id: string | undefined) => ({
        ...hooks,
        onSecret: async (v: SecretValues, facts?: SecretFacts) => hooks.onSecret?.(v.token !== undefined && id !== undefined ? { ...v, ...r2Credentials(id, v.token) } : v, facts),
      });
      const twin = e.pre?.twin;
      if (twin) {
        const body = twin.body as unknown as TwinBody;
        const h = { ...hooks, onSecret: async (v: SecretValues, facts?: SecretFacts) => withR2(facts?.id).onSecret(v, facts) };
        const c = account ? await ctx.api.createAccountToken(r.accountId as string, body, h) : await ctx.api.createUserToken(body, h);
        return { tokenId: c.id, ...(c.expiresOn ? { expiresAt: c.expiresOn } : {}) };
      }
      if (account) await ctx.api.rollAccountToken(r.accountId as string, r.tokenId as string, withR2(r.tokenId));
      else await ctx.api.rollUserToken(r.tokenId as string, withR2(r.tokenId));
      return {};
    },

    async beforeWrite(ctx, e) {
      const twin = e.pre?.twin;
      if (!twin || e.received?.tokenId || !e.values?.token) return undefined;
      // The answer carried the value but not the twin's id: find the twin by its marker.
      const r = e.resource;
      const listed = account ? await ctx.api.listAccountTokens(r.accountId as string) : await ctx.api.listUserTokens();
      const hits = listed.filter((x) => x.name.endsWith(twin.marker));
      if (hits.length !== 1) {
        const message =
          hits.length === 0
            ? l10n.t('Cloudflare created the twin of "{0}" but did not say its id, and no token of {1} carries its marker {2}.', e.token, owner(r), twin.marker)
            : plural(
                hits.length,
                l10n.t('Cloudflare created the twin of "{0}" but did not say its id, and {3} token of {1} carries its marker {2}.', e.token, owner(r), twin.marker, hits.length),
                l10n.t('Cloudflare created the twin of "{0}" but did not say its id, and {3} tokens of {1} carries its marker {2}.', e.token, owner(r), twin.marker, hits.length),
              );
        throw new CfRotateError('contract', message, {
          hint: l10n.t('The new value is safe in the journal. Find the token named "…{0}" in the Cloudflare dashboard, set "tokenId" of "{1}" to its id in cf-rotate.json, then resume.', twin.marker, e.token),
        });
      }
      const id = (hits[0] as { id: string }).id;
      return { received: { ...e.received, tokenId: id }, values: { ...e.values, ...r2Credentials(id, e.values.token) } };
    },

    async recognize(ctx, e, field, value) {
      if (field !== 'token') return undefined;
      const r = e.resource;
      const acct = account ? r.accountId : undefined;
      let v: Awaited<ReturnType<typeof ctx.api.verifyToken>>;
      try {
        v = await ctx.api.verifyToken(value, acct, PROBE);
      } catch (err) {
        // Cloudflare does not know the value (or it is revoked): not a token this rotation made.
        if (toCfRotateError(err).kind === 'auth') return undefined;
        throw err;
      }
      if (v.status !== 'active') return undefined;
      const twin = e.pre?.twin;
      if (twin) {
        // A working token that is this rotation's twin (its name carries the marker).
        const listed = acct ? await ctx.api.listAccountTokens(acct, PROBE) : await ctx.api.listUserTokens(PROBE);
        if (!listed.some((x) => x.id.toLowerCase() === v.id.toLowerCase() && x.name.endsWith(twin.marker))) return undefined;
        return { token: value, ...r2Credentials(v.id, value) };
      }
      // The rolled token itself answers with a value that is not the one from before the roll: the new one.
      if (v.id.toLowerCase() !== (r.tokenId ?? '').toLowerCase()) return undefined;
      return { token: value, ...r2Credentials(r.tokenId as string, value) };
    },

    async probe(ctx, e, targets) {
      const r = e.resource;
      const acct = account ? r.accountId : undefined;
      const twin = e.pre?.twin;
      if (twin) {
        // The previous token was never touched. A twin whose value never arrived is useless: delete it.
        const listed = acct ? await ctx.api.listAccountTokens(acct, PROBE) : await ctx.api.listUserTokens(PROBE);
        for (const t of listed.filter((x) => x.name.endsWith(twin.marker))) {
          if (acct) await ctx.api.deleteAccountToken(acct, t.id, PROBE);
          else await ctx.api.deleteUserToken(t.id, PROBE);
          ctx.logger.warn(`Deleted the twin ${t.id} of "${e.token}" whose value never arrived.`);
        }
        return 'not-rotated';
      }
      const old = targets.find((t) => t.oldHash !== null && holdsOldValue(t, t.current))?.current;
      if (old !== undefined) {
        try {
          const v = await ctx.api.verifyToken(old, acct, PROBE);
          // The value is another token's (a target that held some other credential): it says nothing about this roll.
          if (v.id.toLowerCase() === (r.tokenId ?? '').toLowerCase()) return v.status === 'active' ? 'not-rotated' : 'rotated';
        } catch (err) {
          const kind = toCfRotateError(err).kind;
          if (kind === 'auth') return 'rotated';
          // A 403 for the value (revoked, or only IP filtering): no verdict; the token's modified_on may give one.
          if (kind !== 'permission') throw err;
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
      !e.pre?.twin && !targets.some((t) => t.current !== undefined) && !e.pre?.modifiedOn ? ` (${l10n.t('no target held an old value to test, and Cloudflare did not report when the token last changed')})` : '',

    async verify(ctx, e, values) {
      const v = await ctx.api.verifyToken(values.token as string, account ? e.resource.accountId : undefined);
      return {
        ok: v.status === 'active',
        ...(v.status !== 'active'
          ? { error: new CfRotateError('auth', l10n.t('Cloudflare reports the new token of "{0}" as {1}; it was written, but does not work.', e.token, v.status), { hint: l10n.t('Check the token in the Cloudflare dashboard.') }) }
          : {}),
        ...(v.expiresOn ? { expiresAt: v.expiresOn } : {}),
      };
    },

    lost: (e, now) => ({
      outcome: 'lost',
      message: l10n.t('Cloudflare rolled the API token "{0}" but the new value never arrived; the old value no longer works.', e.token),
      hint: l10n.t('Rotate "{0}" again: the admin credential rolls it once more and cf-rotate writes the value it receives.', e.token),
      errorKind: 'ambiguous',
      at: now,
    }),

    notRotated: (e) =>
      e.pre?.twin
        ? l10n.t('No twin of "{0}" is in use: any token the call created (its name ends with {1}) was deleted, the previous token still works and no file was changed.', e.token, e.pre.twin.marker)
        : l10n.t('Cloudflare did not rotate "{0}": the current secret still works and no file was changed.', e.token),

    record: (e) => (e.received?.tokenId ? { tokenId: e.received.tokenId } : {}),
  };
}

export const accountApiToken = driver('account-api-token') as KindDriver;
export const userApiToken = driver('user-api-token') as KindDriver;
