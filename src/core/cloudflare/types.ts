/**
 * The Cloudflare operations cf-rotate uses, as the engine and the extension see them.
 * Implemented by `CloudflareClient` (client.ts; one module per resource family behind it:
 * tokens.ts, serviceTokens.ts, moq.ts, accounts.ts). All returned objects are plain data,
 * already validated with zod; secrets are plain strings that the caller must journal
 * before doing anything else.
 */
import * as l10n from '@vscode/l10n';

/**
 * The admin credential of a profile: an API token (Bearer), email + Global API key, or both.
 *
 * - `accountId`: the account that owns an account-owned API token (`cfat_…`), which verifies
 *   only on `/accounts/{account_id}/tokens/verify` (notes A1).
 * - `globalKey` beside a token: the profile holds both schemes; each operation uses the one
 *   Cloudflare accepts for it, the API token where both work (`ACCEPTED_SCHEMES`, notes A5).
 */
export type AdminCredential =
  | { type: 'api-token'; token: string; accountId?: string | undefined; globalKey?: GlobalApiKey | undefined }
  | { type: 'global-key'; email: string; key: string };

/** Email + Global API key (`X-Auth-Email` + `X-Auth-Key`). */
export interface GlobalApiKey {
  email: string;
  key: string;
}

/** `api-token`: `Authorization: Bearer`; `global-key`: `X-Auth-Email` + `X-Auth-Key`. */
export type AuthScheme = 'api-token' | 'global-key';

/** The API token a credential holds, if any. */
export function apiTokenOf(c: AdminCredential): string | undefined {
  return c.type === 'api-token' ? c.token : undefined;
}

/** The email + Global API key a credential holds, if any. */
export function globalKeyOf(c: AdminCredential): GlobalApiKey | undefined {
  return c.type === 'global-key' ? { email: c.email, key: c.key } : c.globalKey;
}

/** The schemes a credential can authenticate with, the API token first. */
export function schemesOf(c: AdminCredential): AuthScheme[] {
  const out: AuthScheme[] = [];
  if (apiTokenOf(c) !== undefined) out.push('api-token');
  if (globalKeyOf(c) !== undefined) out.push('global-key');
  return out;
}

/** "an API token", "email + Global API key", "an API token and email + Global API key". */
export function describeCredential(c: AdminCredential): string {
  const held = schemesOf(c).map((s) => (s === 'api-token' ? l10n.t('an API token') : l10n.t('email + Global API key')));
  return held.length === 0 ? l10n.t('nothing') : held.reduce((a, b) => l10n.t('{0} and {1}', a, b));
}

/** Where an Access service token lives. Zone-level tokens have no rotate endpoint. */
export type AccessScope = { accountId: string; zoneId?: undefined } | { zoneId: string; accountId?: undefined };

export type TokenStatus = 'active' | 'disabled' | 'expired';

export interface ApiTokenInfo {
  id: string;
  name: string;
  /** Optional in the SDK's Token: absent means not reported; shown as Cloudflare says it (a list does not refuse a status it does not know). */
  status?: string | undefined;
  issuedOn?: string | undefined;
  modifiedOn?: string | undefined;
  lastUsedOn?: string | undefined;
  expiresOn?: string | undefined;
  notBefore?: string | undefined;
}

export interface VerifyResult {
  id: string;
  status: TokenStatus;
  expiresOn?: string | undefined;
  notBefore?: string | undefined;
}

export interface ServiceTokenInfo {
  id: string;
  /** Optional in the spec: absent means not reported (the rotation's answer carries it). */
  clientId?: string | undefined;
  name: string;
  duration?: string | undefined;
  expiresAt?: string | undefined;
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
  lastSeenAt?: string | undefined;
}

export interface ServiceTokenSecret {
  /** The token's id (the one asked about when the answer leaves it out). */
  id: string;
  /** Absent when the answer leaves it out (every field of it is optional): the client id does not change on a rotation. */
  clientId?: string | undefined;
  clientSecret: string;
  name?: string | undefined;
  expiresAt?: string | undefined;
  /** The client_secret_version cf-rotate set (a version bump); Cloudflare's answers do not declare one (A3). */
  clientSecretVersion?: number | undefined;
}

export type MoqTokenType = 'publish_subscribe' | 'subscribe';

export interface MoqRelayInfo {
  id: string; // Cloudflare calls it `uid`
  name: string;
  created?: string | undefined;
  modified?: string | undefined;
}

