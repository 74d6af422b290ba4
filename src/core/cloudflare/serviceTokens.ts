/**
 * Access service tokens, account-scoped (/accounts/{id}/access/service_tokens) or
 * zone-scoped (/zones/{id}/access/service_tokens): list, read, rotate (POST …/rotate, or a
 * secret-version bump with PUT) and set when the previous secret expires.
 */
import * as l10n from '@vscode/l10n';
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
      what: l10n.t('listing Access service tokens ({0})', s.label),
      method: 'GET',
      path: `${s.path}/access/service_tokens`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.listServiceTokens,
      schemes: acceptedSchemes('listServiceTokens', scope),
      resource: s.noun,
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
  const what = l10n.t('reading Access service token {0} ({1})', id, s.label);
  const res = await core.call({
    op: 'getServiceToken',
    what,
    method: 'GET',
    path: `${s.path}/access/service_tokens/${seg(id, l10n.t('service token id'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getServiceToken,
    schemes: acceptedSchemes('getServiceToken', scope),
    resource: l10n.t('Access service token'),
    ...callOptions(opts),
  });
  return toServiceTokenInfo(core.parse(res.result, E.ServiceTokenSchema, what, false));
}

export async function rotateServiceToken(core: RequestCore, accountId: string, id: string, graceUntil: Date | undefined, opts?: MutationOptions): Promise<ServiceTokenSecret> {
  const what = l10n.t('rotating Access service token {0} (account {1})', id, accountId);
  const body: Record<string, string> = {};
  if (graceUntil !== undefined) body['previous_client_secret_expires_at'] = isoDate(graceUntil, l10n.t('grace period end'));
  const res = await core.call({
    op: 'rotateServiceToken',
    what,
    method: 'POST',
    path: `/accounts/${seg(accountId, l10n.t('account id'))}/access/service_tokens/${seg(id, l10n.t('service token id'))}/rotate`,
    body,
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rotateServiceToken,
    schemes: acceptedSchemes('rotateServiceToken', { accountId }),
    resource: l10n.t('Access service token'),
    ...callOptions(opts),
    secret: { extract: clientSecret, onSecret: opts?.onSecret },
  });
  return serviceTokenSecret(core, res.result, what, id);
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
  const what = l10n.t('rotating Access service token {0} by bumping its secret version ({1})', id, s.label);
  if (!Number.isInteger(currentVersion) || currentVersion < 1) {
    throw new CfRotateError('validation', l10n.t('Cannot rotate Access service token {0}: its current secret version ({1}) is not a valid number.', id, String(currentVersion)), {
      hint: l10n.t('Set "clientSecretVersion" in cf-rotate.json to the version in use now (1 for a token never rotated by version). Nothing was sent.'),
    });
  }
  // The update body schema (zone PUT in the 2026 fragments; account PUT in 2024) requires
  // no field, so the name is not sent. Without a grace period the previous secret is
  // expired now, as POST …/rotate does.
  const expires = isoDate(graceUntil ?? new Date(core.clock.now()), l10n.t('grace period end'));
  const res = await core.call({
    op: 'updateServiceToken',
    what,
    method: 'PUT',
    path: `${s.path}/access/service_tokens/${seg(id, l10n.t('service token id'))}`,
    body: { client_secret_version: currentVersion + 1, previous_client_secret_expires_at: expires },
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.bumpServiceTokenVersion,
    schemes: acceptedSchemes('bumpServiceTokenVersion', scope),
    resource: l10n.t('Access service token'),
    ...callOptions(opts),
    secret: { extract: clientSecret, onSecret: opts?.onSecret },
  });
  // The version is the one sent: the answer does not declare client_secret_version (A3).
  return { ...serviceTokenSecret(core, res.result, what, id, currentVersion + 1), clientSecretVersion: currentVersion + 1 };
}

export async function setPreviousSecretExpiry(core: RequestCore, scope: AccessScope, id: string, at: Date, opts?: RequestOptions): Promise<ServiceTokenInfo> {
  const s = scopePath(scope);
  const what = l10n.t('setting when the previous secret of Access service token {0} expires ({1})', id, s.label);
  const res = await core.call({
    op: 'updateServiceToken',
    what,
    method: 'PUT',
    path: `${s.path}/access/service_tokens/${seg(id, l10n.t('service token id'))}`,
    body: { previous_client_secret_expires_at: isoDate(at, l10n.t('expiry')) },
    idempotent: false,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.setPreviousSecretExpiry,
    schemes: acceptedSchemes('setPreviousSecretExpiry', scope),
    resource: l10n.t('Access service token'),
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
function serviceTokenSecret(core: RequestCore, result: unknown, what: string, requested: string, versionSent?: number): ServiceTokenSecret {
  const t = core.parse(result, E.ServiceTokenWithSecretSchema, what, true);
  if (typeof t.client_secret !== 'string' || t.client_secret.length === 0) {
    if (versionSent !== undefined) {
      // A version that is not above the token's own rotates nothing and returns no secret (A3): no proof of a rotation either way.
      throw new CfRotateError(
        'contract',
        l10n.t('{0}: Cloudflare answered success but returned no client_secret: either version {1} is not above the version the token already has (nothing rotated), or it rotated and the new secret was not received.', cap(what), versionSent),
        { hint: l10n.t('cf-rotate checks the service token, then says which it could tell.') },
      );
    }
    throw new CfRotateError(
      'contract',
      l10n.t('{0}: Cloudflare answered success but returned no client_secret. The rotation happened and the new secret was not received.', cap(what)),
      {
        hint: l10n.t('The new secret cannot be read again. Rotate Access service token {0} once more (the previous secret stays valid only until its grace period ends), or create a new service token in the dashboard.', t.id || requested),
      },
    );
  }
  registerSecret(t.client_secret);
  return {
    id: t.id || requested,
    ...(t.client_id ? { clientId: t.client_id } : {}),
    clientSecret: t.client_secret,
    name: t.name ?? undefined,
    expiresAt: t.expires_at ?? undefined,
  };
}

/** The route prefix, label, kind and not-found noun (translated) of an account or zone scope. */
function scopePath(scope: AccessScope): { path: string; label: string; kind: 'account' | 'zone'; noun: string } {
  if (scope.accountId !== undefined) return { path: `/accounts/${seg(scope.accountId, l10n.t('account id'))}`, label: l10n.t('account {0}', scope.accountId), kind: 'account', noun: l10n.t('account') };
  if (scope.zoneId !== undefined) return { path: `/zones/${seg(scope.zoneId, l10n.t('zone id'))}`, label: l10n.t('zone {0}', scope.zoneId), kind: 'zone', noun: l10n.t('zone') };
  throw new CfRotateError('validation', l10n.t('An Access service token needs an account id or a zone id.'), {
    hint: l10n.t('Set accountId or zoneId for this service token in cf-rotate.json.'),
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
  };
}
