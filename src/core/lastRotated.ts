/**
 * When was a credential last rotated, according to Cloudflare's own timestamps? For schedules
 * without a persisted history (CI runners): `cf-rotate rotate --due --due-from cloudflare`.
 *
 *  - API tokens (account and user): `modified_on`, else `issued_on`. A roll sets `modified_on`;
 *    so does any other edit of the token (name, policies), which then counts as a rotation.
 *  - Access service tokens: `updated_at` (else `created_at`). A rotate or version bump sets it;
 *    so do a refresh and other updates.
 *  - MoQ relay tokens: `created` of the newest token of the relay with the configured type
 *    (a rotation replaces the token, so the newest one is the current one).
 *  - Turnstile widgets: `modified_on` (any edit of the widget counts); OAuth clients: `updated_at`.
 *
 * Expiry comes along where Cloudflare reports it (`expires_on`, `expires_at`, `expires`), so a
 * credential that expires soon is due even without a schedule. Reads only (GET).
 */
import type { CloudflareApi, MoqTokenInfo, RequestOptions } from './cloudflare/types';
import type { TokenConfig } from './config/schema';

export interface LastRotated {
  /** Epoch ms of the last rotation as Cloudflare reports it; undefined when it reports none. */
  at: number | undefined;
  /** Which of Cloudflare's fields `at` comes from (`modified_on`, `issued_on`, `updated_at`, `created_at`, `created`). */
  field: string | undefined;
  /** Epoch ms when the current credential expires, where Cloudflare reports it. */
  expiresAt: number | undefined;
}

function time(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

/** The first of `candidates` (field name, ISO time) that holds a valid time. */
function first(candidates: [string, string | undefined][]): { at: number | undefined; field: string | undefined } {
  for (const [field, iso] of candidates) {
    const at = time(iso);
    if (at !== undefined) return { at, field };
  }
  return { at: undefined, field: undefined };
}

function hasType(t: MoqTokenInfo, type: 'publish_subscribe' | 'subscribe'): boolean {
  const ops = new Set(t.operations);
  return type === 'subscribe' ? ops.size === 1 && ops.has('subscribe') : ops.size === 2 && ops.has('publish') && ops.has('subscribe');
}

/** Cloudflare's view of when `token` was last rotated. Throws the client's CfRotateError on API failure. */
export async function lastRotatedAtCloudflare(api: CloudflareApi, token: TokenConfig, opts?: RequestOptions): Promise<LastRotated> {
  switch (token.kind) {
    case 'account-api-token':
    case 'user-api-token': {
      const info =
        token.kind === 'account-api-token' ? await api.getAccountToken(token.accountId, token.tokenId, opts) : await api.getUserToken(token.tokenId, opts);
      return { ...first([['modified_on', info.modifiedOn], ['issued_on', info.issuedOn]]), expiresAt: time(info.expiresOn) };
    }
    case 'access-service-token': {
      const scope = token.accountId !== undefined ? { accountId: token.accountId } : { zoneId: token.zoneId as string };
      const info = await api.getServiceToken(scope, token.serviceTokenId, opts);
      return { ...first([['updated_at', info.updatedAt], ['created_at', info.createdAt]]), expiresAt: time(info.expiresAt) };
    }
    case 'moq-relay-token': {
      const tokens = (await api.listMoqTokens(token.accountId, token.relayId, opts)).filter((t) => hasType(t, token.tokenType));
      let newest: { at: number; token: MoqTokenInfo } | undefined;
      for (const t of tokens) {
        const at = time(t.created);
        if (at !== undefined && (newest === undefined || at > newest.at)) newest = { at, token: t };
      }
      if (!newest) return { at: undefined, field: undefined, expiresAt: undefined };
      return { at: newest.at, field: 'created', expiresAt: time(newest.token.expires) };
    }
    case 'turnstile-secret': {
      const w = await api.getTurnstileWidget(token.accountId, token.sitekey, opts);
      return { ...first([['modified_on', w.modifiedOn], ['created_on', w.createdOn]]), expiresAt: undefined };
    }
    case 'oauth-client-secret': {
      const c = await api.getOAuthClient(token.accountId, token.clientId, opts);
      return { ...first([['updated_at', c.updatedAt], ['created_at', c.createdAt]]), expiresAt: undefined };
    }
  }
}
