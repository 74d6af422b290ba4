/**
 * MoQ relays (/accounts/{id}/moq/relays) and their tokens: list and read relays; rotate,
 * list and revoke relay tokens.
 */
import * as l10n from '@vscode/l10n';
import { wording } from '../wording';
import { CfRotateError } from '../errors';
import * as E from './envelope';
import { cap, contractError } from './failures';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { MAX_PAGES, PAGE_SIZE, tooManyPages } from './pagination';
import { callOptions, seg, type CallSpec, type RequestCore } from './request';
import type { MoqCreatedToken, MoqRelayInfo, MoqTokenInfo, MutationOptions, RequestOptions, SecretValues } from './types';

export async function listMoqRelays(core: RequestCore, accountId: string, opts?: RequestOptions): Promise<MoqRelayInfo[]> {
  const what = l10n.t('listing MoQ relays (account {0})', accountId);
  const base: Omit<CallSpec, 'query'> = {
    op: 'listMoqRelays',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/moq/relays`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listMoqRelays,
    schemes: ACCEPTED_SCHEMES.listMoqRelays,
    resource: l10n.t('account'),
    ...callOptions(opts),
  };
  // Keyset pagination on `created`, oldest first; `result_info.total` counts the items
  // matching the cursor filter (this page included).
  const out: MoqRelayInfo[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await core.call({ ...base, query: { asc: 'true', per_page: String(PAGE_SIZE), created_after: after } });
    const items = core.parse(res.result, E.MoqRelayListSchema, what, false);
    for (const r of items) {
      if (seen.has(r.uid)) continue;
      seen.add(r.uid);
      out.push({ id: r.uid, name: r.name, created: r.created ?? undefined, modified: r.modified ?? undefined });
    }
    // The docs name it `total`; the simulator (and list envelopes elsewhere) say `total_count`.
    const total = res.resultInfo?.total ?? res.resultInfo?.total_count;
    const last = items[items.length - 1];
    if (items.length === 0 || total === undefined || total <= items.length || !last?.created) return out;
    if (last.created === after) return out;
    after = last.created;
  }
  throw tooManyPages(what);
}

export async function getMoqRelay(core: RequestCore, accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqRelayInfo> {
  const what = l10n.t('reading MoQ relay {0} (account {1})', relayId, accountId);
  const res = await core.call({
    op: 'getMoqRelay',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/moq/relays/${seg(relayId, l10n.t('relay id'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getMoqRelay,
    schemes: ACCEPTED_SCHEMES.getMoqRelay,
    resource: l10n.t('MoQ relay'),
    ...callOptions(opts),
  });
  const r = core.parse(res.result, E.MoqRelaySchema, what, false);
  return { id: r.uid, name: r.name, created: r.created ?? undefined, modified: r.modified ?? undefined };
}

/**
 * POST …/tokens: a new relay token. The secret (a JWT) is in this answer only; it is handed to
 * `onSecret` before the rest of the answer is validated. The previous token stays valid: the
 * caller deletes it once the new one is written everywhere.
 */
export async function createMoqToken(
  core: RequestCore,
  accountId: string,
  relayId: string,
  operations: string[],
  o: { label: string; expires?: string },
  opts?: MutationOptions,
): Promise<MoqCreatedToken> {
  const what = l10n.t('creating a new {0} token for MoQ relay {1} (account {2})', operations.join('+'), relayId, accountId);
  const res = await core
    .call({
    op: 'createMoqToken',
    what,
    method: 'POST',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/moq/relays/${seg(relayId, l10n.t('relay id'))}/tokens`,
    body: { operations, label: o.label, ...(o.expires ? { expires: o.expires } : {}) },
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.createMoqToken,
    schemes: ACCEPTED_SCHEMES.createMoqToken,
    resource: l10n.t('MoQ relay'),
    ...callOptions(opts),
    secret: { extract: (r) => moqSecret(r, o.label, operations), onSecret: opts?.onSecret },
    })
    .catch(async (e: unknown) => {
      throw await moqCreateRefusal(core, e, accountId, relayId, opts);
    });
  const envelope = core.parse(res.result, E.MoqTokensEnvelopeSchema, what, true);
  const tokens = E.moqJwtTokens(envelope);
  if (!Array.isArray(tokens)) throw contractError(what, true, E.describeZodError(tokens, 'result.issuers[].cloudflare_tokens'));
  const pick = pickCreated(tokens, o.label, operations);
  if (!pick || !pick.secret) {
    const jtis = tokens.map((t) => t.jti).join(', ');
    throw new CfRotateError('contract', l10n.t('{0}: Cloudflare answered success but the response holds no token secret; a new token may have been created and its secret was not received.', cap(what)), {
      hint: jtis
        ? l10n.t('Resuming ({0}) deletes the unusable token (jti {1}); your files keep the previous token, which still works.', wording().resume(), jtis)
        : l10n.t('Resuming ({0}) deletes the unusable token; your files keep the previous token, which still works.', wording().resume()),
    });
  }
  return { jti: pick.jti, token: pick.secret, operations: [...pick.operations], expires: pick.expires ?? undefined, label: pick.label ?? undefined };
}

/** MoQ error codes with their own message (moq_* responses of the 2026 schema, notes A4). */
export const MOQ_TOO_MANY_TOKENS = 21009;
export const MOQ_EXPIRY_TOO_LONG = 21012;

/**
 * A create Cloudflare refused for a reason the user can fix at the relay: 409 / 21009 (the relay
 * already holds 10 tokens) and 21012 (expiry more than a year out) get their own message, naming
 * the relay (its name is looked up; the id is enough when that fails). Other errors pass through.
 */
