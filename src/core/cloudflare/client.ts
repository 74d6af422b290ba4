/**
 * CloudflareClient: every Cloudflare API call cf-rotate makes.
 *
 * - HTTP through an injectable `HttpTransport` (default: global fetch).
 * - Every response is parsed with zod/mini against the envelope and the operation's result.
 * - Every failure is a `CfRotateError` whose `kind` a user can act on, with a message that
 *   names the operation and a hint with the next step. Secrets never appear in messages or
 *   logs: the credential and every secret received are registered with the redactor first.
 * - Requests pass a shared per-credential `RateLimiter` (retries too).
 * - Retries: see retry.ts. A rotation that may have been applied is never repeated.
 *
 * No mutable state is shared between calls except the limiter; the client is safe to use
 * from hundreds of concurrent rotations.
 */
import { performance } from 'node:perf_hooks';
import { CfRotateError, type ErrorKind } from '../errors';
import { redactingLogger } from '../log';
import { nullLogger, systemClock, type Clock, type Logger } from '../ports';
import { registerSecret } from '../redact';
import * as E from './envelope';
import { RateLimiter, sharedRateLimiter, type Permit, type RateLimiterOptions } from './limiter';
import { parseRateLimitReset, parseRetryAfter, retryDecision, DEFAULT_MAX_RETRIES, type BackoffOptions } from './retry';
import { classifyTransportError, FetchTransport, type HttpRequest, type HttpResponse, type HttpTransport } from './transport';
import type {
  AccessScope,
  AccountInfo,
  AdminCredential,
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
import { VERSION } from '../version';

export { decodeJwtJti } from './jwt';

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_USER_AGENT = `cf-rotate/${VERSION}`;
const PAGE_SIZE = 50;
const MAX_PAGES = 2_000;

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
  rotateMoqToken: 'MoQ Write',
  listMoqTokens: 'MoQ Read',
  deleteMoqToken: 'MoQ Write',
  listAccounts: 'Account Settings Read',
  listZones: 'Zone Read',
} as const satisfies Record<keyof CloudflareApi, string | undefined>;

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
  | 'moqRotate'
  | 'createMoqToken'
  | 'listMoqTokens'
  | 'deleteMoqToken'
  | 'listAccounts'
  | 'listZones';

export interface CloudflareClientOptions {
  baseUrl: string;
  credential: AdminCredential;
  logger?: Logger;
  clock?: Clock;
  transport?: HttpTransport;
  /** Default: the limiter shared by all clients of this credential and base URL. */
  limiter?: RateLimiter;
  /**
   * Options of the shared limiter when this client creates it (default 1200 / 300 000 ms,
   * 8 in flight). Set them to the account's real limit (e.g. a scaled simulator).
   */
  rateLimit?: RateLimiterOptions;
  /** Per attempt, covering the whole response (default 30 s). Uses real timers. */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  userAgent?: string;
  /** Profile name, used in messages ("the admin credential for profile X…"). */
  profile?: string;
  /** The admin token is account-owned: verify it on this account's route. */
  credentialAccountId?: string;
  /** Backoff tuning (tests inject `random`). */
  backoff?: BackoffOptions;
  /** A 429 asking to wait longer than this is not waited for (default 300 s). */
  maxRetryAfterMs?: number;
}

type Method = HttpRequest['method'];

interface CallSpec {
  op: OperationName;
  /** What is being done, for messages: "rolling user API token abc". */
  what: string;
  method: Method;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Safe to repeat after an ambiguous failure or a 5xx. */
  idempotent: boolean;
  /** A mutation that produces a secret: wording of contract/ambiguous errors. */
  rotation: boolean;
  permission: string | undefined;
  /** Noun for not-found messages. */
  resource: string;
  /** Bearer token to use instead of the admin credential (verifyToken). */
  bearer?: string;
  signal: AbortSignal | undefined;
}

