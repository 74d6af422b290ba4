/**
 * CloudflareClient: every Cloudflare API call cf-rotate makes. Each method describes one
 * route; the request core (request.ts) sends it, parses the answer and raises the errors
 * (failures.ts).
 *
 * No mutable state is shared between calls except the rate limiter; the client is safe to
 * use from hundreds of concurrent rotations.
 */
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { contractError, NOT_FOUND_CODES, cap } from './failures';
import type { CloudflareClientOptions } from './options';
import { REQUIRED_PERMISSIONS } from './permissions';
import { isoDate, MAX_PAGES, PAGE_SIZE, RequestCore, seg, tooManyPages, type CallSpec } from './request';
import type {
  AccessScope,
  AccountInfo,
  ApiTokenInfo,
  CloudflareApi,
  MoqRelayInfo,
  MoqRotateResult,
  MoqTokenInfo,
  MoqTokenType,
  RequestOptions,
  ServiceTokenInfo,
  ServiceTokenSecret,
  TokenStatus,
  VerifyResult,
  ZoneInfo,
} from './types';
import type * as z from 'zod/mini';

export { decodeJwtJti } from './jwt';
export { classifyHttp } from './failures';
export { DEFAULT_API_BASE_URL, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, validateApiBaseUrl, type CloudflareClientOptions } from './options';
export { REQUIRED_PERMISSIONS, type OperationName } from './permissions';

const MOQ_RELAY_NOT_FOUND = 21007;

export class CloudflareClient implements CloudflareApi {
  readonly baseUrl: URL;
  private readonly core: RequestCore;

  constructor(opts: CloudflareClientOptions) {
    this.core = new RequestCore(opts);
    this.baseUrl = this.core.baseUrl;
  }

  // ---------------------------------------------------------------- credential & API tokens

  async verifyCredential(opts?: RequestOptions): Promise<{ ok: true; id?: string; status?: TokenStatus; email?: string }> {
    if (this.core.credential.type === 'global-key') {
      const res = await this.core.call({
        op: 'getUser',
        what: 'checking the admin credential (Global API key)',
        method: 'GET',
        path: '/user',
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.verifyCredential,
        resource: 'user',
        signal: opts?.signal,
      });
      const user = this.core.parse(res.result, E.UserSchema, 'checking the admin credential', false);
      return { ok: true, id: user.id, ...(user.email !== undefined ? { email: user.email } : {}) };
    }
    const accountId = this.core.credentialAccountId;
    const res = await this.core.call({
      op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
      what: 'checking the admin credential (API token)',
      method: 'GET',
      path: accountId ? `/accounts/${seg(accountId, 'account id')}/tokens/verify` : '/user/tokens/verify',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.verifyCredential,
      resource: 'token',
      signal: opts?.signal,
    });
    const v = this.core.parse(res.result, E.VerifyResultSchema, 'checking the admin credential', false);
    if (v.status !== 'active') {
      throw new CfRotateError('auth', `The admin credential${this.core.forProfile()} is ${v.status}.`, {
        hint: `Create or re-enable an API token in the Cloudflare dashboard and set it again for this profile.`,
        status: 200,
      });
    }
    return { ok: true, id: v.id, status: v.status };
  }

  async rollUserToken(tokenId: string, opts?: RequestOptions): Promise<string> {
    const what = `rolling user API token ${tokenId}`;
    const res = await this.core.call({
      op: 'rollUserToken',
      what,
      method: 'PUT',
      path: `/user/tokens/${seg(tokenId, 'token id')}/value`,
      body: {},
      idempotent: false,
      rotation: true,
      permission: REQUIRED_PERMISSIONS.rollUserToken,
      resource: 'user API token',
      signal: opts?.signal,
    });
    return this.core.parse(res.result, E.TokenValueSchema, what, true);
  }

  async rollAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<string> {
    const what = `rolling account API token ${tokenId} (account ${accountId})`;
    const res = await this.core.call({
      op: 'rollAccountToken',
      what,
      method: 'PUT',
      path: `/accounts/${seg(accountId, 'account id')}/tokens/${seg(tokenId, 'token id')}/value`,
      body: {},
      idempotent: false,
      rotation: true,
      permission: REQUIRED_PERMISSIONS.rollAccountToken,
      resource: 'account API token',
      signal: opts?.signal,
    });
    return this.core.parse(res.result, E.TokenValueSchema, what, true);
  }

