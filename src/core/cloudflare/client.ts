/**
 * CloudflareClient: every Cloudflare API call cf-rotate makes, as the `CloudflareApi` the
 * rest of cf-rotate uses. Laid out by resource, over one request core:
 *
 * - request.ts: `RequestCore` sends each call (rate limiter, timeouts, retries); headers.ts
 *   picks its authentication, response.ts reads and checks every answer with zod/mini,
 *   pagination.ts pages through lists; failures.ts builds every error.
 * - tokens.ts, serviceTokens.ts, moq.ts, accounts.ts, twins.ts, turnstile.ts, oauthClients.ts: the
 *   routes of each resource family.
 * - options.ts: the client's options and defaults; permissions.ts: the permission and the
 *   authentication schemes each method needs (a credential holding both an API token and a
 *   Global API key uses, per operation, the one Cloudflare accepts there).
 *
 * No mutable state is shared between calls except the rate limiter; the client is safe to
 * use from hundreds of concurrent rotations.
 */
import * as accounts from './accounts';
import * as destinations from './destinations';
import * as moq from './moq';
import * as oauthClients from './oauthClients';
import * as turnstile from './turnstile';
import * as twins from './twins';
import type { CloudflareClientOptions } from './options';
import { RequestCore } from './request';
import * as serviceTokens from './serviceTokens';
import * as tokens from './tokens';
import type {
  AccessScope,
  AccountInfo,
  ApiTokenInfo,
  CloudflareApi,
  CreatedToken,
  CredentialCheck,
  MoqRelayInfo,
  OAuthClientInfo,
  TokenTemplate,
  TurnstileOptions,
  TurnstileWidget,
  TwinBody,
  MoqCreatedToken,
  MutationOptions,
  MoqTokenInfo,
  PagesEnvironment,
  PagesProjectInfo,
  RequestOptions,
  StoreSecretInfo,
  WorkerBindingInfo,
  WorkerSecretInfo,
  ServiceTokenInfo,
  ServiceTokenSecret,
  VerifyCredentialOptions,
  VerifyResult,
  ZoneInfo,
} from './types';

export { decodeJwtJti } from './jwt';
export { AccountChoiceNeeded } from './tokens';
export { classifyHttp } from './failures';
export { DEFAULT_API_BASE_URL, DEFAULT_TIMEOUT_MS, DEFAULT_USER_AGENT, validateApiBaseUrl, type CloudflareClientOptions } from './options';
export { ACCEPTED_SCHEMES, REQUIRED_PERMISSIONS, acceptedSchemes, rotationSchemeProblem, type OperationName } from './permissions';

export class CloudflareClient implements CloudflareApi {
  readonly baseUrl: URL;
  private readonly core: RequestCore;

  constructor(opts: CloudflareClientOptions) {
    this.core = new RequestCore(opts);
    this.baseUrl = this.core.baseUrl;
  }

  // ------------------------------------------------ tokens.ts: the admin credential and API tokens

  verifyCredential(opts?: VerifyCredentialOptions): Promise<CredentialCheck> {
    return tokens.verifyCredential(this.core, opts);
  }

  rollUserToken(tokenId: string, opts?: MutationOptions): Promise<string> {
    return tokens.rollUserToken(this.core, tokenId, opts);
  }

  rollAccountToken(accountId: string, tokenId: string, opts?: MutationOptions): Promise<string> {
    return tokens.rollAccountToken(this.core, accountId, tokenId, opts);
  }

