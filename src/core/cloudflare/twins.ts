/**
 * API tokens replaced instead of rolled (notes C): read a token's template (name, policies,
 * condition, dates), create its twin (POST /user/tokens or /accounts/{a}/tokens: the answer
 * carries the value once), delete the previous token when its overlap ends.
 *
 * Shapes: SDK `user/tokens/tokens.ts`, `accounts/tokens/tokens.ts` and `shared.ts` (`Token`,
 * `TokenPolicy`, `TokenPolicyParam`, `TokenCreateResponse`) @7979faa6. Every response field is
 * optional there: the value and the id are taken out of the raw answer before the rest is checked.
 */
import * as l10n from '@vscode/l10n';
import * as z from 'zod/mini';
import { CfRotateError } from '../errors';
import { registerSecret } from '../redact';
import { cap } from './failures';
import { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS } from './permissions';
import { callOptions, seg, type RequestCore } from './request';
import type { CreatedToken, MutationOptions, RequestOptions, SecretFacts, SecretValues, TokenPolicy, TokenTemplate, TwinBody } from './types';

const optText = z.optional(z.nullable(z.string()));

/** `TokenPolicy` (read): `id` is the policy's own and is not sent back. */
export const TokenPolicySchema = z.object({
  effect: z.enum(['allow', 'deny']),
  permission_groups: z
    .array(
      z.object({
        id: z.string().check(z.minLength(1)),
        // Read-only in Cloudflare's `iam_permission_group`: read for the admin token's own check, never sent back.
        name: z.optional(z.string()),
        meta: z.optional(z.nullable(z.object({ key: z.optional(z.string()), value: z.optional(z.string()) }))),
      }),
    )
    .check(z.minLength(1)),
  resources: z.record(z.string(), z.union([z.string(), z.record(z.string(), z.string())])),
});

export const TokenTemplateSchema = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: z.optional(z.enum(['active', 'disabled', 'expired'])),
  policies: z.array(TokenPolicySchema).check(z.minLength(1)),
  condition: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  expires_on: optText,
  not_before: optText,
  modified_on: optText,
  issued_on: optText,
});

const CreatedTokenSchema = z.object({
  id: z.string().check(z.minLength(1)),
  value: z.string().check(z.minLength(40), z.maxLength(80)),
  name: optText,
  expires_on: optText,
});

/** Where a token lives: the user, or an account. */
export type TokenOwner = { accountId: string } | { accountId?: undefined };

/** `label`: the translated noun ("account API token") of not-found messages. */
function where(owner: TokenOwner): { path: string; label: string; op: 'user' | 'account' } {
  return owner.accountId !== undefined
    ? { path: `/accounts/${seg(owner.accountId, l10n.t('account id'))}/tokens`, label: l10n.t('account API token'), op: 'account' }
    : { path: '/user/tokens', label: l10n.t('user API token'), op: 'user' };
}

export async function getTokenTemplate(core: RequestCore, owner: TokenOwner, tokenId: string, opts?: RequestOptions): Promise<TokenTemplate> {
  const w = where(owner);
  const what = owner.accountId ? l10n.t('reading account API token {0} (account {1})', tokenId, owner.accountId) : l10n.t('reading user API token {0}', tokenId);
  const res = await core.call({
    op: w.op === 'user' ? 'getUserToken' : 'getAccountToken',
    what,
    method: 'GET',
    path: `${w.path}/${seg(tokenId, l10n.t('token id'))}`,
    idempotent: true,
    rotation: false,
    permission: w.op === 'user' ? REQUIRED_PERMISSIONS.getUserTokenTemplate : REQUIRED_PERMISSIONS.getAccountTokenTemplate,
    schemes: w.op === 'user' ? ACCEPTED_SCHEMES.getUserTokenTemplate : ACCEPTED_SCHEMES.getAccountTokenTemplate,
    resource: w.label,
    ...callOptions(opts),
  });
  const t = core.parse(res.result, TokenTemplateSchema, l10n.t('{0} (its policies, to create a twin)', what), false);
  return {
    id: t.id,
    name: t.name,
    status: t.status,
    policies: t.policies.map(policyParam),
    grants: t.policies.map((p) => ({ effect: p.effect, permissions: p.permission_groups.map((g) => g.name), resources: p.resources })),
    ...(t.condition ? { condition: t.condition } : {}),
    expiresOn: t.expires_on ?? undefined,
    notBefore: t.not_before ?? undefined,
    modifiedOn: t.modified_on ?? undefined,
    issuedOn: t.issued_on ?? undefined,
  };
}