export interface MoqTokenInfo {
  jti: string;
  operations: string[];
  created?: string | undefined;
  expires?: string | undefined;
  label?: string | undefined;
}

/** A MoQ token just created: its secret (a JWT) is shown only in this answer. */
export interface MoqCreatedToken {
  jti: string;
  token: string;
  operations: string[];
  expires?: string | undefined;
  label?: string | undefined;
}

export interface AccountInfo { id: string; name: string }

/** A Worker secret binding: its name and type, never its value. */
export interface WorkerSecretInfo {
  name: string;
  type: string;
}

/** A binding of a Worker (a secret, a plain-text variable, a KV namespace, …): its name and type, nothing else. */
export interface WorkerBindingInfo {
  name: string;
  type: string;
}

export type PagesEnvironment = 'production' | 'preview';

/** A Pages project: the type (`plain_text` / `secret_text`) of each environment variable, per environment. */
export interface PagesProjectInfo {
  name: string;
  envVars: Record<PagesEnvironment, Record<string, string>>;
}

/** A Secrets Store secret's metadata (its value is write-only). */
export interface StoreSecretInfo {
  id: string;
  name: string;
  status?: string | undefined;
  created?: string | undefined;
  modified?: string | undefined;
}
export interface ZoneInfo { id: string; name: string; accountId?: string | undefined }

export interface RequestOptions {
  signal?: AbortSignal;
  /** Per-attempt timeout (default: the client's). Probes after an unanswered rotation use short ones. */
  timeoutMs?: number;
  /** Retries after the first attempt (default: the client's). */
  maxRetries?: number;
}

/**
 * The secret(s) a rotation produced, by the field a target takes. `r2AccessKeyId` (the API token's
 * id) and `r2SecretAccessKey` (SHA-256 hex of its value) are the R2 S3 credentials derived from an
 * API token; the id is not a secret.
 */
export type SecretValues = Partial<Record<'token' | 'clientId' | 'clientSecret' | 'r2AccessKeyId' | 'r2SecretAccessKey', string>>;

/** Facts that arrive with a new secret and are journaled with it (the id of a token just created). */
export interface SecretFacts {
  id?: string | undefined;
}

/** Options of a call that creates a secret (roll, rotate, create). */
export interface MutationOptions extends RequestOptions {
  /**
   * Called for each attempt before it waits for the rate limiter (the caller journals "sent now;
   * can take effect until now + timeout"); the attempt then gets only what is left of its timeout,
   * so it always ends by that deadline, and after a wait longer than half the timeout this is
   * called again (with the slot held) before the request goes out. A throw cancels the attempt
   * before anything is sent.
   */
  beforeSend?: (info: { timeoutMs: number }) => Promise<void>;
  /** Called at the instant each attempt is handed to the network (after this, it may reach Cloudflare). */
  onSend?: () => void;
  /**
   * Called with the secret as soon as it is taken out of the raw response, before the rest of the
   * response is validated (Cloudflare declares most response fields optional): the caller
   * journals it. If the rest then fails validation the call still throws, after this.
   */
  onSecret?: (values: SecretValues, facts?: SecretFacts) => Promise<void>;
}

/** What checking the admin credential found. */
export interface CredentialCheck {
  ok: true;
  /** The API token's id (API token checked). */
  id?: string;
  status?: TokenStatus;
  /** The user's email (Global API key checked). */
  email?: string;
  /** The API token is account-owned: the account whose verify route accepted it (A1). */
  accountId?: string;
  /** The API token's expiry, when it has one (verify's `expires_on`). */
  expiresOn?: string;
}

export interface VerifyCredentialOptions extends RequestOptions {
  /**
   * `preferred` (default): the scheme most operations use (the API token when the credential
   * holds one). `all`: every scheme the credential holds (Set / Verify Credential).
   */
  schemes?: 'preferred' | 'all';
}

export interface CloudflareApi {
  /**
   * Checks the admin credential. API token: GET /user/tokens/verify, or the owning account's
   * /accounts/{id}/tokens/verify (account-owned tokens, A1: the account from the credential, else
   * the one GET /accounts shows); Global API key: GET /user.
   */
  verifyCredential(opts?: VerifyCredentialOptions): Promise<CredentialCheck>;

