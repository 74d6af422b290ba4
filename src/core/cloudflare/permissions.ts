/**
 * Which Cloudflare permission and which authentication scheme each `CloudflareApi` method
 * needs, and the names of the operations the client performs (one per route; the test
 * simulator records the same names).
 */
import * as l10n from '@vscode/l10n';
import type { TokenKind } from '../config/schema';
import { envSuffix } from '../envCredentials';
import { CfRotateError } from '../errors';
import { describeCredential, globalKeyOf, schemesOf, type AccessScope, type AdminCredential, type AuthScheme, type CloudflareApi } from './types';

/**
 * The permission (Cloudflare permission-group name) each operation needs, as shown in the
 * dashboard's API-token editor. `undefined`: no permission needed.
 * MoQ: the OpenAPI document declares no `x-api-token-group`; the MoQ docs name the
 * account-scoped group "MoQ Write" (dashboard: Account › MoQ › Edit) and "MoQ Read".
 */
export const REQUIRED_PERMISSIONS = {
  verifyCredential: undefined,
  verifyToken: undefined,
  rollUserToken: 'API Tokens Write',
  rollAccountToken: 'Account API Tokens Write',
  listUserTokens: 'API Tokens Read',
  getUserToken: 'API Tokens Read',
  listAccountTokens: 'Account API Tokens Read',
  getAccountToken: 'Account API Tokens Read',
  listServiceTokens: 'Access: Service Tokens Read',
  getServiceToken: 'Access: Service Tokens Read',
  rotateServiceToken: 'Access: Service Tokens Write',
  bumpServiceTokenVersion: 'Access: Service Tokens Write',
  setPreviousSecretExpiry: 'Access: Service Tokens Write',
  listMoqRelays: 'MoQ Read',
  getMoqRelay: 'MoQ Read',
  createMoqToken: 'MoQ Write',
  listMoqTokens: 'MoQ Read',
  deleteMoqToken: 'MoQ Write',
  // Destinations. The reads are the preflight of a write, so they name the Write permission: a
  // credential with Read only would pass the check and fail the write after the rotation.
  listWorkerSecrets: 'Workers Scripts Write',
  getWorkerBindings: 'Workers Scripts Write',
  putWorkerSecret: 'Workers Scripts Write',
  getPagesProject: 'Pages Write',
  setPagesSecret: 'Pages Write',
  getStoreSecret: 'Secrets Store Write',
  setStoreSecret: 'Secrets Store Write',
  listAccounts: 'Account Settings Read',
  listZones: 'Zone Read',
  // replace (twins.ts): the same permission as a roll (notes C)
  getUserTokenTemplate: 'API Tokens Read',
  getAccountTokenTemplate: 'Account API Tokens Read',
  createUserToken: 'API Tokens Write',
  createAccountToken: 'Account API Tokens Write',
  deleteUserToken: 'API Tokens Write',
  deleteAccountToken: 'Account API Tokens Write',
  // Turnstile: the API reference lists "Turnstile Sites Write" (or "Account Settings Write") for every widget route
  listTurnstileWidgets: 'Turnstile Sites Read',
  getTurnstileWidget: 'Turnstile Sites Read',
  rotateTurnstileSecret: 'Turnstile Sites Write',
  // OAuth clients: the API reference lists "OAuth Client Write" for rotate_secret
  listOAuthClients: 'OAuth Client Read',
  getOAuthClient: 'OAuth Client Read',
  rotateOAuthClientSecret: 'OAuth Client Write',
  deleteRotatedOAuthClientSecret: 'OAuth Client Write',
} as const satisfies Record<keyof CloudflareApi, string | undefined>;

const TOKEN: readonly AuthScheme[] = ['api-token'];
const KEY: readonly AuthScheme[] = ['global-key'];
const EITHER: readonly AuthScheme[] = ['api-token', 'global-key'];

/** Schemes of a method: one list, or one per Access scope (account- and zone-level routes differ). */
export type SchemeRule = readonly AuthScheme[] | { readonly account: readonly AuthScheme[]; readonly zone: readonly AuthScheme[] };

