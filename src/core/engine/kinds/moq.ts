/**
 * MoQ relay tokens: create → write → delete. A new token is created (POST …/tokens, labelled
 * `cf-rotate:<name>:<time>`), written everywhere, and only then the previous one is deleted. The
 * previous token is found by the jti cf-rotate recorded, by its `cf-rotate:<name>:` label, and by
 * the jti of the JWT in the files. An answer lost after the create leaves the previous token
 * working: the unusable new one is deleted once the call can no longer take effect.
 */
import * as l10n from '@vscode/l10n';
import { decodeJwtJti } from '../../cloudflare/jwt';
import { credentialKey, type MoqRelayTokenConfig } from '../../config/schema';
import { toCfRotateError } from '../../errors';
import { latestFor } from '../../history';
import type { Retirements } from '../../retire';
import type { JournalEntry } from '../journal';
import { pick, PROBE, type KindDriver } from './driver';

/** The previous tokens a rotation deletes once the new one is written everywhere. */
function previousJtis(e: JournalEntry): string[] {
  return (e.pre?.oldJtis ?? []).filter((j) => j !== e.received?.jti);
}

/** A previous token that could not be deleted now: a pending retirement, due at once. */
function keepForLater(retirements: Retirements, e: JournalEntry, jti: string, now: number): Promise<unknown> {
  return retirements.record({
    kind: 'moq-relay-token',
    resource: { accountId: e.resource.accountId as string, relayId: e.resource.relayId as string, jti },
    name: e.token,
    folder: e.folder,
    profile: e.profile,
    createdAt: now,
    dueAt: now,
    rotation: e.owner,
  });
}

export function moqOperations(tokenType: string | undefined): string[] {
  return tokenType === 'subscribe' ? ['subscribe'] : ['publish', 'subscribe'];
}

export const moqRelayToken: KindDriver<MoqRelayTokenConfig> = {
  kind: 'moq-relay-token',
  resourceId: credentialKey,
  resource: (t) => pick(t, ['accountId', 'relayId', 'tokenType']),

  intent: (t, now) => ({ moqLabel: `cf-rotate:${t.name}:${now.toString(36)}` }),

  async preState(ctx, t, targets) {
    const history = await ctx.history.list().catch(() => []);
    const recorded = latestFor(history, moqRelayToken.resourceId(t), (e) => e.jti !== undefined)?.jti;
    const listed = await ctx.api.listMoqTokens(t.accountId, t.relayId, ctx.signal ? { signal: ctx.signal } : undefined);
    const fromFiles = targets.map((x) => (x.current ? decodeJwtJti(x.current) : undefined)).filter((j): j is string => j !== undefined);
    const ops = moqOperations(t.tokenType);
    const sameOps = (o: readonly string[]): boolean => o.length === ops.length && ops.every((x) => o.includes(x));
    const old = listed.filter((x) => x.jti === recorded || fromFiles.includes(x.jti) || (x.label?.startsWith(`cf-rotate:${t.name}:`) === true && sameOps(x.operations))).map((x) => x.jti);
    return { oldJtis: [...new Set(old)] };
  },

  async call(ctx, e, hooks) {
    const r = e.resource;
    const m = await ctx.api.createMoqToken(r.accountId as string, r.relayId as string, moqOperations(r.tokenType), { label: e.moqLabel ?? `cf-rotate:${e.token}` }, hooks);
    return { jti: m.jti, ...(m.expires ? { expiresAt: m.expires } : {}) };
  },

  async recognize(ctx, e, field, value) {
    if (field !== 'token' || e.moqLabel === undefined) return undefined;
    const jti = decodeJwtJti(value);
    if (jti === undefined) return undefined;
    // A token the call created (it carries this rotation's label) whose JWT a target holds: the new one.
    const r = e.resource;
    const tokens = await ctx.api.listMoqTokens(r.accountId as string, r.relayId as string, PROBE);
    return tokens.some((x) => x.jti === jti && x.label === e.moqLabel) ? { token: value } : undefined;
  },

  async probe(ctx, e) {
    // The previous token still works. A token the call created whose secret never reached us is useless: delete it.
    const r = e.resource;
    const tokens = await ctx.api.listMoqTokens(r.accountId as string, r.relayId as string, PROBE);
    for (const t of tokens.filter((x) => e.moqLabel !== undefined && x.label === e.moqLabel)) await ctx.api.deleteMoqToken(r.accountId as string, r.relayId as string, t.jti, PROBE);
    return 'not-rotated';
  },

  verify: async () => ({ ok: true }),

  async finish(ctx, e) {
    const old = previousJtis(e);
    if (old.length === 0) {
      return [l10n.t('No previous MoQ token of "{0}" could be identified, so none was deleted; if an older token for it exists, it keeps working until you delete it in the dashboard.', e.token)];
    }
    const warnings: string[] = [];
    for (const jti of old) {
      try {
        await ctx.api.deleteMoqToken(e.resource.accountId as string, e.resource.relayId as string, jti);
      } catch (err) {
        const why = toCfRotateError(err).message;
        const kept = ctx.retirements ? await keepForLater(ctx.retirements, e, jti, ctx.clock.now()).then(() => true, () => false) : false;
        warnings.push(
          kept
            ? l10n.t('The previous MoQ token {0} of "{1}" could not be deleted ({2}); it stays pending and is deleted by the next rotation or retire.', jti, e.token, why)
            : l10n.t('The previous MoQ token {0} of "{1}" could not be deleted ({2}); it keeps working until you delete it in the dashboard.', jti, e.token, why),
        );
      }
    }
    return warnings;
  },

  async deferFinish(retirements, e, now) {
    const old = previousJtis(e);
    for (const jti of old) await keepForLater(retirements, e, jti, now);
    return old.length === 0
      ? []
      : [l10n.t('The previous MoQ token of "{0}" ({1}) was not deleted: no credential was available. It keeps working until the next rotation or retire deletes it (it is pending).', e.token, old.join(', '))];
  },

  lost: (e, now) => ({
    outcome: 'lost',
    message: l10n.t('A new MoQ relay token for "{0}" was created but never arrived; it was deleted.', e.token),
    hint: l10n.t('Your files still hold the previous token, which still works. Rotate "{0}" again.', e.token),
    errorKind: 'ambiguous',
    at: now,
  }),

  notRotated: (e) => l10n.t('No new MoQ token of "{0}" is in use: any token the call created was deleted, the previous token still works and no file was changed.', e.token),

  record: (e) => (e.received?.jti ? { jti: e.received.jti } : {}),
};