async function moqCreateRefusal(core: RequestCore, e: unknown, accountId: string, relayId: string, opts?: RequestOptions): Promise<unknown> {
  if (!(e instanceof CfRotateError)) return e;
  const full = e.codes.includes(MOQ_TOO_MANY_TOKENS);
  const expiry = e.codes.includes(MOQ_EXPIRY_TOO_LONG);
  if (!full && !expiry) return e;
  let name: string | undefined;
  try {
    name = (await getMoqRelay(core, accountId, relayId, { ...(opts?.signal ? { signal: opts.signal } : {}), maxRetries: 0 })).name;
  } catch {
    name = undefined;
  }
  const relay = name ? l10n.t('MoQ relay "{0}" ({1})', name, relayId) : l10n.t('MoQ relay {0}', relayId);
  const details = { ...(e.status !== undefined ? { status: e.status } : {}), codes: e.codes, cause: e };
  if (full) {
    return new CfRotateError(
      'validation',
      l10n.t('{0} already holds 10 tokens, the most Cloudflare allows per relay (HTTP {1}, code {2}): no new token was created, and the previous token in your files still works.', relay, e.status ?? 409, MOQ_TOO_MANY_TOKENS),
      {
        ...details,
        hint: l10n.t('Delete tokens of {0} that nothing uses any more (DELETE {1}, or remove one in the Cloudflare dashboard under Media over QUIC › {2} › Tokens), then rotate again. Nothing was rotated.', relay, `/accounts/${accountId}/moq/relays/${relayId}/tokens/{jti}`, name ?? relayId),
      },
    );
  }
  return new CfRotateError(
    'validation',
    l10n.t("{0} refused the new token's expiry: Cloudflare allows at most one year (HTTP {1}, code {2}); no new token was created, and the previous token in your files still works.", relay, e.status ?? 400, MOQ_EXPIRY_TOO_LONG),
    {
      ...details,
      hint: l10n.t('Let Cloudflare choose the expiry (it defaults to one year), or ask for one within a year from now, then rotate again. Nothing was rotated.'),
    },
  );
}

type CreatedLike = { jti: string; operations: readonly string[]; label?: string | null | undefined; secret?: string | null | undefined };

/** The token this call created: the one with a secret, our label and our operations. */
function pickCreated<T extends CreatedLike>(tokens: readonly T[], label: string, operations: readonly string[]): T | undefined {
  const withSecret = tokens.filter((t) => typeof t.secret === 'string' && t.secret.length > 0);
  const sameOps = (t: CreatedLike): boolean => t.operations.length === operations.length && operations.every((x) => t.operations.includes(x));
  return withSecret.find((t) => t.label === label && sameOps(t)) ?? withSecret.find((t) => t.label === label) ?? (withSecret.length === 1 && sameOps(withSecret[0] as T) ? withSecret[0] : undefined);
}

/** The new JWT in a raw create `result`, found without validating the rest. */
function moqSecret(result: unknown, label: string, operations: readonly string[]): SecretValues | undefined {
  const issuers = (result as { issuers?: unknown } | null)?.issuers;
  if (!Array.isArray(issuers)) return undefined;
  const tokens: CreatedLike[] = [];
  for (const i of issuers) {
    const list = (i as { cloudflare_tokens?: unknown } | null)?.cloudflare_tokens;
    if (!Array.isArray(list)) continue;
    for (const t of list) {
      const x = t as Record<string, unknown>;
      if (typeof x.jti === 'string' && Array.isArray(x.operations)) {
        tokens.push({ jti: x.jti, operations: x.operations.filter((o): o is string => typeof o === 'string'), label: typeof x.label === 'string' ? x.label : undefined, secret: typeof x.secret === 'string' ? x.secret : undefined });
      }
    }
  }
  const pick = pickCreated(tokens, label, operations);
  return pick?.secret ? { token: pick.secret } : undefined;
}

export async function listMoqTokens(core: RequestCore, accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqTokenInfo[]> {
  const what = l10n.t('listing the tokens of MoQ relay {0} (account {1})', relayId, accountId);
  const res = await core.call({
    op: 'listMoqTokens',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/moq/relays/${seg(relayId, l10n.t('relay id'))}/tokens`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listMoqTokens,
    schemes: ACCEPTED_SCHEMES.listMoqTokens,
    resource: l10n.t('MoQ relay'),
    ...callOptions(opts),
  });
  const envelope = core.parse(res.result, E.MoqTokensEnvelopeSchema, what, false);
  const tokens = E.moqJwtTokens(envelope);
  if (!Array.isArray(tokens)) throw contractError(what, false, E.describeZodError(tokens, 'result.issuers[].cloudflare_tokens'));
  return tokens.map((t) => ({
    jti: t.jti,
    operations: [...t.operations],
    created: t.created ?? undefined,
    expires: t.expires ?? undefined,
    label: t.label ?? undefined,
  }));
}

export async function deleteMoqToken(core: RequestCore, accountId: string, relayId: string, jti: string, opts?: RequestOptions): Promise<void> {
  await core.call({
    op: 'deleteMoqToken',
    what: l10n.t('revoking token {0} of MoQ relay {1} (account {2})', jti, relayId, accountId),
    method: 'DELETE',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/moq/relays/${seg(relayId, l10n.t('relay id'))}/tokens/${seg(jti, l10n.t('token jti'))}`,
    idempotent: true, // documented: revoking an unknown token succeeds
    rotation: false,
    permission: REQUIRED_PERMISSIONS.deleteMoqToken,
    schemes: ACCEPTED_SCHEMES.deleteMoqToken,
    resource: l10n.t('MoQ relay'),
    ...callOptions(opts),
  });
}