/**
 * The authentication schemes Cloudflare accepts for each operation, from the `security` the
 * OpenAPI document declares (notes A5; shared/cloudflare-openapi/rotation-ops-c92b9b0.fragments.json,
 * "F", and rotation-subset.json, "S"). Preference: the API token where both work.
 *
 * - `/user/tokens*`, `/accounts/{a}/tokens*`: F `security: [{api_token}]` — API token only.
 * - account-level Access service tokens: F `[{api_email, api_key, api_token}]`, read as "email +
 *   key, or a token" (A5). The account-level PUT is not in F (notObtained): as its siblings.
 * - zone-level Access service tokens: F and S `[{api_email, api_key}]` — email + Global API key
 *   only (Terraform's acceptance tests unset CLOUDFLARE_API_TOKEN for them).
 * - MoQ: F `[{api_token}]` — API token only.
 * - `GET /accounts`, `GET /zones`, `GET /user`: not in F or S; both schemes work live.
 * - `verifyToken` authenticates with the token being verified (a Bearer), not the admin credential.
 */
export const ACCEPTED_SCHEMES = {
  verifyCredential: EITHER,
  verifyToken: TOKEN,
  rollUserToken: TOKEN,
  rollAccountToken: TOKEN,
  listUserTokens: TOKEN,
  getUserToken: TOKEN,
  listAccountTokens: TOKEN,
  getAccountToken: TOKEN,
  listServiceTokens: { account: EITHER, zone: KEY },
  getServiceToken: { account: EITHER, zone: KEY },
  rotateServiceToken: { account: EITHER, zone: KEY }, // no zone-level route exists
  bumpServiceTokenVersion: { account: EITHER, zone: KEY },
  setPreviousSecretExpiry: { account: EITHER, zone: KEY },
  listMoqRelays: TOKEN,
  getMoqRelay: TOKEN,
  createMoqToken: TOKEN,
  listMoqTokens: TOKEN,
  deleteMoqToken: TOKEN,
  listAccounts: EITHER,
  listZones: EITHER,
  // Token create / delete: the same family as roll (F: [{api_token}] for /user/tokens*, /accounts/{a}/tokens*).
  getUserTokenTemplate: TOKEN,
  getAccountTokenTemplate: TOKEN,
  createUserToken: TOKEN,
  createAccountToken: TOKEN,
  deleteUserToken: TOKEN,
  deleteAccountToken: TOKEN,
  // Turnstile and OAuth clients: Cloudflare's API reference lists both schemes. Turnstile refuses
  // account-owned API tokens (notes B): the request core then uses the Global API key or refuses.
  listTurnstileWidgets: EITHER,
  getTurnstileWidget: EITHER,
  rotateTurnstileSecret: EITHER,
  listOAuthClients: EITHER,
  getOAuthClient: EITHER,
  rotateOAuthClientSecret: EITHER,
  deleteRotatedOAuthClientSecret: EITHER,
  // Destinations (Workers secrets, Pages projects, Secrets Store): the SDK's generic account
  // operations, which take either scheme (test/simulator/security.ts lists the sources).
  listWorkerSecrets: EITHER,
  getWorkerBindings: EITHER,
  putWorkerSecret: EITHER,
  getPagesProject: EITHER,
  setPagesSecret: EITHER,
  getStoreSecret: EITHER,
  setStoreSecret: EITHER,
} as const satisfies Record<keyof CloudflareApi, SchemeRule>;

/** The schemes `method` accepts (for Access methods, in `scope`). */
export function acceptedSchemes(method: keyof CloudflareApi, scope?: AccessScope): readonly AuthScheme[] {
  const rule: SchemeRule = ACCEPTED_SCHEMES[method];
  if (!('account' in rule)) return rule;
  return scope?.zoneId !== undefined ? rule.zone : rule.account;
}

/** The scheme to authenticate with: the first accepted one the credential holds (API token first), or undefined. */
export function chooseScheme(accepted: readonly AuthScheme[], credential: AdminCredential): AuthScheme | undefined {
  const held = schemesOf(credential);
  return accepted.find((s) => held.includes(s));
}