  async verifyToken(tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult> {
    registerSecret(tokenValue);
    const what = accountId ? `verifying an account API token value (account ${accountId})` : 'verifying an API token value';
    const res = await this.core.call({
      op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
      what,
      method: 'GET',
      path: accountId ? `/accounts/${seg(accountId, 'account id')}/tokens/verify` : '/user/tokens/verify',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.verifyToken,
      resource: 'token',
      bearer: tokenValue,
      signal: opts?.signal,
    });
    const v = this.core.parse(res.result, E.VerifyResultSchema, what, false);
    return { id: v.id, status: v.status, expiresOn: v.expires_on ?? undefined, notBefore: v.not_before ?? undefined };
  }

  async listUserTokens(opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    const items = await this.core.paginate(
      {
        op: 'listUserTokens',
        what: 'listing user API tokens',
        method: 'GET',
        path: '/user/tokens',
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.listUserTokens,
        resource: 'user',
        signal: opts?.signal,
      },
      E.TokenListSchema,
      'numbered',
    );
    return items.map(toApiTokenInfo);
  }

  async getUserToken(tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
    const what = `reading user API token ${tokenId}`;
    const res = await this.core.call({
      op: 'getUserToken',
      what,
      method: 'GET',
      path: `/user/tokens/${seg(tokenId, 'token id')}`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.getUserToken,
      resource: 'user API token',
      signal: opts?.signal,
    });
    return toApiTokenInfo(this.core.parse(res.result, E.TokenSchema, what, false));
  }

  async listAccountTokens(accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    const items = await this.core.paginate(
      {
        op: 'listAccountTokens',
        what: `listing account API tokens (account ${accountId})`,
        method: 'GET',
        path: `/accounts/${seg(accountId, 'account id')}/tokens`,
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.listAccountTokens,
        resource: 'account',
        signal: opts?.signal,
      },
      E.TokenListSchema,
      'numbered',
    );
    return items.map(toApiTokenInfo);
  }

  async getAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
    const what = `reading account API token ${tokenId} (account ${accountId})`;
    const res = await this.core.call({
      op: 'getAccountToken',
      what,
      method: 'GET',
      path: `/accounts/${seg(accountId, 'account id')}/tokens/${seg(tokenId, 'token id')}`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.getAccountToken,
      resource: 'account API token',
      signal: opts?.signal,
    });
    return toApiTokenInfo(this.core.parse(res.result, E.TokenSchema, what, false));
  }

  // ---------------------------------------------------------------- Access service tokens

  async listServiceTokens(scope: AccessScope, opts?: RequestOptions): Promise<ServiceTokenInfo[]> {
    const s = scopePath(scope);
    const items = await this.core.paginate(
      {
        op: 'listServiceTokens',
        what: `listing Access service tokens (${s.label})`,
        method: 'GET',
        path: `${s.path}/access/service_tokens`,
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.listServiceTokens,
        resource: s.kind,
        signal: opts?.signal,
      },
      E.ServiceTokenListSchema,
      // The zone route documents no query parameters: ask for page 2+ only when needed.
      s.kind === 'zone' ? 'numbered-lazy' : 'numbered',
    );
    return items.map(toServiceTokenInfo);
  }

  async getServiceToken(scope: AccessScope, id: string, opts?: RequestOptions): Promise<ServiceTokenInfo> {
    const s = scopePath(scope);
    const what = `reading Access service token ${id} (${s.label})`;
    const res = await this.core.call({
      op: 'getServiceToken',
      what,
      method: 'GET',
      path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.getServiceToken,
      resource: 'Access service token',
      signal: opts?.signal,
    });
    return toServiceTokenInfo(this.core.parse(res.result, E.ServiceTokenSchema, what, false));
  }

  async rotateServiceToken(accountId: string, id: string, graceUntil: Date | undefined, opts?: RequestOptions): Promise<ServiceTokenSecret> {
    const what = `rotating Access service token ${id} (account ${accountId})`;
    const body: Record<string, string> = {};
    if (graceUntil !== undefined) body['previous_client_secret_expires_at'] = isoDate(graceUntil, 'grace period end');
    const res = await this.core.call({
      op: 'rotateServiceToken',
      what,
      method: 'POST',
      path: `/accounts/${seg(accountId, 'account id')}/access/service_tokens/${seg(id, 'service token id')}/rotate`,
      body,
      idempotent: false,
      rotation: true,
      permission: REQUIRED_PERMISSIONS.rotateServiceToken,
      resource: 'Access service token',
      signal: opts?.signal,
    });
    return this.serviceTokenSecret(res.result, what);
  }