  verifyToken(tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult> {
    return tokens.verifyToken(this.core, tokenValue, accountId, opts);
  }

  listUserTokens(opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    return tokens.listUserTokens(this.core, opts);
  }

  getUserToken(tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
    return tokens.getUserToken(this.core, tokenId, opts);
  }

  listAccountTokens(accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    return tokens.listAccountTokens(this.core, accountId, opts);
  }

  getAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<ApiTokenInfo> {
    return tokens.getAccountToken(this.core, accountId, tokenId, opts);
  }

  // ------------------------------------------------ serviceTokens.ts: Access service tokens

  listServiceTokens(scope: AccessScope, opts?: RequestOptions): Promise<ServiceTokenInfo[]> {
    return serviceTokens.listServiceTokens(this.core, scope, opts);
  }

  getServiceToken(scope: AccessScope, id: string, opts?: RequestOptions): Promise<ServiceTokenInfo> {
    return serviceTokens.getServiceToken(this.core, scope, id, opts);
  }

  rotateServiceToken(accountId: string, id: string, graceUntil: Date | undefined, opts?: MutationOptions): Promise<ServiceTokenSecret> {
    return serviceTokens.rotateServiceToken(this.core, accountId, id, graceUntil, opts);
  }

  bumpServiceTokenVersion(
    scope: AccessScope,
    id: string,
    currentVersion: number,
    graceUntil: Date | undefined,
    opts?: MutationOptions,
  ): Promise<ServiceTokenSecret> {
    return serviceTokens.bumpServiceTokenVersion(this.core, scope, id, currentVersion, graceUntil, opts);
  }

  setPreviousSecretExpiry(scope: AccessScope, id: string, at: Date, opts?: RequestOptions): Promise<ServiceTokenInfo> {
    return serviceTokens.setPreviousSecretExpiry(this.core, scope, id, at, opts);
  }

  // ------------------------------------------------ moq.ts: MoQ relays and their tokens

  listMoqRelays(accountId: string, opts?: RequestOptions): Promise<MoqRelayInfo[]> {
    return moq.listMoqRelays(this.core, accountId, opts);
  }

  getMoqRelay(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqRelayInfo> {
    return moq.getMoqRelay(this.core, accountId, relayId, opts);
  }

  createMoqToken(accountId: string, relayId: string, operations: string[], o: { label: string; expires?: string }, opts?: MutationOptions): Promise<MoqCreatedToken> {
    return moq.createMoqToken(this.core, accountId, relayId, operations, o, opts);
  }

  listMoqTokens(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqTokenInfo[]> {
    return moq.listMoqTokens(this.core, accountId, relayId, opts);
  }

  deleteMoqToken(accountId: string, relayId: string, jti: string, opts?: RequestOptions): Promise<void> {
    return moq.deleteMoqToken(this.core, accountId, relayId, jti, opts);
  }

  // ------------------------------------------------ destinations.ts: Workers, Pages, Secrets Store

  listWorkerSecrets(accountId: string, script: string, opts?: RequestOptions): Promise<WorkerSecretInfo[]> {
    return destinations.listWorkerSecrets(this.core, accountId, script, opts);
  }

  getWorkerBindings(accountId: string, script: string, opts?: RequestOptions): Promise<WorkerBindingInfo[]> {
    return destinations.getWorkerBindings(this.core, accountId, script, opts);
  }

  putWorkerSecret(accountId: string, script: string, name: string, text: string, opts?: RequestOptions): Promise<void> {
    return destinations.putWorkerSecret(this.core, accountId, script, name, text, opts);
  }

  getPagesProject(accountId: string, project: string, opts?: RequestOptions): Promise<PagesProjectInfo> {
    return destinations.getPagesProject(this.core, accountId, project, opts);
  }

  setPagesSecret(accountId: string, project: string, environment: PagesEnvironment, name: string, value: string, opts?: RequestOptions): Promise<PagesProjectInfo> {
    return destinations.setPagesSecret(this.core, accountId, project, environment, name, value, opts);
  }

  getStoreSecret(accountId: string, storeId: string, secretId: string, opts?: RequestOptions): Promise<StoreSecretInfo> {
    return destinations.getStoreSecret(this.core, accountId, storeId, secretId, opts);
  }

  setStoreSecret(accountId: string, storeId: string, secretId: string, value: string, opts?: RequestOptions): Promise<StoreSecretInfo> {
    return destinations.setStoreSecret(this.core, accountId, storeId, secretId, value, opts);
  }

  // ------------------------------------------------ accounts.ts: accounts and zones (discovery)

  listAccounts(opts?: RequestOptions): Promise<AccountInfo[]> {
    return accounts.listAccounts(this.core, opts);
  }

  listZones(accountId?: string, opts?: RequestOptions): Promise<ZoneInfo[]> {
    return accounts.listZones(this.core, accountId, opts);
  }

  // ------------------------------------------------ twins.ts: API tokens replaced by a twin

  getUserTokenTemplate(tokenId: string, opts?: RequestOptions): Promise<TokenTemplate> {
    return twins.getTokenTemplate(this.core, {}, tokenId, opts);
  }

  getAccountTokenTemplate(accountId: string, tokenId: string, opts?: RequestOptions): Promise<TokenTemplate> {
    return twins.getTokenTemplate(this.core, { accountId }, tokenId, opts);
  }

  createUserToken(body: TwinBody, opts?: MutationOptions): Promise<CreatedToken> {
    return twins.createToken(this.core, {}, body, opts);
  }

  createAccountToken(accountId: string, body: TwinBody, opts?: MutationOptions): Promise<CreatedToken> {
    return twins.createToken(this.core, { accountId }, body, opts);
  }

  deleteUserToken(tokenId: string, opts?: RequestOptions): Promise<boolean> {
    return twins.deleteToken(this.core, {}, tokenId, opts);
  }

  deleteAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<boolean> {
    return twins.deleteToken(this.core, { accountId }, tokenId, opts);
  }

  // ------------------------------------------------ turnstile.ts: Turnstile widgets

  listTurnstileWidgets(accountId: string, opts?: TurnstileOptions): Promise<TurnstileWidget[]> {
    return turnstile.listTurnstileWidgets(this.core, accountId, opts);
  }

  getTurnstileWidget(accountId: string, sitekey: string, opts?: TurnstileOptions): Promise<TurnstileWidget> {
    return turnstile.getTurnstileWidget(this.core, accountId, sitekey, opts);
  }

  rotateTurnstileSecret(accountId: string, sitekey: string, invalidateImmediately: boolean, opts?: MutationOptions & TurnstileOptions): Promise<TurnstileWidget> {
    return turnstile.rotateTurnstileSecret(this.core, accountId, sitekey, invalidateImmediately, opts);
  }

  // ------------------------------------------------ oauthClients.ts: OAuth clients

  listOAuthClients(accountId: string, opts?: RequestOptions): Promise<OAuthClientInfo[]> {
    return oauthClients.listOAuthClients(this.core, accountId, opts);
  }

  getOAuthClient(accountId: string, clientId: string, opts?: RequestOptions): Promise<OAuthClientInfo> {
    return oauthClients.getOAuthClient(this.core, accountId, clientId, opts);
  }

  rotateOAuthClientSecret(accountId: string, clientId: string, opts?: MutationOptions): Promise<{ clientSecret: string }> {
    return oauthClients.rotateOAuthClientSecret(this.core, accountId, clientId, opts);
  }

  deleteRotatedOAuthClientSecret(accountId: string, clientId: string, opts?: RequestOptions): Promise<boolean> {
    return oauthClients.deleteRotatedOAuthClientSecret(this.core, accountId, clientId, opts);
  }
}