interface CallResult {
  result: unknown;
  resultInfo: E.ResultInfo | undefined;
}

/** Validate an API base URL: https, or http to a loopback host only. */
export function validateApiBaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CfRotateError('config', `The Cloudflare API base URL "${url}" is not a valid URL.`, {
      hint: `Use ${DEFAULT_API_BASE_URL} (or remove the setting to use the default).`,
    });
  }
  if (parsed.username || parsed.password) {
    throw new CfRotateError('config', 'The Cloudflare API base URL must not contain a user name or password.', {
      hint: 'Remove the credentials from the URL; cf-rotate sends the admin credential in headers.',
    });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return parsed;
  throw new CfRotateError(
    'config',
    `The Cloudflare API base URL "${parsed.origin}" is not allowed: only https, or http to a loopback address (127.0.0.0/8, ::1, localhost), is accepted.`,
    { hint: `Use ${DEFAULT_API_BASE_URL}, or an http://127.0.0.1 URL for a local simulator.` },
  );
}

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (m) return m.slice(1).every((o) => Number(o) <= 255) && Number(m[1]) === 127;
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.exec(h);
  if (mapped) return (mapped[1] as string).startsWith('127.') || (mapped[1] as string).startsWith('7f');
  return false;
}

/** Printable ASCII without spaces: what may go into Authorization / X-Auth-* headers. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const AUTH_CODES = new Set([10000, 6003, 9103, 9106]);
const PERMISSION_CODES = new Set([9109]);
const NOT_FOUND_CODES = new Set([7000, 7003]);
const MOQ_RELAY_NOT_FOUND = 21007;

export class CloudflareClient implements CloudflareApi {
  readonly baseUrl: URL;
  private readonly credential: AdminCredential;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly transport: HttpTransport;
  private readonly limiter: RateLimiter;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly userAgent: string;
  private readonly profile: string | undefined;
  private readonly credentialAccountId: string | undefined;
  private readonly backoff: BackoffOptions;
  private readonly maxRetryAfterMs: number;

  constructor(opts: CloudflareClientOptions) {
    // Secrets first: nothing below may throw or log before they are known to the redactor.
    const c = opts.credential;
    if (c.type === 'api-token') {
      registerSecret(c.token);
      registerSecret(c.token.trim());
      this.credential = { type: 'api-token', token: c.token.trim() };
    } else {
      registerSecret(c.key);
      registerSecret(c.key.trim());
      this.credential = { type: 'global-key', email: c.email.trim(), key: c.key.trim() };
    }
    this.baseUrl = validateApiBaseUrl(opts.baseUrl || DEFAULT_API_BASE_URL);
    this.logger = redactingLogger(opts.logger ?? nullLogger);
    this.clock = opts.clock ?? systemClock;
    this.transport = opts.transport ?? new FetchTransport();
    this.limiter = opts.limiter ?? sharedRateLimiter(this.baseUrl.href, this.credential, { clock: this.clock, ...opts.rateLimit });
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = Math.max(0, Math.floor(opts.maxRetries ?? DEFAULT_MAX_RETRIES));
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.profile = opts.profile;
    this.credentialAccountId = opts.credentialAccountId;
    this.backoff = opts.backoff ?? {};
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 300_000;
  }

  // ---------------------------------------------------------------- credential & API tokens

  async verifyCredential(opts?: RequestOptions): Promise<{ ok: true; id?: string; status?: TokenStatus; email?: string }> {
    if (this.credential.type === 'global-key') {
      const res = await this.call({
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
      const user = this.parse(res.result, E.UserSchema, 'checking the admin credential', false);
      return { ok: true, id: user.id, ...(user.email !== undefined ? { email: user.email } : {}) };
    }
    const accountId = this.credentialAccountId;
    const res = await this.call({
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
    const v = this.parse(res.result, E.VerifyResultSchema, 'checking the admin credential', false);
    if (v.status !== 'active') {
      throw new CfRotateError('auth', `The admin credential${this.forProfile()} is ${v.status}.`, {
        hint: `Create or re-enable an API token in the Cloudflare dashboard and set it again for this profile.`,
        status: 200,
      });
    }
    return { ok: true, id: v.id, status: v.status };
  }

  async rollUserToken(tokenId: string, opts?: RequestOptions): Promise<string> {
    const what = `rolling user API token ${tokenId}`;
    const res = await this.call({
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
    return this.parse(res.result, E.TokenValueSchema, what, true);
  }

  async rollAccountToken(accountId: string, tokenId: string, opts?: RequestOptions): Promise<string> {
    const what = `rolling account API token ${tokenId} (account ${accountId})`;
    const res = await this.call({
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
    return this.parse(res.result, E.TokenValueSchema, what, true);
  }

  async verifyToken(tokenValue: string, accountId?: string, opts?: RequestOptions): Promise<VerifyResult> {
    registerSecret(tokenValue);
    const what = accountId ? `verifying an account API token value (account ${accountId})` : 'verifying an API token value';
    const res = await this.call({
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
    const v = this.parse(res.result, E.VerifyResultSchema, what, false);
    return { id: v.id, status: v.status, expiresOn: v.expires_on ?? undefined, notBefore: v.not_before ?? undefined };
  }

  async listUserTokens(opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    const items = await this.paginate(
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
    const res = await this.call({
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
    return toApiTokenInfo(this.parse(res.result, E.TokenSchema, what, false));
  }

  async listAccountTokens(accountId: string, opts?: RequestOptions): Promise<ApiTokenInfo[]> {
    const items = await this.paginate(
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
    const res = await this.call({
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
    return toApiTokenInfo(this.parse(res.result, E.TokenSchema, what, false));
  }

  // ---------------------------------------------------------------- Access service tokens

  async listServiceTokens(scope: AccessScope, opts?: RequestOptions): Promise<ServiceTokenInfo[]> {
    const s = scopePath(scope);
    const items = await this.paginate(
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
    const res = await this.call({
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
    return toServiceTokenInfo(this.parse(res.result, E.ServiceTokenSchema, what, false));
  }

  async rotateServiceToken(accountId: string, id: string, graceUntil: Date | undefined, opts?: RequestOptions): Promise<ServiceTokenSecret> {
    const what = `rotating Access service token ${id} (account ${accountId})`;
    const body: Record<string, string> = {};
    if (graceUntil !== undefined) body['previous_client_secret_expires_at'] = isoDate(graceUntil, 'grace period end');
    const res = await this.call({
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
    const expires = isoDate(graceUntil ?? new Date(this.clock.now()), 'grace period end');
    const res = await this.call({
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
    const res = await this.call({
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
    return toServiceTokenInfo(this.parse(res.result, E.ServiceTokenSchema, what, false));
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
      const res = await this.call({ ...base, query: { asc: 'true', per_page: String(PAGE_SIZE), created_after: after } });
      const items = this.parse(res.result, E.MoqRelayListSchema, what, false);
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
    throw this.tooManyPages(what);
  }

  async getMoqRelay(accountId: string, relayId: string, opts?: RequestOptions): Promise<MoqRelayInfo> {
    const what = `reading MoQ relay ${relayId} (account ${accountId})`;
    const res = await this.call({
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
    const r = this.parse(res.result, E.MoqRelaySchema, what, false);
    return { id: r.uid, name: r.name, created: r.created ?? undefined, modified: r.modified ?? undefined };
  }

  async rotateMoqToken(accountId: string, relayId: string, type: MoqTokenType, label: string, opts?: RequestOptions): Promise<MoqRotateResult> {
    const relayPath = `/accounts/${seg(accountId, 'account id')}/moq/relays/${seg(relayId, 'relay id')}`;
    const what = `rotating the ${type} token of MoQ relay ${relayId} (account ${accountId})`;
    try {
      const res = await this.call({
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
      const r = this.parse(res.result, E.MoqRotateResultSchema, what, true);
      return { token: r.token, type: r.type, via: 'rotate' };
    } catch (e) {
      if (!isRouteMissing(e)) throw e;
      this.logger.info(`cloudflare moqRotate: the rotate route is gone (HTTP 404); creating a new ${type} token instead`);
    }
    const createWhat = `creating a new ${type} token for MoQ relay ${relayId} (account ${accountId})`;
    const operations: ('publish' | 'subscribe')[] = type === 'publish_subscribe' ? ['publish', 'subscribe'] : ['subscribe'];
    const res = await this.call({
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
    const envelope = this.parse(res.result, E.MoqTokensEnvelopeSchema, createWhat, true);
    const tokens = E.moqJwtTokens(envelope);
    if (!Array.isArray(tokens)) throw this.contractError(createWhat, true, E.describeZodError(tokens, 'result.issuers[].cloudflare_tokens'));
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
    const res = await this.call({
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
    const envelope = this.parse(res.result, E.MoqTokensEnvelopeSchema, what, false);
    const tokens = E.moqJwtTokens(envelope);
    if (!Array.isArray(tokens)) throw this.contractError(what, false, E.describeZodError(tokens, 'result.issuers[].cloudflare_tokens'));
    return tokens.map((t) => ({
      jti: t.jti,
      operations: [...t.operations],
      created: t.created ?? undefined,
      expires: t.expires ?? undefined,
      label: t.label ?? undefined,
    }));
  }

  async deleteMoqToken(accountId: string, relayId: string, jti: string, opts?: RequestOptions): Promise<void> {
    await this.call({
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
    const items = await this.paginate(
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
    const items = await this.paginate(
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

  private forProfile(): string {
    return this.profile ? ` for profile "${this.profile}"` : '';
  }

  private serviceTokenSecret(result: unknown, what: string): ServiceTokenSecret {
    const t = this.parse(result, E.ServiceTokenWithSecretSchema, what, true);
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

  /** Parse `result` with `schema`; a mismatch is a 'contract' error. */
  private parse<S extends z.ZodMiniType>(result: unknown, schema: S, what: string, rotation: boolean): z.output<S> {
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw this.contractError(what, rotation, E.describeZodError(parsed.error));
    return parsed.data as z.output<S>;
  }

  private contractError(what: string, rotation: boolean, detail: string): CfRotateError {
    return rotation
      ? new CfRotateError(
          'contract',
          `${cap(what)}: Cloudflare's response did not have the documented shape (${detail}). The rotation may have happened and the new secret was not received.`,
          {
            hint: 'Check in the Cloudflare dashboard whether the credential changed (or verify the old value); if it did, rotate it again to get a value you can store. Report this response shape to cf-rotate.',
          },
        )
      : new CfRotateError('contract', `${cap(what)}: Cloudflare's response did not have the documented shape (${detail}).`, {
          hint: 'Retry later; if it persists, the Cloudflare API may have changed: report it to cf-rotate.',
        });
  }

  private tooManyPages(what: string): CfRotateError {
    return new CfRotateError('contract', `${cap(what)}: Cloudflare kept returning pages past ${MAX_PAGES}.`, {
      hint: 'Retry later; if it persists, report it to cf-rotate.',
    });
  }

  /**
   * Numbered pagination: page=1.. with per_page=50 until `total_pages` (or, when the server
   * omits it, until `total_count` items or a short page). 'numbered-lazy' sends no query on
   * the first request (for routes that document none) and asks for page 2+ only when
   * `result_info` says there is more.
   */
  private async paginate<T>(base: CallSpec, schema: z.ZodMiniType<T[]>, mode: 'numbered' | 'numbered-lazy'): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query: Record<string, string | undefined> = { ...base.query };
      if (mode === 'numbered' || page > 1) query['page'] = String(page);
      if (mode === 'numbered') query['per_page'] = String(PAGE_SIZE);
      const res = await this.call({ ...base, query });
      const items: T[] = this.parse(res.result, schema, base.what, false);
      out.push(...items);
      const info = res.resultInfo;
      if (items.length === 0 || !info) return out;
      const perPage = info.per_page ?? (mode === 'numbered' ? PAGE_SIZE : undefined);
      let totalPages = info.total_pages;
      if (totalPages === undefined && info.total_count !== undefined && perPage) totalPages = Math.ceil(info.total_count / perPage);
      if (totalPages !== undefined) {
        if ((info.page ?? page) >= totalPages) return out;
      } else if (perPage === undefined || items.length < perPage) {
        return out;
      }
    }
    throw this.tooManyPages(base.what);
  }

  /** One logical call: rate limiting, attempts, retries. */
  private async call(spec: CallSpec): Promise<CallResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(spec);
      } catch (e) {
        const err = e instanceof CfRotateError ? e : new CfRotateError('internal', `${cap(spec.what)} failed unexpectedly.`, { cause: e });
        const decision = retryDecision(err, attempt, spec.idempotent, this.maxRetries, this.backoff);
        if (!decision.retry) throw this.finalError(err, spec, attempt);
        if (err.kind === 'rate-limited' && decision.delayMs > this.maxRetryAfterMs) throw err;
        this.logger.info(
          `cloudflare ${spec.op}: ${err.kind}${err.status ? ` (HTTP ${err.status})` : ''}; retry ${attempt + 1}/${this.maxRetries} in ${decision.delayMs} ms`,
        );
        try {
          await this.clock.sleep(decision.delayMs, spec.signal);
        } catch {
          throw this.cancelled(spec);
        }
      }
    }
  }

  /** After the last attempt: reads that never got an answer are reported as 'network'. */
  private finalError(err: CfRotateError, spec: CallSpec, attempt: number): CfRotateError {
    if (err.kind === 'ambiguous' && spec.idempotent && spec.method === 'GET') {
      return new CfRotateError('network', `No answer from Cloudflare while ${spec.what} after ${attempt + 1} attempt(s); nothing was changed.`, {
        hint: 'Check your network connection or proxy, then retry; retrying is safe.',
        cause: err,
      });
    }
    return err;
  }

  private cancelled(spec: CallSpec): CfRotateError {
    return new CfRotateError('cancelled', `${cap(spec.what)} was cancelled.`, { hint: 'Nothing was changed by this request; run it again when you are ready.' });
  }

  private buildUrl(spec: CallSpec): string {
    const base = this.baseUrl.href.replace(/\/+$/, '');
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) qs.set(k, v);
    const q = qs.toString();
    return `${base}${spec.path}${q ? `?${q}` : ''}`;
  }

  /** Request headers; a credential that cannot be sent in a header is refused before anything is sent. */
  private headers(spec: CallSpec): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (spec.body !== undefined) h['content-type'] = 'application/json';
    if (spec.bearer !== undefined) {
      if (!HEADER_SAFE.test(spec.bearer)) {
        throw new CfRotateError('validation', `${cap(spec.what)} failed: the token value contains characters that cannot be sent (spaces, line breaks or non-ASCII).`, {
          hint: 'Check the stored value: Cloudflare token values are 40–80 printable ASCII characters.',
        });
      }
      h['authorization'] = `Bearer ${spec.bearer}`;
      return h;
    }
    const ok = this.credential.type === 'api-token' ? HEADER_SAFE.test(this.credential.token) : HEADER_SAFE.test(this.credential.key) && HEADER_SAFE.test(this.credential.email);
    if (!ok) {
      throw new CfRotateError('auth', `${cap(spec.what)} failed: the admin credential${this.forProfile()} contains characters that cannot be sent (spaces, line breaks or non-ASCII).`, {
        hint: `Set the admin credential${this.forProfile()} again, without surrounding spaces or line breaks.`,
      });
    }
    if (this.credential.type === 'api-token') h['authorization'] = `Bearer ${this.credential.token}`;
    else {
      h['x-auth-email'] = this.credential.email;
      h['x-auth-key'] = this.credential.key;
    }
    return h;
  }

  private async attempt(spec: CallSpec): Promise<CallResult> {
    const url = this.buildUrl(spec);
    const headers = this.headers(spec);
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    let permit: Permit;
    try {
      permit = await this.limiter.acquire(spec.signal);
    } catch {
      throw this.cancelled(spec);
    }
    if (spec.signal?.aborted) {
      permit.release();
      throw this.cancelled(spec);
    }
    const logPath = url.slice(this.baseUrl.origin.length);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timeout after ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    const onAbort = (): void => controller.abort(spec.signal?.reason);
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const started = performance.now();
    let res: HttpResponse;
    try {
      res = await this.transport.send({ method: spec.method, url, headers, body: payload, signal: controller.signal });
    } catch (e) {
      const ms = Math.round(performance.now() - started);
      permit.release();
      throw this.transportError(spec, e, timedOut, ms, logPath);
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    }
    permit.release();
    const ms = Math.round(performance.now() - started);

    // Secrets in the body are registered before anything is logged or thrown.
    let body: unknown;
    let json = true;
    try {
      body = JSON.parse(res.text);
    } catch {
      json = false;
    }
    if (json) for (const s of E.collectSecrets(body)) registerSecret(s);

    const now = this.clock.now();
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now);
    const remainingHeader = res.headers.get('x-ratelimit-remaining');
    const remaining = remainingHeader !== null && /^\d+$/.test(remainingHeader.trim()) ? Number(remainingHeader) : undefined;
    this.limiter.observe({
      status: res.status,
      remaining,
      retryAfterMs,
      resetMs: parseRateLimitReset(res.headers.get('x-ratelimit-reset'), now),
    });
    this.logger.debug(
      `cloudflare ${spec.op}: ${spec.method} ${logPath} -> ${res.status} in ${ms} ms (cf-ray ${res.headers.get('cf-ray') ?? '-'}, ratelimit-remaining ${remainingHeader ?? '-'})`,
    );

    const codes = json ? errorCodesOf(body) : [];
    if (res.status === 429) throw this.httpError(spec, res.status, codes, body, retryAfterMs);
    if (res.status >= 500) throw this.httpError(spec, res.status, codes, body, retryAfterMs);
    if (res.status >= 400) throw this.httpError(spec, res.status, codes, body, retryAfterMs);
    if (res.status < 200 || res.status >= 300) {
      throw this.contractError(spec.what, spec.rotation, `unexpected HTTP ${res.status}`);
    }
    if (!json) throw this.contractError(spec.what, spec.rotation, 'the body is not JSON');
    const env = E.EnvelopeSchema.safeParse(body);
    if (!env.success) throw this.contractError(spec.what, spec.rotation, E.describeZodError(env.error, 'body'));
    if (!env.data.success) {
      // success:false with a 2xx: classify by code; unknown codes are a contract breach.
      const err = this.httpError(spec, res.status, codes, body, undefined);
      if (err.kind !== 'validation' || codes.length > 0) throw err;
      throw this.contractError(spec.what, spec.rotation, 'success is false without errors');
    }
    return { result: env.data.result, resultInfo: env.data.result_info ?? undefined };
  }

  private transportError(spec: CallSpec, e: unknown, timedOut: boolean, ms: number, logPath: string): CfRotateError {
    const mutation = !spec.idempotent;
    const callerAborted = !timedOut && spec.signal?.aborted === true;
    const { failure, code } = timedOut ? { failure: 'ambiguous' as const, code: 'timeout' } : classifyTransportError(e);
    const reason = timedOut ? `no answer within ${Math.round(this.timeoutMs / 100) / 10} s` : callerAborted ? 'cancelled while waiting for the answer' : (code ?? 'connection failed');
    this.logger.warn(`cloudflare ${spec.op}: ${spec.method} ${logPath} failed after ${ms} ms (${reason})`);
    if (callerAborted && !mutation) return this.cancelled(spec);
    if (failure === 'network' && !callerAborted) {
      return new CfRotateError('network', `Could not reach Cloudflare at ${this.baseUrl.host} while ${spec.what} (${reason}); nothing was sent.`, {
        hint: 'Check your network connection, proxy and DNS, then retry; retrying is safe.',
        cause: e,
      });
    }
    if (spec.rotation || mutation) {
      return new CfRotateError('ambiguous', `No answer from Cloudflare while ${spec.what} (${reason}): the change may have happened${spec.rotation ? ' and the new secret was not received' : ''}.`, {
        hint: spec.rotation
          ? 'Do not rotate blindly: "Resume Interrupted Rotation" (CLI: cf-rotate resume) checks whether the old value still works. If it does, retry; if not, it was rotated and the new value was lost, so rotate again to get a value you can store.'
          : 'Check the current state in the Cloudflare dashboard before retrying.',
        cause: e,
      });
    }
    return new CfRotateError('ambiguous', `No answer from Cloudflare while ${spec.what} (${reason}).`, {
      hint: 'Check your network connection or proxy, then retry; retrying is safe.',
      cause: e,
    });
  }

  private httpError(spec: CallSpec, status: number, codes: number[], body: unknown, retryAfterMs: number | undefined): CfRotateError {
    const said = cloudflareSaid(body);
    const st = `HTTP ${status}${codes.length ? `, code ${codes.join('/')}` : ''}${said ? `: ${said}` : ''}`;
    const details = { status, codes };
    const kind = classifyHttp(status, codes);
    const What = cap(spec.what);
    switch (kind) {
      case 'auth':
        if (spec.bearer !== undefined) {
          return new CfRotateError('auth', `${What} failed: Cloudflare rejected the token value (${st}).`, {
            ...details,
            hint: 'The value is not a valid, active token: check that the newest value was stored; if it was lost, roll the token again.',
          });
        }
        return new CfRotateError('auth', `${What} failed: the admin credential${this.forProfile()} was rejected (${st}).`, {
          ...details,
          hint: `Set the admin credential${this.forProfile()} again (a valid API token, or your Global API key with its account email), then retry.`,
        });
      case 'permission': {
        const perm = spec.permission;
        return new CfRotateError(
          'permission',
          perm
            ? `${What} failed: the admin credential${this.forProfile()} lacks the permission "${perm}" (${st}).`
            : `${What} failed: the admin credential${this.forProfile()} is not allowed to do this (${st}).`,
          {
            ...details,
            ...(perm ? { permission: perm } : {}),
            hint:
              (perm
                ? `Edit the API token in the Cloudflare dashboard (My Profile › API Tokens) and add "${perm}" for this ${spec.path.startsWith('/zones') ? 'zone' : spec.path.startsWith('/accounts') ? 'account' : 'user'}, or use a credential that has it.`
                : 'Use a credential with access to this resource.') +
              // Cloudflare answers 403 + 10000 ("Authentication error") both for a missing permission and for some rejected tokens.
              (codes.includes(10000) ? ` If the admin credential was rolled or deleted, set it again${this.forProfile()}.` : ''),
          },
        );
      }
      case 'not-found':
        return new CfRotateError('not-found', `${What} failed: Cloudflare has no such ${spec.resource} (${st}).`, {
          ...details,
          hint: 'Check the ids in cf-rotate.json (and that they belong to this account or zone), or pick the item again from the list.',
        });
      case 'rate-limited':
        return new CfRotateError('rate-limited', `${What} was refused: Cloudflare's rate limit was reached (${st}).`, {
          ...details,
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          hint: `Wait ${retryAfterMs !== undefined ? `${Math.ceil(retryAfterMs / 1000)} s` : 'a few minutes'} and retry. Cloudflare allows 1,200 requests per 5 minutes per user, shared with the dashboard and other tools.`,
        });
      case 'server':
        return new CfRotateError(
          'server',
          spec.idempotent
            ? `${What} failed: Cloudflare had an internal error (${st}).`
            : `${What} failed: Cloudflare had an internal error (${st}); it was not retried because the change may have been applied.`,
          {
            ...details,
            hint: spec.rotation
              ? '"Resume Interrupted Rotation" (CLI: cf-rotate resume) checks whether the old value still works before you retry; if it no longer works, rotate again to get a value you can store. See https://www.cloudflarestatus.com.'
              : 'Retry in a few minutes; see https://www.cloudflarestatus.com.',
          },
        );
      default:
        return new CfRotateError('validation', `${What} failed: Cloudflare rejected the request (${st}).`, {
          ...details,
          hint: 'Check the ids and settings for this credential in cf-rotate.json; nothing was changed.',
        });
    }
  }
}