  async bumpServiceTokenVersion(
    scope: AccessScope,
    id: string,
    currentVersion: number,
    graceUntil: Date | undefined,
    opts?: RequestOptions,
  ): Promise<ServiceTokenSecret> {
    const s = scopePath(scope);
    const what = `rotating Access service token ${id} by bumping its secret version (${s.label})`;
    if (!Number.isFinite(currentVersion) || currentVersion < 0) {
      throw new CfRotateError('validation', `Cannot rotate Access service token ${id}: its current secret version (${String(currentVersion)}) is not a valid number.`, {
        hint: 'Read the token again (getServiceToken) and use its client_secret_version, or 1 if none is reported.',
      });
    }
    // The update body schema (zone PUT in the 2026 fragments; account PUT in 2024) requires
    // no field, so the name is not sent. Without a grace period the previous secret is
    // expired now, as POST …/rotate does.
    const expires = isoDate(graceUntil ?? new Date(this.core.clock.now()), 'grace period end');
    const res = await this.core.call({
      op: 'updateServiceToken',
      what,
      method: 'PUT',
      path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
      body: { client_secret_version: currentVersion + 1, previous_client_secret_expires_at: expires },
      idempotent: false,
      rotation: true,
      permission: REQUIRED_PERMISSIONS.bumpServiceTokenVersion,
      resource: 'Access service token',
      signal: opts?.signal,
    });
    const secret = this.serviceTokenSecret(res.result, what);
    return { ...secret, clientSecretVersion: secret.clientSecretVersion ?? currentVersion + 1 };
  }

  async setPreviousSecretExpiry(scope: AccessScope, id: string, at: Date, opts?: RequestOptions): Promise<ServiceTokenInfo> {
    const s = scopePath(scope);
    const what = `setting when the previous secret of Access service token ${id} expires (${s.label})`;
    const res = await this.core.call({
      op: 'updateServiceToken',
      what,
      method: 'PUT',
      path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
      body: { previous_client_secret_expires_at: isoDate(at, 'expiry') },
      idempotent: false,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.setPreviousSecretExpiry,
      resource: 'Access service token',
      signal: opts?.signal,
    });
    return toServiceTokenInfo(this.core.parse(res.result, E.ServiceTokenSchema, what, false));
  }

  // ---------------------------------------------------------------- MoQ relays