  // API tokens
  rollUserToken(tokenId: string, opts?: MutationOptions): Promise<string>;
  rollAccountToken(accountId: string, tokenId: string, opts?: MutationOptions): Promise<string>;
  /** Verify an arbitrary token value (e.g. the freshly rolled one). `accountId` selects the account route. */
  verifyToken(tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult>;
  listUserTokens(opts?: RequestOptions): Promise<ApiTokenInfo[]>;
  getUserToken(tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo>;
  listAccountTokens(accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]>;
  getAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo>;

  // Access service tokens
  listServiceTokens(scope: AccessScope, opts?: RequestOptions): Promise<ServiceTokenInfo[]>;
  getServiceToken(scope: AccessScope, id: string, opts?: RequestOptions): Promise<ServiceTokenInfo>;
  /** POST …/rotate (account scope only) with previous_client_secret_expires_at = graceUntil (ISO). */
  rotateServiceToken(accountId: string, id: string, graceUntil: Date | undefined, opts?: MutationOptions): Promise<ServiceTokenSecret>;
  /** PUT with client_secret_version = currentVersion + 1; reads the (undeclared) client_secret or throws 'contract'. */
  bumpServiceTokenVersion(scope: AccessScope, id: string, currentVersion: number, graceUntil: Date | undefined, opts?: MutationOptions): Promise<ServiceTokenSecret>;
  /** PUT previous_client_secret_expires_at = at (now = expire the previous secret). */
  setPreviousSecretExpiry(scope: AccessScope, id: string, at: Date, opts?: RequestOptions): Promise<ServiceTokenInfo>;

  // MoQ relays
  listMoqRelays(accountId: string, opts?: RequestOptions): Promise<MoqRelayInfo[]>;
  getMoqRelay(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqRelayInfo>;
  /**
   * POST …/tokens (201): a new token with these operations. The previous token stays valid until
   * `deleteMoqToken`, which the caller does only after the new secret is written everywhere.
   */
  createMoqToken(accountId: string, relayId: string, operations: string[], o: { label: string; expires?: string }, opts?: MutationOptions): Promise<MoqCreatedToken>;
  listMoqTokens(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqTokenInfo[]>;
  deleteMoqToken(accountId: string, relayId: string, jti: string, opts?: RequestOptions): Promise<void>;

  // Destinations of a new secret (writes are idempotent for a given value; nothing returns a value)
  listWorkerSecrets(accountId: string, script: string, opts?: RequestOptions): Promise<WorkerSecretInfo[]>;
  /** GET …/workers/scripts/{script}/settings: the names and types of all the Worker's bindings (secrets, variables, KV, …). */
  getWorkerBindings(accountId: string, script: string, opts?: RequestOptions): Promise<WorkerBindingInfo[]>;
  /** PUT …/workers/scripts/{script}/secrets: Cloudflare deploys a new version of the Worker. */
  putWorkerSecret(accountId: string, script: string, name: string, text: string, opts?: RequestOptions): Promise<void>;
  getPagesProject(accountId: string, project: string, opts?: RequestOptions): Promise<PagesProjectInfo>;
  /** PATCH …/pages/projects/{p}: deployment_configs.{environment}.env_vars.{name} = {type: secret_text, value}. */
  setPagesSecret(accountId: string, project: string, environment: PagesEnvironment, name: string, value: string, opts?: RequestOptions): Promise<PagesProjectInfo>;
  getStoreSecret(accountId: string, storeId: string, secretId: string, opts?: RequestOptions): Promise<StoreSecretInfo>;
  /** PATCH …/secrets_store/stores/{store}/secrets/{id} {value}. */
  setStoreSecret(accountId: string, storeId: string, secretId: string, value: string, opts?: RequestOptions): Promise<StoreSecretInfo>;

  // Discovery for the add-token wizard
  listAccounts(opts?: RequestOptions): Promise<AccountInfo[]>;
  listZones(accountId?: string, opts?: RequestOptions): Promise<ZoneInfo[]>;

  // API tokens, replaced instead of rolled (twins.ts): read what a twin needs, create it, delete the previous token
  /** GET /user/tokens/{id}: name, policies, condition, dates (what a twin copies). */
  getUserTokenTemplate(tokenId: string, opts?: RequestOptions): Promise<TokenTemplate>;
  getAccountTokenTemplate(accountId: string, tokenId: string, opts?: RequestOptions): Promise<TokenTemplate>;
  /** POST /user/tokens: the answer carries the value once (handed to `onSecret` with the new id). */
  createUserToken(body: TwinBody, opts?: MutationOptions): Promise<CreatedToken>;
  createAccountToken(accountId: string, body: TwinBody, opts?: MutationOptions): Promise<CreatedToken>;
  /** DELETE …/tokens/{id}. `false`: there was no such token (already deleted: counts as done). */
  deleteUserToken(tokenId: string, opts?: RequestOptions): Promise<boolean>;
  deleteAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<boolean>;

  // Turnstile widgets (turnstile.ts). Account-owned API tokens are not accepted (notes B).
  listTurnstileWidgets(accountId: string, opts?: TurnstileOptions): Promise<TurnstileWidget[]>;
  /** GET …/widgets/{sitekey}: the widget with its current secret. */
  getTurnstileWidget(accountId: string, sitekey: string, opts?: TurnstileOptions): Promise<TurnstileWidget>;
  /** POST …/rotate_secret: the previous secret stays valid 2 hours unless `invalidateImmediately`. */
  rotateTurnstileSecret(accountId: string, sitekey: string, invalidateImmediately: boolean, opts?: MutationOptions & TurnstileOptions): Promise<TurnstileWidget>;

  // OAuth clients (oauthClients.ts): a second secret, then the previous one deleted
  listOAuthClients(accountId: string, opts?: RequestOptions): Promise<OAuthClientInfo[]>;
  getOAuthClient(accountId: string, clientId: string, opts?: RequestOptions): Promise<OAuthClientInfo>;
  /** POST …/rotate_secret: a second secret; both work until the previous one is deleted. */
  rotateOAuthClientSecret(accountId: string, clientId: string, opts?: MutationOptions): Promise<{ clientSecret: string }>;
  /** DELETE …/rotate_secret: the previous secret stops working. `false`: there was none (counts as done). */
  deleteRotatedOAuthClientSecret(accountId: string, clientId: string, opts?: RequestOptions): Promise<boolean>;
}

/** One policy of an API token, as Cloudflare returns it and as a twin sends it back. */
export interface TokenPolicy {
  effect: 'allow' | 'deny';
  permission_groups: { id: string; meta?: { key?: string | undefined; value?: string | undefined } | undefined }[];
  resources: Record<string, string | Record<string, string>>;
}

/**
 * One policy of an API token as a check of what the token may do reads it: its permission groups
 * by name (`undefined` where Cloudflare named none) and the resources it covers.
 */
export interface TokenGrant {
  effect: 'allow' | 'deny';
  permissions: (string | undefined)[];
  resources: Record<string, string | Record<string, string>>;
}

/** What a twin of an API token copies (GET …/tokens/{id}), plus the token's status and dates. */
export interface TokenTemplate {
  id: string;
  name: string;
  /** Absent: not reported (optional in the SDK). */
  status?: TokenStatus | undefined;
  policies: TokenPolicy[];
  /** The same policies with the permission groups' names (what the token may do; not sent back). */
  grants?: TokenGrant[] | undefined;
  /** `condition` as Cloudflare returned it (client IP limits), sent back unchanged. */
  condition?: Record<string, unknown> | undefined;
  expiresOn?: string | undefined;
  notBefore?: string | undefined;
  modifiedOn?: string | undefined;
  issuedOn?: string | undefined;
}

/** The body of POST …/tokens (TokenCreateParams). Holds no secret. */
export interface TwinBody {
  name: string;
  policies: TokenPolicy[];
  condition?: Record<string, unknown> | undefined;
  expires_on?: string | undefined;
  not_before?: string | undefined;
}

/** A token just created: its value is shown in this answer only. */
export interface CreatedToken {
  id: string;
  value: string;
  name?: string | undefined;
  expiresOn?: string | undefined;
}

/** Options of Turnstile calls: the admin API token is account-owned (Turnstile refuses those: the Global API key is used, or nothing is sent). */
export interface TurnstileOptions extends RequestOptions {
  adminTokenAccountOwned?: boolean;
}

export interface TurnstileWidget {
  sitekey: string;
  name: string;
  mode?: string | undefined;
  domains?: string[] | undefined;
  createdOn?: string | undefined;
  modifiedOn?: string | undefined;
  /** The current secret (GET and rotate return it). */
  secret?: string | undefined;
}

export interface OAuthClientInfo {
  clientId: string;
  name: string;
  /** A rotated (previous) secret exists that was not deleted yet. */
  hasRotatedSecret?: boolean | undefined;
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
}