/** Map an HTTP status and Cloudflare error codes to an error kind. */
export function classifyHttp(status: number, codes: number[]): ErrorKind {
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  if (codes.some((c) => PERMISSION_CODES.has(c))) return 'permission';
  if (status === 401) return 'auth';
  if (status === 403) {
    // 403 with a credential-format/validity code means the credential itself is bad.
    if (codes.some((c) => c === 6003 || c === 9103 || c === 9106)) return 'auth';
    return 'permission';
  }
  if (codes.some((c) => AUTH_CODES.has(c))) return 'auth';
  if (status === 404 || codes.some((c) => NOT_FOUND_CODES.has(c))) return 'not-found';
  return 'validation';
}

function isRouteMissing(e: unknown): boolean {
  return (
    e instanceof CfRotateError &&
    e.kind === 'not-found' &&
    !e.codes.includes(MOQ_RELAY_NOT_FOUND) &&
    (e.status === 404 || e.codes.some((c) => NOT_FOUND_CODES.has(c)))
  );
}

function errorCodesOf(body: unknown): number[] {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.errors.map((m) => m.code);
}

/** Cloudflare's own error messages (first two, shortened). Redacted by CfRotateError. */
function cloudflareSaid(body: unknown): string {
  const parsed = E.FailureSchema.safeParse(body);
  if (!parsed.success) return '';
  return parsed.data.errors
    .slice(0, 2)
    .map((m) => (m.message ?? '').replace(/\s+/g, ' ').slice(0, 160))
    .filter((m) => m.length > 0)
    .join('; ');
}

function scopePath(scope: AccessScope): { path: string; label: string; kind: 'account' | 'zone' } {
  if (scope.accountId !== undefined) return { path: `/accounts/${seg(scope.accountId, 'account id')}`, label: `account ${scope.accountId}`, kind: 'account' };
  if (scope.zoneId !== undefined) return { path: `/zones/${seg(scope.zoneId, 'zone id')}`, label: `zone ${scope.zoneId}`, kind: 'zone' };
  throw new CfRotateError('validation', 'An Access service token needs an account id or a zone id.', {
    hint: 'Set accountId or zoneId for this service token in cf-rotate.json.',
  });
}

/** A path segment: non-empty, URL-encoded. */
function seg(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CfRotateError('validation', `The ${name} is empty.`, { hint: `Set the ${name} in cf-rotate.json.` });
  }
  return encodeURIComponent(value);
}

function isoDate(d: Date, name: string): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new CfRotateError('validation', `The ${name} is not a valid date.`, { hint: 'Use an ISO 8601 date-time.' });
  }
  return d.toISOString();
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
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