  async listMoqRelays(accountId: string, opts?: RequestOptions): Promise<MoqRelayInfo[]> {
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
      const res = await this.core.call({ ...base, query: { asc: 'true', per_page: String(PAGE_SIZE), created_after: after } });
      const items = this.core.parse(res.result, E.MoqRelayListSchema, what, false);
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

  async getMoqRelay(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqRelayInfo> {
    const what = `reading MoQ relay ${relayId} (account ${accountId})`;
    const res = await this.core.call({
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
    const r = this.core.parse(res.result, E.MoqRelaySchema, what, false);
    return { id: r.uid, name: r.name, created: r.created ?? undefined, modified: r.modified ?? undefined };
  }

  async rotateMoqToken(accountId: string, relayId: string, type: MoqTokenType, label: string, opts?: RequestOptions): Promise<MoqRotateResult> {
    const relayPath = `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}`;
    const what = `rotating the ${type} token of MoQ relay ${relayId} (account ${accountId})`;
    try {
      const res = await this.core.call({
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
      const r = this.core.parse(res.result, E.MoqRotateResultSchema, what, true);
      return { token: r.token, type: r.type, via: 'rotate' };
    } catch (e) {
      if (!isRouteMissing(e)) throw e;
      this.core.logger.info(`cloudflare moqRotate: the rotate route is gone (HTTP 404); creating a new ${type} token instead`);
    }
    const createWhat = `creating a new ${type} token for MoQ relay ${relayId} (account ${accountId})`;
    const operations: ('publish' | 'subscribe')[] = type === 'publish_subscribe' ? ['publish', 'subscribe'] : ['subscribe'];
    const res = await this.core.call({
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
    const envelope = this.core.parse(res.result, E.MoqTokensEnvelopeSchema, createWhat, true);
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

  async listMoqTokens(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqTokenInfo[]> {
    const what = `listing the tokens of MoQ relay ${relayId} (account ${accountId})`;
    const res = await this.core.call({
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
    const envelope = this.core.parse(res.result, E.MoqTokensEnvelopeSchema, what, false);
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

  async deleteMoqToken(accountId: string, relayId: string, jti: string, opts?: RequestOptions): Promise<void> {
    await this.core.call({
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

  // ---------------------------------------------------------------- discovery

  async listAccounts(opts?: RequestOptions): Promise<AccountInfo[]> {
    const items = await this.core.paginate(
      {
        op: 'listAccounts',
        what: 'listing accounts',
        method: 'GET',
        path: '/accounts',
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.listAccounts,
        resource: 'account list',
        signal: opts?.signal,
      },
      E.AccountListSchema,
      'numbered',
    );
    return items.map((a) => ({ id: a.id, name: a.name }));
  }

  async listZones(accountId?: string, opts?: RequestOptions): Promise<ZoneInfo[]> {
    const items = await this.core.paginate(
      {
        op: 'listZones',
        what: accountId ? `listing zones (account ${accountId})` : 'listing zones',
        method: 'GET',
        path: '/zones',
        query: accountId ? { 'account.id': accountId } : {},
        idempotent: true,
        rotation: false,
        permission: REQUIRED_PERMISSIONS.listZones,
        resource: 'account',
        signal: opts?.signal,
      },
      E.ZoneListSchema,
      'numbered',
    );
    return items.map((zn) => ({ id: zn.id, name: zn.name, accountId: zn.account?.id ?? undefined }));
  }

  // ---------------------------------------------------------------- plumbing

  private serviceTokenSecret(result: unknown, what: string): ServiceTokenSecret {
    const t = this.core.parse(result, E.ServiceTokenWithSecretSchema, what, true);
    if (typeof t.client_secret !== 'string' || t.client_secret.length === 0) {
      throw new CfRotateError(
        'contract',
        `${cap(what)}: Cloudflare answered success but returned no client_secret. The rotation happened and the new secret was not received.`,
        {
          hint: `The new secret cannot be read again. Rotate Access service token ${t.id} once more (the previous secret stays valid only until its grace period ends), or create a new service token in the dashboard.`,
        },
      );
    }
    registerSecret(t.client_secret);
    return {
      id: t.id,
      clientId: t.client_id,
      clientSecret: t.client_secret,
      name: t.name ?? undefined,
      expiresAt: t.expires_at ?? undefined,
      clientSecretVersion: t.client_secret_version ?? undefined,
    };
  }
}

function isRouteMissing(e: unknown): boolean {
  return (
    e instanceof CfRotateError &&
    e.kind === 'not-found' &&
    !e.codes.includes(MOQ_RELAY_NOT_FOUND) &&
    (e.status === 404 || e.codes.some((c) => NOT_FOUND_CODES.has(c)))
  );
}

function scopePath(scope: AccessScope): { path: string; label: string; kind: 'account' | 'zone' } {
  if (scope.accountId !== undefined) return { path: `/accounts/${seg(scope.accountId, 'account id')}`, label: `account ${scope.accountId}`, kind: 'account' };
  if (scope.zoneId !== undefined) return { path: `/zones/${seg(scope.zoneId, 'zone id')}`, label: `zone ${scope.zoneId}`, kind: 'zone' };
  throw new CfRotateError('validation', 'An Access service token needs an account id or a zone id.', {
    hint: 'Set accountId or zoneId for this service token in cf-rotate.json.',
  });
}

function toApiTokenInfo(t: z.output<typeof E.TokenSchema>): ApiTokenInfo {
  return {
    id: t.id,
    name: t.name ?? '',
    status: t.status,
    issuedOn: t.issued_on ?? undefined,
    modifiedOn: t.modified_on ?? undefined,
    lastUsedOn: t.last_used_on ?? undefined,
    expiresOn: t.expires_on ?? undefined,
    notBefore: t.not_before ?? undefined,
  };
}

function toServiceTokenInfo(t: z.output<typeof E.ServiceTokenSchema>): ServiceTokenInfo {
  return {
    id: t.id,
    clientId: t.client_id,
    name: t.name ?? '',
    duration: t.duration ?? undefined,
    expiresAt: t.expires_at ?? undefined,
    createdAt: t.created_at ?? undefined,
    updatedAt: t.updated_at ?? undefined,
    lastSeenAt: t.last_seen_at ?? undefined,
    clientSecretVersion: t.client_secret_version ?? undefined,
    previousClientSecretExpiresAt: t.previous_client_secret_expires_at ?? undefined,
  };
}
