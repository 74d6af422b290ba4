/**
 * Access service tokens, account-scoped (/accounts/{id}/access/service_tokens) or
 * zone-scoped (/zones/{id}/access/service_tokens): list, read, rotate (POST …/rotate, or a
 * secret-version bump with PUT) and set when the previous secret expires.
 */
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { cap } from './failures';
import { acceptedSchemes, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, isoDate, seg, type RequestCore } from './request';
import type { AccessScope, MutationOptions, RequestOptions, SecretValues, ServiceTokenInfo, ServiceTokenSecret } from './types';
import type * as z from 'zod/mini';

export async function listServiceTokens(core: RequestCore, scope: AccessScope, opts?: RequestOptions): Promise<ServiceTokenInfo[]> {
  const s = scopePath(scope);
  const items = await core.paginate(
    {
      op: 'listServiceTokens',
      what: `listing Access service tokens (${s.label})`,
      method: 'GET',
      path: `${s.path}/access/service_tokens`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listServiceTokens,
      schemes: acceptedSchemes('listServiceTokens', scope),
      resource: s.kind,
      ...callOptions(opts),
    },
    E.ServiceTokenListSchema,
    // The zone route documents no query parameters: ask for page 2+ only when needed.
    s.kind === 'zone' ? 'numbered-lazy' : 'numbered',
  );
  return items.map(toServiceTokenInfo);
}

export async function getServiceToken(core: RequestCore, scope: AccessScope, id: string, opts?: RequestOptions): Promise<ServiceTokenInfo> {
  const s = scopePath(scope);
  const what = `reading Access service token ${id} (${s.label})`;
  const res = await core.call({
    op: 'getServiceToken',
    what,
    method: 'GET',
    path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getServiceToken,
    schemes: acceptedSchemes('getServiceToken', scope),
    resource: 'Access service token',
    ...callOptions(opts),
  });
  return toServiceTokenInfo(core.parse(res.result, E.ServiceTokenSchema, what, false));
}

export async function rotateServiceToken(core: RequestCore, accountId: string, id: string, graceUntil: Date | undefined, opts?: MutationOptions): Promise<ServiceTokenSecret> {
  const what = `rotating Access service token ${id} (account ${accountId})`;
  const body: Record<string, string> = {};
  if (graceUntil !== undefined) body['previous_client_secret_expires_at'] = isoDate(graceUntil, 'grace period end');
  const res = await core.call({
    op: 'rotateServiceToken',
    what,
    method: 'POST',
    path: `/accounts/${seg(accountId, 'account id')}/access/service_tokens/${seg(id, 'service token id')}/rotate`,
    body,
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rotateServiceToken,
    schemes: acceptedSchemes('rotateServiceToken', { accountId }),
    resource: 'Access service token',
    ...callOptions(opts),
    secret: { extract: clientSecret, onSecret: opts?.onSecret },
  });
  return serviceTokenSecret(core, res.result, what);
}

export async function bumpServiceTokenVersion(
  core: RequestCore,
  scope: AccessScope,
  id: string,
  currentVersion: number,
  graceUntil: Date | undefined,
  opts?: MutationOptions,
): Promise<ServiceTokenSecret> {
  const s = scopePath(scope);
  const what = `rotating Access service token ${id} by bumping its secret version (${s.label})`;
  if (!Number.isInteger(currentVersion) || currentVersion < 1) {
    throw new CfRotateError('validation', `Cannot rotate Access service token ${id}: its current secret version (${String(currentVersion)}) is not a valid number.`, {
      hint: 'Set "clientSecretVersion" in cf-rotate.json to the version in use now (1 for a token never rotated by version). Nothing was sent.',
    });
  }
  // The update body schema (zone PUT in the 2026 fragments; account PUT in 2024) requires
  // no field, so the name is not sent. Without a grace period the previous secret is
  // expired now, as POST …/rotate does.
  const expires = isoDate(graceUntil ?? new Date(core.clock.now()), 'grace period end');
  const res = await core.call({
    op: 'updateServiceToken',
    what,
    method: 'PUT',
    path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
    body: { client_secret_version: currentVersion + 1, previous_client_secret_expires_at: expires },
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.bumpServiceTokenVersion,
    schemes: acceptedSchemes('bumpServiceTokenVersion', scope),
    resource: 'Access service token',
    ...callOptions(opts),
    secret: { extract: clientSecret, onSecret: opts?.onSecret },
  });
  const secret = serviceTokenSecret(core, res.result, what);
  return { ...secret, clientSecretVersion: secret.clientSecretVersion ?? currentVersion + 1 };
}

export async function setPreviousSecretExpiry(core: RequestCore, scope: AccessScope, id: string, at: Date, opts?: RequestOptions): Promise<ServiceTokenInfo> {
  const s = scopePath(scope);
  const what = `setting when the previous secret of Access service token ${id} expires (${s.label})`;
  const res = await core.call({
    op: 'updateServiceToken',
    what,
    method: 'PUT',
    path: `${s.path}/access/service_tokens/${seg(id, 'service token id')}`,
    body: { previous_client_secret_expires_at: isoDate(at, 'expiry') },
    idempotent: false,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.setPreviousSecretExpiry,
    schemes: acceptedSchemes('setPreviousSecretExpiry', scope),
    resource: 'Access service token',
    ...callOptions(opts),
  });
  return toServiceTokenInfo(core.parse(res.result, E.ServiceTokenSchema, what, false));
}

/** The new client secret (and the client id, when present) of a raw rotate/update `result`, before any validation. */
function clientSecret(result: unknown): SecretValues | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as { client_secret?: unknown; client_id?: unknown };
  if (typeof r.client_secret !== 'string' || r.client_secret.length === 0) return undefined;
  return { clientSecret: r.client_secret, ...(typeof r.client_id === 'string' && r.client_id.length > 0 ? { clientId: r.client_id } : {}) };
}

/** The secret in a rotation's answer; its absence is a 'contract' error (the rotation may have happened). */
function serviceTokenSecret(core: RequestCore, result: unknown, what: string): ServiceTokenSecret {
  const t = core.parse(result, E.ServiceTokenWithSecretSchema, what, true);
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

/** The route prefix, label and not-found noun of an account or zone scope. */
function scopePath(scope: AccessScope): { path: string; label: string; kind: 'account' | 'zone' } {
  if (scope.accountId !== undefined) return { path: `/accounts/${seg(scope.accountId, 'account id')}`, label: `account ${scope.accountId}`, kind: 'account' };
  if (scope.zoneId !== undefined) return { path: `/zones/${seg(scope.zoneId, 'zone id')}`, label: `zone ${scope.zoneId}`, kind: 'zone' };
  throw new CfRotateError('validation', 'An Access service token needs an account id or a zone id.', {
    hint: 'Set accountId or zoneId for this service token in cf-rotate.json.',
  });
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
