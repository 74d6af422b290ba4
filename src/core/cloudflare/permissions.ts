/**
 * Which Cloudflare permission and which authentication scheme each `CloudflareApi` method
 * needs, and the names of the operations the client performs (one per route; the test
 * simulator records the same names).
 */
import type { TokenKind } from '../config/schema';
import { CfRotateError } from '../errors';
import { describeCredential, schemesOf, type AccessScope, type AdminCredential, type AuthScheme, type CloudflareApi } from './types';

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
  putWorkerSecret: 'Workers Scripts Write',
  getPagesProject: 'Pages Write',
  setPagesSecret: 'Pages Write',
  getStoreSecret: 'Secrets Store Write',
  setStoreSecret: 'Secrets Store Write',
  listAccounts: 'Account Settings Read',
  listZones: 'Zone Read',
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
  // Destinations (Workers secrets, Pages projects, Secrets Store): the SDK's generic account
  // operations, which take either scheme (test/simulator/security.ts lists the sources).
  listWorkerSecrets: EITHER,
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
  return accepted.map((s) => (s === 'api-token' ? 'an API token' : 'email + Global API key')).join(' or ');
}

/** The environment-variable suffix of a profile: '' for "default", else `_<PROFILE>` (upper case, other characters as _). */
export function envSuffix(profile: string | undefined): string {
  return profile === undefined || profile === 'default' ? '' : `_${profile.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The refusal when the credential holds no scheme `what` accepts: says which scheme is needed,
 * why, and how to add it (CLI variables and Set Credential). Nothing has been sent.
 */
export function schemeRefusal(what: string, accepted: readonly AuthScheme[], credential: AdminCredential, profile: string | undefined, reason?: string): CfRotateError {
  const forProfile = profile !== undefined ? ` for profile "${profile}"` : '';
  const sfx = envSuffix(profile);
  const p = profile ?? 'default';
  const needKey = !accepted.includes('api-token');
  const why = reason ?? (needKey ? 'Cloudflare accepts only email + Global API key for it' : 'Cloudflare accepts only API tokens for it');
  const message = `${what.charAt(0).toUpperCase()}${what.slice(1)} needs ${describeSchemes(accepted)}: ${why}, and the admin credential${forProfile} holds ${describeCredential(credential)}. Nothing was sent.`;
  const hint = needKey
    ? `Add your Global API key to profile "${p}" (the API token stays in use where it works): CLI: set CLOUDFLARE_EMAIL${sfx} + CLOUDFLARE_API_KEY${sfx} beside CLOUDFLARE_API_TOKEN${sfx}; VS Code: "Cloudflare Rotate: Set Credential…" for profile "${p}" with "Email + Global API key", and keep the API token.`
    : `Add an API token to profile "${p}": CLI: set CLOUDFLARE_API_TOKEN${sfx} (the Global API key stays in use where only it works); VS Code: "Cloudflare Rotate: Set Credential…" for profile "${p}" with "API token", and keep the Global API key.`;
  return new CfRotateError('credential-missing', message, { hint });
}

/** The Cloudflare operations (CloudflareApi methods) a rotation of this kind performs, for the scheme check before anything is sent. */
function rotationMethods(kind: TokenKind): (keyof CloudflareApi)[] {
  switch (kind) {
    case 'account-api-token':
      return ['getAccountToken', 'rollAccountToken'];
    case 'user-api-token':
      return ['getUserToken', 'rollUserToken'];
    case 'access-service-token':
      return ['getServiceToken', 'rotateServiceToken', 'bumpServiceTokenVersion'];
    case 'moq-relay-token':
      return ['listMoqTokens', 'createMoqToken', 'deleteMoqToken'];
  }
}

const KIND_REASON: Record<TokenKind, string> = {
  'account-api-token': 'Cloudflare accepts only API tokens for account API tokens (/accounts/{id}/tokens)',
  'user-api-token': 'Cloudflare accepts only API tokens for user API tokens (/user/tokens)',
  'access-service-token': 'zone-level Access service tokens accept only email + Global API key',
  'moq-relay-token': 'Cloudflare accepts only API tokens for MoQ relays',
};

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
      const where = token.kind === 'access-service-token' ? (scope ? 'a zone-level Access service token' : 'an account-level Access service token') : token.kind.replace(/-/g, ' ');
      return schemeRefusal(`rotating "${token.name}" (${where})`, accepted, credential, profile, KIND_REASON[token.kind]);
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
  | 'putWorkerSecret'
  | 'getPagesProject'
  | 'editPagesProject'
  | 'getStoreSecret'
  | 'editStoreSecret'
  | 'listAccounts'
  | 'listZones';
