/**
 * OAuth clients of an account (/accounts/{a}/oauth_clients): list, read, rotate the secret
 * (POST …/rotate_secret creates a second secret; both work) and delete the previous one
 * (DELETE …/rotate_secret). `has_rotated_secret` says whether a previous secret still exists.
 *
 * Shapes: SDK `iam/oauth-clients.ts` @faaaf89e (`OAuthClientGetResponse`,
 * `OAuthClientRotateSecretResponse { client_secret? }`, list: a single page). Permission
 * "OAuth Client Write" (Cloudflare's API reference for rotate_secret); both schemes.
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import { cap } from './failures';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import type { MutationOptions, OAuthClientInfo, RequestOptions, SecretValues } from './types';

const optText = z.optional(z.nullable(z.string()));

export const OAuthClientSchema = z.object({
  client_id: z.string().check(z.minLength(1)),
  client_name: optText,
  has_rotated_secret: z.optional(z.nullable(z.boolean())),
  created_at: optText,
  updated_at: optText,
});

function toInfo(c: z.output<typeof OAuthClientSchema>): OAuthClientInfo {
  return {
    clientId: c.client_id,
    name: c.client_name ?? '',
    hasRotatedSecret: c.has_rotated_secret ?? undefined,
    createdAt: c.created_at ?? undefined,
    updatedAt: c.updated_at ?? undefined,
  };
}

function base(accountId: string): string {
  return `/accounts/${seg(accountId, l10n.t('account id'))}/oauth_clients`;
}

export async function listOAuthClients(core: RequestCore, accountId: string, opts?: RequestOptions): Promise<OAuthClientInfo[]> {
  const what = l10n.t('listing OAuth clients (account {0})', accountId);
  const res = await core.call({
    op: 'listOAuthClients',
    what,
    method: 'GET',
    path: base(accountId),
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.listOAuthClients,
    schemes: ACCEPTED_SCHEMES.listOAuthClients,
    resource: l10n.t('account'),
    ...callOptions(opts),
  });
  return core.parse(res.result ?? [], z.array(OAuthClientSchema), what, false).map(toInfo);
}

export async function getOAuthClient(core: RequestCore, accountId: string, clientId: string, opts?: RequestOptions): Promise<OAuthClientInfo> {
  const what = l10n.t('reading OAuth client {0} (account {1})', clientId, accountId);
  const res = await core.call({
    op: 'getOAuthClient',
    what,
    method: 'GET',
    path: `${base(accountId)}/${seg(clientId, l10n.t('OAuth client id'))}`,
    idempotent: true,
    rotation: false,
    permission: REQUIRED_PERMISSIONS.getOAuthClient,
    schemes: ACCEPTED_SCHEMES.getOAuthClient,
    resource: l10n.t('OAuth client'),
    ...callOptions(opts),
  });
  return toInfo(core.parse(res.result, OAuthClientSchema, what, false));
}

export async function rotateOAuthClientSecret(core: RequestCore, accountId: string, clientId: string, opts?: MutationOptions): Promise<{ clientSecret: string }> {
  const what = l10n.t('rotating the secret of OAuth client {0} (account {1})', clientId, accountId);
  const res = await core.call({
    op: 'rotateOAuthClientSecret',
    what,
    method: 'POST',
    path: `${base(accountId)}/${seg(clientId, l10n.t('OAuth client id'))}/rotate_secret`,
    idempotent: false,
    rotation: true,
    permission: REQUIRED_PERMISSIONS.rotateOAuthClientSecret,
    schemes: ACCEPTED_SCHEMES.rotateOAuthClientSecret,
    resource: l10n.t('OAuth client'),
    ...callOptions(opts),
    secret: { extract: oauthSecret, onSecret: opts?.onSecret },
  });
  const s = (res.result as { client_secret?: unknown } | null | undefined)?.client_secret;
  if (typeof s !== 'string' || s.length === 0) {
    throw new CfRotateError('contract', l10n.t('{0}: Cloudflare answered success without the new client_secret; a second secret may exist that was not received.', cap(what)), {
      hint: l10n.t('The secret in your files still works (both secrets do until the previous one is deleted). Do not delete the previous secret: it is the one your files hold.'),
    });
  }
  registerSecret(s);
  return { clientSecret: s };
}

/** Resolves `false` when there was no previous secret (or no such client): nothing left to delete. */
export async function deleteRotatedOAuthClientSecret(core: RequestCore, accountId: string, clientId: string, opts?: RequestOptions): Promise<boolean> {
  try {
    await core.call({
      op: 'deleteRotatedOAuthClientSecret',
      what: l10n.t('deleting the previous secret of OAuth client {0} (account {1})', clientId, accountId),
      method: 'DELETE',
      path: `${base(accountId)}/${seg(clientId, l10n.t('OAuth client id'))}/rotate_secret`,
      idempotent: true,
      rotation: false,
      permission: REQUIRED_PERMISSIONS.deleteRotatedOAuthClientSecret,
      schemes: ACCEPTED_SCHEMES.deleteRotatedOAuthClientSecret,
      resource: l10n.t('OAuth client previous secret'),
      ...callOptions(opts),
    });
    return true;
  } catch (e) {
    if (e instanceof CfRotateError && e.kind === 'not-found') return false;
    throw e;
  }
}

function oauthSecret(result: unknown): SecretValues | undefined {
  const s = (result as { client_secret?: unknown } | null)?.client_secret;
  return typeof s === 'string' && s.length > 0 ? { clientSecret: s } : undefined;
}