/** "email + Global API key", "an API token", "an API token or email + Global API key". */
export function describeSchemes(accepted: readonly AuthScheme[]): string {
  const names = accepted.map((s) => (s === 'api-token' ? l10n.t('an API token') : l10n.t('email + Global API key')));
  return names.length === 0 ? '' : names.reduce((a, b) => l10n.t('{0} or {1}', a, b));
}

/**
 * The refusal when the credential holds no scheme `what` accepts: says which scheme is needed,
 * why, and how to add it (CLI variables and Set Credential). Nothing has been sent.
 */
export function schemeRefusal(what: string, accepted: readonly AuthScheme[], credential: AdminCredential, profile: string | undefined, reason?: string, accountOwnedToken = false): CfRotateError {
  const forProfile = profile !== undefined ? l10n.t(' for profile "{0}"', profile) : '';
  const sfx = envSuffix(profile);
  const p = profile ?? 'default';
  const needKey = !accepted.includes('api-token');
  const why = reason ?? (needKey ? l10n.t('Cloudflare accepts only email + Global API key for it') : l10n.t('Cloudflare accepts only API tokens for it'));
  const held = accountOwnedToken
    ? globalKeyOf(credential)
      ? l10n.t('an account-owned API token and email + Global API key')
      : l10n.t('an account-owned API token')
    : describeCredential(credential);
  const needs = accountOwnedToken ? l10n.t('a user-owned API token or email + Global API key') : describeSchemes(accepted);
  const message = l10n.t('{0} needs {1}: {2}, and the admin credential{3} holds {4}. Nothing was sent.', `${what.charAt(0).toUpperCase()}${what.slice(1)}`, needs, why, forProfile, held);
  if (accountOwnedToken) {
    return new CfRotateError('credential-missing', message, {
      hint: l10n.t(
        'Use a profile whose API token is user-owned (My Profile › API Tokens) with the permission this needs, or add your Global API key to profile "{0}": CLI: set CLOUDFLARE_EMAIL{1} + CLOUDFLARE_API_KEY{1} beside CLOUDFLARE_API_TOKEN{1}; VS Code: "Cloudflare Rotate: Set Credential…" for profile "{0}" with "Email + Global API key", and keep the API token.',
        p,
        sfx,
      ),
    });
  }
  const hint = needKey
    ? l10n.t(
        'Add your Global API key to profile "{0}" (the API token stays in use where it works): CLI: set CLOUDFLARE_EMAIL{1} + CLOUDFLARE_API_KEY{1} beside CLOUDFLARE_API_TOKEN{1}; VS Code: "Cloudflare Rotate: Set Credential…" for profile "{0}" with "Email + Global API key", and keep the API token.',
        p,
        sfx,
      )
    : l10n.t(
        'Add an API token to profile "{0}": CLI: set CLOUDFLARE_API_TOKEN{1} (the Global API key stays in use where only it works); VS Code: "Cloudflare Rotate: Set Credential…" for profile "{0}" with "API token", and keep the Global API key.',
        p,
        sfx,
      );
  return new CfRotateError('credential-missing', message, { hint });
}

/** The Cloudflare operations (CloudflareApi methods) a rotation of this kind performs, for the scheme check before anything is sent. */
function rotationMethods(kind: TokenKind): (keyof CloudflareApi)[] {
  switch (kind) {
    case 'account-api-token':
      return ['getAccountToken', 'rollAccountToken', 'createAccountToken', 'deleteAccountToken'];
    case 'user-api-token':
      return ['getUserToken', 'rollUserToken', 'createUserToken', 'deleteUserToken'];
    case 'access-service-token':
      return ['getServiceToken', 'rotateServiceToken', 'bumpServiceTokenVersion'];
    case 'moq-relay-token':
      return ['listMoqTokens', 'createMoqToken', 'deleteMoqToken'];
    case 'turnstile-secret':
      return ['getTurnstileWidget', 'rotateTurnstileSecret'];
    case 'oauth-client-secret':
      return ['getOAuthClient', 'rotateOAuthClientSecret', 'deleteRotatedOAuthClientSecret'];
  }
}

