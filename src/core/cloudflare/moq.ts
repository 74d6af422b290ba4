/**
 * MoQ relays (/accounts/{id}/moq/relays) and their tokens: list and read relays; rotate,
 * list and revoke relay tokens.
 */
import { CfRotateError } from '../errors';
import * as E from './envelope';
import { cap, contractError, NOT_FOUND_CODES } from './failures';
import { REQUIRED_PERMISSIONS } from './permissions';
import { MAX_PAGES, PAGE_SIZE, seg, tooManyPages, type CallSpec, type RequestCore } from './request';
import type { MoqRelayInfo, MoqRotateResult, MoqTokenInfo, MoqTokenType, RequestOptions } from './types';

/** Cloudflare's error code for an unknown MoQ relay. */
const MOQ_RELAY_NOT_FOUND = 21007;

export async function listMoqRelays(core: RequestCore, accountId: string, opts?: RequestOptions): Promise<MoqRelayInfo[]> {
  const what = `listing MoQ relays (account ${accountId})`;
  const base: Omit<CallSpec, 'query'> = {
    op: 'listMoqRelays',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, 'account id')}/moq/relays`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listMoqRelays,
    resource: 'account',
    signal: opts?.signal,
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
  const what = `reading MoQ relay ${relayId} (account ${accountId})`;
  const res = await core.call({
    op: 'getMoqRelay',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getMoqRelay,
    resource: 'MoQ relay',
    signal: opts?.signal,
  });
  const r = core.parse(res.result, E.MoqRelaySchema, what, false);
  return { id: r.uid, name: r.name, created: r.created ?? undefined, modified: r.modified ?? undefined };
}

export async function rotateMoqToken(core: RequestCore, accountId: string, relayId: string, type: MoqTokenType, label: string, opts?: RequestOptions): Promise<MoqRotateResult> {
  const relayPath = `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}`;
  const what = `rotating the ${type} token of MoQ relay ${relayId} (account ${accountId})`;
  try {
    const res = await core.call({
      op: 'moqRotate',
      what,
      method: 'POST',
      path: `${relayPath}/tokens/rotate`,
      body: { type },
      idempotent: false,
      rotation: true,
      permission: REQUIRED_PERMISSIONS.rotateMoqToken,
      resource: 'MoQ relay',
      signal: opts?.signal,
    });
    const r = core.parse(res.result, E.MoqRotateResultSchema, what, true);
    return { token: r.token, type: r.type, via: 'rotate' };
  } catch (e) {
    if (!isRouteMissing(e)) throw e;
    core.logger.info(`cloudflare moqRotate: the rotate route is gone (HTTP 404); creating a new ${type} token instead`);
  }
  const createWhat = `creating a new ${type} token for MoQ relay ${relayId} (account ${accountId})`;
  const operations: ('publish' | 'subscribe')[] = type === 'publish_subscribe' ? ['publish', 'subscribe'] : ['subscribe'];
  const res = await core.call({
    op: 'createMoqToken',
    what: createWhat,
    method: 'POST',
    path: `${relayPath}/tokens`,
    body: label ? { operations, label } : { operations },
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rotateMoqToken,
    resource: 'MoQ relay',
    signal: opts?.signal,
  });
  const envelope = core.parse(res.result, E.MoqTokensEnvelopeSchema, createWhat, true);
  const tokens = E.moqJwtTokens(envelope);
  if (!Array.isArray(tokens)) throw contractError(createWhat, true, E.describeZodError(tokens, 'result.issuers[].cloudflare_tokens'));
  const withSecret = tokens.filter((t) => typeof t.secret === 'string' && t.secret.length > 0);
  const sameOps = (t: E.MoqJwtToken): boolean => t.operations.length === operations.length && operations.every((o) => t.operations.includes(o));
  const pick =
    withSecret.find((t) => (label ? t.label === label : true) && sameOps(t)) ?? withSecret.find(sameOps) ?? (withSecret.length === 1 ? withSecret[0] : undefined);
  if (!pick || !pick.secret) {
    const jtis = tokens.map((t) => t.jti).join(', ');
    throw new CfRotateError('contract', `${cap(createWhat)}: Cloudflare answered success but the response holds no token secret; a new token may have been created and its secret was not received.`, {
      hint: `List the relay's tokens and delete the new one${jtis ? ` (jti ${jtis})` : ''} if it exists, then retry.`,
    });
  }
  return { token: pick.secret, type, via: 'create', jti: pick.jti };
}

export async function listMoqTokens(core: RequestCore, accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqTokenInfo[]> {
  const what = `listing the tokens of MoQ relay ${relayId} (account ${accountId})`;
  const res = await core.call({
    op: 'listMoqTokens',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}/tokens`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listMoqTokens,
    resource: 'MoQ relay',
    signal: opts?.signal,
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
    what: `revoking token ${jti} of MoQ relay ${relayId} (account ${accountId})`,
    method: 'DELETE',
    path: `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}/tokens/${seg(jti, 'token jti')}`,
    idempotent: true, // documented: revoking an unknown token succeeds
    rotation: false,
    permission: REQUIRED_PERMISSIONS.deleteMoqToken,
    resource: 'MoQ relay',
    signal: opts?.signal,
  });
}

/** The rotate route itself is gone (404 / 7000 / 7003), as opposed to the relay (21007). */
function isRouteMissing(e: unknown): boolean {
  return (
    e instanceof CfRotateError &&
    e.kind === 'not-found' &&
    !e.codes.includes(MOQ_RELAY_NOT_FOUND) &&
    (e.status === 404 || e.codes.some((c) => NOT_FOUND_CODES.has(c)))
  );
}
