/**
 * API tokens, user-owned (/user/tokens) and account-owned (/accounts/{id}/tokens): roll,
 * verify, list and read; and the check of the admin credential itself.
 */
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import type { ApiTokenInfo, MutationOptions, RequestOptions, TokenStatus, VerifyResult } from './types';
import type * as z from 'zod/mini';

export async function verifyCredential(core: RequestCore, opts?: RequestOptions): Promise<{ ok: true; id?: string; status?: TokenStatus; email?: string }> {
  if (core.credential.type === 'global-key') {
    const res = await core.call({
      op: 'getUser',
      what: 'checking the admin credential (Global API key)',
      method: 'GET',
      path: '/user',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.verifyCredential,
      resource: 'user',
      ...callOptions(opts),
    });
    const user = core.parse(res.result, E.UserSchema, 'checking the admin credential', false);
    return { ok: true, id: user.id, ...(user.email !== undefined ? { email: user.email } : {}) };
  }
  const accountId = core.credentialAccountId;
  const res = await core.call({
    op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
    what: 'checking the admin credential (API token)',
    method: 'GET',
    path: accountId ? `/accounts/${seg(accountId, 'account id')}/tokens/verify` : '/user/tokens/verify',
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.verifyCredential,
    resource: 'token',
    ...callOptions(opts),
  });
  const v = core.parse(res.result, E.VerifyResultSchema, 'checking the admin credential', false);
  if (v.status !== 'active') {
    throw new CfRotateError('auth', `The admin credential${core.forProfile()} is ${v.status}.`, {
      hint: `Create or re-enable an API token in the Cloudflare dashboard and set it again for this profile.`,
      status: 200,
    });
  }
  return { ok: true, id: v.id, status: v.status };
}

export async function rollUserToken(core: RequestCore, tokenId: string, opts?: MutationOptions): Promise<string> {
  const what = `rolling user API token ${tokenId}`;
  const res = await core.call({
    op: 'rollUserToken',
    what,
    method: 'PUT',
    path: `/user/tokens/${seg(tokenId, 'token id')}/value`,
    body: {},
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rollUserToken,
    resource: 'user API token',
    ...callOptions(opts),
    secret: { extract: tokenValue, onSecret: opts?.onSecret },
  });
  return core.parse(res.result, E.TokenValueSchema, what, true);
}

export async function rollAccountToken(core: RequestCore, accountId: string, tokenId: string, opts?: MutationOptions): Promise<string> {
  const what = `rolling account API token ${tokenId} (account ${accountId})`;
  const res = await core.call({
    op: 'rollAccountToken',
    what,
    method: 'PUT',
    path: `/accounts/${seg(accountId, 'account id')}/tokens/${seg(tokenId, 'token id')}/value`,
    body: {},
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rollAccountToken,
    resource: 'account API token',
    ...callOptions(opts),
    secret: { extract: tokenValue, onSecret: opts?.onSecret },
  });
  return core.parse(res.result, E.TokenValueSchema, what, true);
}

export async function verifyToken(core: RequestCore, tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult> {
  registerSecret(tokenValue);
  const what = accountId ? `verifying an account API token value (account ${accountId})` : 'verifying an API token value';
  const res = await core.call({
    op: accountId ? 'verifyAccountToken' : 'verifyUserToken',
    what,
    method: 'GET',
    path: accountId ? `/accounts/${seg(accountId, 'account id')}/tokens/verify` : '/user/tokens/verify',
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.verifyToken,
    resource: 'token',
    bearer: tokenValue,
    ...callOptions(opts),
  });
  const v = core.parse(res.result, E.VerifyResultSchema, what, false);
  return { id: v.id, status: v.status, expiresOn: v.expires_on ?? undefined, notBefore: v.not_before ?? undefined };
}

export async function listUserTokens(core: RequestCore, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
  const items = await core.paginate(
    {
      op: 'listUserTokens',
      what: 'listing user API tokens',
      method: 'GET',
      path: '/user/tokens',
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listUserTokens,
      resource: 'user',
      ...callOptions(opts),
    },
    E.TokenListSchema,
    'numbered',
  );
  return items.map(toApiTokenInfo);
}

export async function getUserToken(core: RequestCore, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
  const what = `reading user API token ${tokenId}`;
  const res = await core.call({
    op: 'getUserToken',
    what,
    method: 'GET',
    path: `/user/tokens/${seg(tokenId, 'token id')}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getUserToken,
    resource: 'user API token',
    ...callOptions(opts),
  });
  return toApiTokenInfo(core.parse(res.result, E.TokenSchema, what, false));
}

export async function listAccountTokens(core: RequestCore, accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
  const items = await core.paginate(
    {
      op: 'listAccountTokens',
      what: `listing account API tokens (account ${accountId})`,
      method: 'GET',
      path: `/accounts/${seg(accountId, 'account id')}/tokens`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listAccountTokens,
      resource: 'account',
      ...callOptions(opts),
    },
    E.TokenListSchema,
    'numbered',
  );
  return items.map(toApiTokenInfo);
}

export async function getAccountToken(core: RequestCore, accountId: string, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
  const what = `reading account API token ${tokenId} (account ${accountId})`;
  const res = await core.call({
    op: 'getAccountToken',
    what,
    method: 'GET',
    path: `/accounts/${seg(accountId, 'account id')}/tokens/${seg(tokenId, 'token id')}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getAccountToken,
    resource: 'account API token',
    ...callOptions(opts),
  });
  return toApiTokenInfo(core.parse(res.result, E.TokenSchema, what, false));
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

/** The roll result is the new token value itself. */
function tokenValue(result: unknown): { token: string } | undefined {
  return typeof result === 'string' && result.length > 0 ? { token: result } : undefined;
}