/** Why a rotation of this kind needs the scheme it needs (translated when the refusal is built). */
function kindReason(kind: TokenKind): string {
  switch (kind) {
    case 'account-api-token':
      return l10n.t('Cloudflare accepts only API tokens for account API tokens ({0})', '/accounts/{id}/tokens');
    case 'user-api-token':
      return l10n.t('Cloudflare accepts only API tokens for user API tokens (/user/tokens)');
    case 'access-service-token':
      return l10n.t('zone-level Access service tokens accept only email + Global API key');
    case 'moq-relay-token':
      return l10n.t('Cloudflare accepts only API tokens for MoQ relays');
    case 'turnstile-secret':
      return l10n.t('Turnstile accepts a user-owned API token or email + Global API key');
    case 'oauth-client-secret':
      return l10n.t('OAuth clients accept an API token or email + Global API key');
  }
}

/** How a refusal names the token being rotated: "a zone-level Access service token", "account api token"… */
function kindNoun(kind: TokenKind, zoneLevel: boolean): string {
  switch (kind) {
    case 'access-service-token':
      return zoneLevel ? l10n.t('a zone-level Access service token') : l10n.t('an account-level Access service token');
    case 'account-api-token':
      return l10n.t('account api token');
    case 'user-api-token':
      return l10n.t('user api token');
    case 'moq-relay-token':
      return l10n.t('moq relay token');
    case 'turnstile-secret':
      return l10n.t('turnstile secret');
    case 'oauth-client-secret':
      return l10n.t('oauth client secret');
  }
}

/**
 * Before a rotation sends anything: the credential must hold a scheme every operation of the
 * rotation accepts. Returns the refusal, or undefined when it does.
 */
export function rotationSchemeProblem(token: { kind: TokenKind; name: string; zoneId?: string | undefined }, credential: AdminCredential, profile: string): CfRotateError | undefined {
  const scope: AccessScope | undefined = token.zoneId !== undefined ? { zoneId: token.zoneId } : undefined;
  for (const m of rotationMethods(token.kind)) {
    if (m === 'rotateServiceToken' && scope) continue; // zone tokens rotate by version bump
    const accepted = acceptedSchemes(m, scope);
    if (chooseScheme(accepted, credential) === undefined) {
      return schemeRefusal(l10n.t('rotating "{0}" ({1})', token.name, kindNoun(token.kind, scope !== undefined)), accepted, credential, profile, kindReason(token.kind));
    }
  }
  return undefined;
}

/** Operation names (the same names the test simulator records). */
export type OperationName =
  | 'verifyUserToken'
  | 'verifyAccountToken'
  | 'getUser'
  | 'rollUserToken'
  | 'rollAccountToken'
  | 'listUserTokens'
  | 'getUserToken'
  | 'listAccountTokens'
  | 'getAccountToken'
  | 'listServiceTokens'
  | 'getServiceToken'
  | 'rotateServiceToken'
  | 'updateServiceToken'
  | 'listMoqRelays'
  | 'getMoqRelay'
  | 'createMoqToken'
  | 'listMoqTokens'
  | 'deleteMoqToken'
  | 'listWorkerSecrets'
  | 'getWorkerSettings'
  | 'putWorkerSecret'
  | 'getPagesProject'
  | 'editPagesProject'
  | 'getStoreSecret'
  | 'editStoreSecret'
  | 'listAccounts'
  | 'listZones'
  | 'createUserToken'
  | 'createAccountToken'
  | 'deleteUserToken'
  | 'deleteAccountToken'
  | 'listTurnstileWidgets'
  | 'getTurnstileWidget'
  | 'rotateTurnstileSecret'
  | 'listOAuthClients'
  | 'getOAuthClient'
  | 'rotateOAuthClientSecret'
  | 'deleteRotatedOAuthClientSecret';