/** A policy as `TokenPolicyParam`: effect, permission groups by id (and meta), resources. */
function policyParam(p: z.output<typeof TokenPolicySchema>): TokenPolicy {
  return {
    effect: p.effect,
    permission_groups: p.permission_groups.map((g) => ({ id: g.id, ...(g.meta ? { meta: { ...(g.meta.key !== undefined ? { key: g.meta.key } : {}), ...(g.meta.value !== undefined ? { value: g.meta.value } : {}) } } : {}) })),
    resources: p.resources,
  };
}

/**
 * POST …/tokens. The value (and the new id) go to `onSecret` as soon as they are taken out of the
 * raw answer; a 4xx means nothing was created (notes C: a twin whose policies exceed what the
 * admin credential may grant is refused, unverified how).
 */
export async function createToken(core: RequestCore, owner: TokenOwner, body: TwinBody, opts?: MutationOptions): Promise<CreatedToken> {
  const w = where(owner);
  const what = owner.accountId ? l10n.t('creating a twin of account API token "{0}" (account {1})', body.name, owner.accountId) : l10n.t('creating a twin of user API token "{0}"', body.name);
  const res = await core.call({
    op: w.op === 'user' ? 'createUserToken' : 'createAccountToken',
    what,
    method: 'POST',
    path: w.path,
    body,
    idempotent: false,
    rotation: true,
    permission: w.op === 'user' ? REQUIRED_PERMISSIONS.createUserToken : REQUIRED_PERMISSIONS.createAccountToken,
    schemes: w.op === 'user' ? ACCEPTED_SCHEMES.createUserToken : ACCEPTED_SCHEMES.createAccountToken,
    resource: owner.accountId ? l10n.t('account') : l10n.t('user'),
    ...callOptions(opts),
    secret: { extract: createdValue, facts: createdId, onSecret: opts?.onSecret },
  });
  const raw = res.result as { value?: unknown } | null | undefined;
  if (typeof raw?.value !== 'string' || raw.value.length === 0) {
    throw new CfRotateError('contract', l10n.t("{0}: Cloudflare answered success without the new token's value; a token may have been created whose value was not received.", cap(what)), {
      hint: l10n.t('Resuming deletes such a token (its name ends with the rotation\'s "(cf-rotate …)" marker); the previous token still works.'),
    });
  }
  registerSecret(raw.value);
  const t = core.parse(res.result, CreatedTokenSchema, what, true);
  return { id: t.id, value: t.value, name: t.name ?? undefined, expiresOn: t.expires_on ?? undefined };
}

/** DELETE …/tokens/{id}. Resolves `false` when Cloudflare has no such token (already deleted). */
export async function deleteToken(core: RequestCore, owner: TokenOwner, tokenId: string, opts?: RequestOptions): Promise<boolean> {
  const w = where(owner);
  try {
    await core.call({
      op: w.op === 'user' ? 'deleteUserToken' : 'deleteAccountToken',
      what: owner.accountId ? l10n.t('deleting account API token {0} (account {1})', tokenId, owner.accountId) : l10n.t('deleting user API token {0}', tokenId),
      method: 'DELETE',
      path: `${w.path}/${seg(tokenId, l10n.t('token id'))}`,
      idempotent: true, // deleting twice leaves the same state (the second answers 404)
      rotation: false,
      permission: w.op === 'user' ? REQUIRED_PERMISSIONS.deleteUserToken : REQUIRED_PERMISSIONS.deleteAccountToken,
      schemes: w.op === 'user' ? ACCEPTED_SCHEMES.deleteUserToken : ACCEPTED_SCHEMES.deleteAccountToken,
      resource: w.label,
      ...callOptions(opts),
    });
    return true;
  } catch (e) {
    if (e instanceof CfRotateError && e.kind === 'not-found') return false;
    throw e;
  }
}

function createdValue(result: unknown): SecretValues | undefined {
  const v = (result as { value?: unknown } | null)?.value;
  return typeof v === 'string' && v.length > 0 ? { token: v } : undefined;
}

function createdId(result: unknown): SecretFacts | undefined {
  const id = (result as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length > 0 ? { id } : undefined;
}
