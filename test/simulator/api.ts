/**
 * Cloudflare API semantics: route table, authentication (with each operation's declared
 * security, see security.ts), permissions, the handlers and the response envelopes.
 * `handleApi()` maps one request to one response; the HTTP layer (server.ts) adds latency,
 * rate limiting, faults and recording around it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SecurityRule } from './security';
import { securityOf } from './security';
import type { ApiTokenRec, RelayRec, ServiceTokenRec, Store } from './store';
import { MAX_MOQ_TOKENS_PER_RELAY } from './store';
import { Destinations, PAGES_NAME, WORKER_BINDING_NAME, WORKER_MAX_VARIABLES, WORKER_NAME, WORKER_VARIABLE_MAX_BYTES, workerVariableCount, type PagesRec, type StoreSecretRec, type WorkerRec } from './destinations';
import type { MoqOperation, OperationName, PagesEnvVar, RemovedRouteStatus, ServedOperationName } from './types';
import { PERMISSIONS as P } from './types';
import { registerZeroDowntimeRoutes, SITEKEY } from './zeroDowntime';
import {
  EMAIL,
  HEX32,
  TOKEN_VALUE,
  UUID,
  YEAR_MS,
  iso,
  isGlobalKeyFormat,
  isRecord,
  parseDateTime,
  parseDuration,
  stableId,
} from './util';

export const API_BASE = '/client/v4';

// ---------------------------------------------------------------- envelopes and errors

export interface Msg {
  code: number;
  message: string;
  /** On 403s (changelog 2026-08-20): the documentation page of the denied operation. */
  documentation_url?: string;
  error_chain?: Msg[];
}
/** `page`-paginated lists: `{page, per_page, count, total_count, total_pages}`; MoQ (cursors): `{count, total}`. */
export interface ResultInfo {
  page?: number;
  per_page?: number;
  count: number;
  total_count?: number;
  total_pages?: number;
  total?: number;
}
export interface Envelope {
  success: boolean;
  errors: Msg[];
  messages: Msg[];
  result?: unknown;
  result_info?: ResultInfo;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly chain?: Msg[],
    public documentationUrl?: string,
  ) {
    super(message);
  }
  envelope(): Envelope {
    const err: Msg = { code: this.code, message: this.message };
    if (this.documentationUrl !== undefined) err.documentation_url = this.documentationUrl;
    if (this.chain !== undefined) err.error_chain = this.chain;
    return { success: false, errors: [err], messages: [], result: null };
  }
}

/** Error codes used by the simulator (see README.md). */
export const CODES = {
  invalidApiToken: 1000, // verify with an unknown / rolled value, or a token of another owner (401)
  missingAuthorization: 1001, // verify called without Authorization (400)
  notFound: 1003, // API token / service token id not found (404)
  invalidRequest: 1004, // a body/query field failed validation (400)
  invalidHeaders: 6003, // malformed auth headers (400), error_chain 6102 / 6103 / 6111
  malformedJson: 6007, // body is not a JSON object (400)
  methodNotAllowed: 7001, // known path, wrong method (405)
  noRoute: 7003, // unknown or removed route (404); malformed object id (400)
  rateLimited: 971, // 429
  unknownKeyOrEmail: 9103, // Global API key auth failed (401)
  missingAuth: 9106, // no credential headers at all (400)
  unauthorized: 9109, // missing permission / outside the token's accounts / revoked token (403)
  authenticationError: 10000, // bearer value unknown or expired (401); scheme the operation does not declare (403)
  serverError: 10001, // injected 5xx with an envelope body (non-MoQ)
  moqBodyTooSmall: 21002,
  moqBadRelayId: 21003,
  moqBadBody: 21004,
  moqServerError: 21006,
  moqRelayNotFound: 21007,
  moqTokenLimit: 21009,
  moqInvalidOperations: 21010,
  moqExpiryTooLong: 21012,
  workerNotFound: 10007, // Workers: "This Worker does not exist on your account." (404)
  workerLatestNotDeployed: 10215, // Workers: a secret edit while the latest version is not the deployed one (400; workers-sdk #10585, #11882)
  workerBindingInUse: 10053, // Workers: a secret named like another binding of the Worker (400; workers-sdk #7287, #12812)
  pagesProjectNotFound: 8000007, // Pages: "Project not found." (404)
} as const;

const noRoute = (): ApiError => new ApiError(404, CODES.noRoute, 'No route for the URI');
const invalid = (what: string): ApiError => new ApiError(400, CODES.invalidRequest, `Invalid request: ${what}`);
const unauthorized = (): ApiError => new ApiError(403, CODES.unauthorized, 'Unauthorized to access requested resource');

// ---------------------------------------------------------------- routes

export interface ApiRequest {
  method: string;
  /** Path below /client/v4. */
  apiPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

export interface ApiResult {
  status: number;
  body: Envelope;
}

interface Ok {
  status?: number;
  result?: unknown;
  /** MoQ DELETE: the envelope has no `result` at all (moq_api-response-common). */
  noResult?: boolean;
  resultInfo?: ResultInfo;
  messages?: Msg[];
}

/** `none`: verify routes, which authenticate the bearer themselves and need no permission. */
type Principal = { kind: 'token'; token: ApiTokenRec } | { kind: 'global-key' } | { kind: 'none' };

/** Per-request switches from the HTTP layer. */
export interface HandleOptions {
  /** How the removed MoQ rotate route answers. */
  removedRouteStatus: RemovedRouteStatus;
  /** A page past the last one: empty, or the last page again (with its own number). */
  pastLastPage: 'empty' | 'last';
  /** How the verify routes refuse a value that does not work (SimBehaviour.invalidTokenAnswer). */
  invalidTokenAnswer?: 401 | 403;
  /** `wrong-page` fault: serve this page whatever was asked for. */
  forcePage?: number;
}

interface Ctx {
  req: ApiRequest;
  params: Record<string, string>;
  store: Store;
  now: number;
  principal: Principal;
  opts: HandleOptions;
}

type AuthMode = 'standard' | 'verify';

interface RouteDef {
  method: string;
  template: string;
  segments: string[];
  op: ServedOperationName;
  auth: AuthMode;
  security: SecurityRule;
  moq: boolean;
  handler: (ctx: Ctx) => Ok;
}

const routes: RouteDef[] = [];
function route(method: string, path: string, op: ServedOperationName, handler: (ctx: Ctx) => Ok, auth: AuthMode = 'standard'): void {
  routes.push({
    method,
    template: path,
    segments: path.split('/').filter(Boolean),
    op,
    auth,
    security: securityOf(method, path),
    moq: path.includes('/moq/'),
    handler,
  });
}

/** Routes that existed and were removed upstream; answered by `HandleOptions.removedRouteStatus`. */
const REMOVED_ROUTES = [{ method: 'POST', segments: '/accounts/{account_id}/moq/relays/{relay_id}/tokens/rotate'.split('/').filter(Boolean) }];

export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}
/** `method`: the path exists with another method; `removed`: a route Cloudflare removed. */
export type MatchResult = RouteMatch | 'method' | 'removed' | undefined;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // left as is: fails the id format check (400 7003)
  }
}

function matchSegments(want: readonly string[], segs: readonly string[]): Record<string, string> | undefined {
  if (want.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const w = want[i] as string;
    const g = segs[i] as string;
    if (w.startsWith('{')) params[w.slice(1, -1)] = safeDecode(g);
    else if (w !== g) return undefined;
  }
  return params;
}

/** Finds the route. */
export function matchRoute(method: string, apiPath: string): MatchResult {
  const segs = apiPath.split('/').filter(Boolean);
  if (REMOVED_ROUTES.some((r) => r.method === method && matchSegments(r.segments, segs) !== undefined)) return 'removed';
  let pathMatched = false;
  for (const r of routes) {
    const params = matchSegments(r.segments, segs);
    if (params === undefined) continue;
    if (r.method === method) return { route: r, params };
    pathMatched = true;
  }
  return pathMatched ? 'method' : undefined;
}

function couldNotRoute(fullPath: string): ApiError {
  return new ApiError(400, CODES.noRoute, `Could not route to ${fullPath}, perhaps your object identifier is invalid?`);
}

function validateParams(m: RouteMatch, fullPath: string): void {
  for (const [name, v] of Object.entries(m.params)) {
    const okFormat = name === 'service_token_id' ? UUID.test(v) : name === 'sitekey' ? SITEKEY.test(v) : name === 'script_name' ? WORKER_NAME.test(v) : name === 'project_name' ? PAGES_NAME.test(v) : HEX32.test(v);
    if (okFormat) continue;
    if (name === 'relay_id') throw new ApiError(400, CODES.moqBadRelayId, 'Relay ID should be 32 hex characters');
    throw couldNotRoute(fullPath);
  }
}

// ---------------------------------------------------------------- authentication / authorization

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function bearerValue(h: IncomingHttpHeaders): string | undefined | ApiError {
  const authz = header(h, 'authorization');
  if (authz === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
  if (m === null || !TOKEN_VALUE.test(m[1] as string)) {
    return new ApiError(400, CODES.invalidHeaders, 'Invalid request headers', [
      { code: 6111, message: 'Invalid format for Authorization header' },
    ]);
  }
  return m[1] as string;
}

/**
 * Who is calling. A bearer wins over X-Auth headers. Unknown, expired or not-yet-valid bearer
 * values are 401 10000; a value that was rolled away, or a disabled token, is 403 9109 (A8:
 * 9109 is also returned for a revoked or invalid token; which cases get which code on the live
 * API is unverified, so the simulator uses both and a client must not read 9109 as "missing
 * permission" only).
 */
function authenticate(store: Store, h: IncomingHttpHeaders): Principal {
  const bearer = bearerValue(h);
  if (bearer instanceof ApiError) throw bearer;
  if (bearer !== undefined) {
    const t = store.byValue.get(bearer);
    if (t === undefined) {
      if (store.revokedValues.has(bearer)) throw unauthorized();
      throw new ApiError(401, CODES.authenticationError, 'Authentication error');
    }
    if (!store.usable(t)) {
      if (t.status === 'disabled') throw unauthorized();
      throw new ApiError(401, CODES.authenticationError, 'Authentication error');
    }
    return { kind: 'token', token: t };
  }
  const email = header(h, 'x-auth-email');
  const key = header(h, 'x-auth-key');
  if (email === undefined && key === undefined) {
    throw new ApiError(400, CODES.missingAuth, 'Missing X-Auth-Key, X-Auth-Email or Authorization headers');
  }
  const chain: Msg[] = [];
  if (email === undefined || !EMAIL.test(email)) chain.push({ code: 6102, message: 'Invalid format for X-Auth-Email header' });
  if (key === undefined || !isGlobalKeyFormat(key)) chain.push({ code: 6103, message: 'Invalid format for X-Auth-Key header' });
  if (chain.length > 0) throw new ApiError(400, CODES.invalidHeaders, 'Invalid request headers', chain);
  if (email?.toLowerCase() !== store.user.email.toLowerCase() || key !== store.user.globalApiKey) {
    throw new ApiError(401, CODES.unknownKeyOrEmail, 'Unknown X-Auth-Key or X-Auth-Email');
  }
  return { kind: 'global-key' };
}

/**
 * The operation's declared security (security.ts): a Global API key on an API-token-only
 * operation, or an API token on an email + key operation, is refused. The error Cloudflare
 * gives here is not documented; the simulator answers 403 with the shape of the changelog's
 * example 403 (code 10000 "Forbidden" + documentation_url).
 */
function enforceScheme(p: Principal, rule: SecurityRule): void {
  if (p.kind === 'token' && !rule.schemes.includes('api_token')) throw new ApiError(403, CODES.authenticationError, 'Forbidden');
  if (p.kind === 'global-key' && !rule.schemes.includes('api_key')) throw new ApiError(403, CODES.authenticationError, 'Forbidden');
}

export interface Caller {
  /** `token:<id>`, `global-key:<email>` or `anonymous`. */
  credential: string;
  /**
   * Rate-limit bucket. The 1,200 / 5 min budget is per user (A7): every user-owned token and
   * the Global API key of the user share `user:<id>`. Account-owned tokens belong to no user:
   * the simulator bills them to `account:<id>` (its choice). Anything unknown: `anonymous`.
   */
  bucket: string;
}

/** Who a request is billed to, computed before authentication (no side effects). */
export function callerOf(store: Store, h: IncomingHttpHeaders): Caller {
  const bearer = bearerValue(h);
  if (typeof bearer === 'string') {
    const t = store.byValue.get(bearer);
    if (t === undefined) return { credential: 'anonymous', bucket: 'anonymous' };
    return { credential: `token:${t.id}`, bucket: t.owner === 'account' ? `account:${t.accountId}` : `user:${store.user.id}` };
  }
  const email = header(h, 'x-auth-email');
  if (bearer === undefined && email !== undefined && email.toLowerCase() === store.user.email.toLowerCase() && header(h, 'x-auth-key') === store.user.globalApiKey) {
    return { credential: `global-key:${email.toLowerCase()}`, bucket: `user:${store.user.id}` };
  }
  return { credential: 'anonymous', bucket: 'anonymous' };
}

/** Can the principal use one of `perms` on the user (scope 'user') or on an account? */
function can(ctx: Ctx, perms: readonly string[], scope: 'user' | { accountId: string }): boolean {
  const p = ctx.principal;
  if (p.kind === 'none' || (scope !== 'user' && !ctx.store.accounts.has(scope.accountId))) return false;
  if (p.kind === 'global-key') return true;
  const t = p.token;
  if (!perms.some((x) => t.permissions.includes(x))) return false;
  if (scope === 'user') return t.owner === 'user';
  if (t.owner === 'account') return t.accountId === scope.accountId;
  return t.accounts === undefined || t.accounts.includes(scope.accountId);
}

function demand(ctx: Ctx, perms: readonly string[], scope: 'user' | { accountId: string }): void {
  if (!can(ctx, perms, scope)) throw unauthorized();
}

/** Account ids the principal can see (for discovery lists). */
function visibleAccounts(ctx: Ctx): string[] {
  const p = ctx.principal;
  const all = [...ctx.store.accounts.keys()];
  if (p.kind === 'none') return [];
  if (p.kind === 'global-key') return all;
  if (p.token.owner === 'account') return all.filter((a) => a === p.token.accountId);
  const limit = p.token.accounts;
  return limit === undefined ? all : all.filter((a) => limit.includes(a));
}

// ---------------------------------------------------------------- request helpers

function jsonBody(ctx: Ctx, required: boolean, moq = false): Record<string, unknown> | undefined {
  const raw = ctx.req.rawBody.trim();
  if (raw === '') {
    if (!required) return undefined;
    throw moq
      ? new ApiError(400, CODES.moqBodyTooSmall, 'Request body too small')
      : new ApiError(400, CODES.malformedJson, 'Malformed JSON in request body');
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    v = undefined;
  }
  if (!isRecord(v)) {
    throw moq
      ? new ApiError(400, CODES.moqBadBody, 'Failed to decode body')
      : new ApiError(400, CODES.malformedJson, 'Malformed JSON in request body');
  }
  return v;
}

function intQuery(ctx: Ctx, name: string, def: number, min: number, max: number): number {
  const raw = ctx.req.query.get(name);
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

function boolQuery(ctx: Ctx, name: string): boolean | undefined {
  const raw = ctx.req.query.get(name);
  if (raw === null) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalid(`${name} must be true or false`);
  return raw === 'true';
}

/**
 * `page` / `per_page` pagination. Out-of-range values are rejected (400 1004), not clamped: the
 * schema declares the bounds (tokens: per_page 5–50) and says nothing of clamping.
 * `result_info.page` is the page served: normally the page asked for; with `wrong-page` the
 * forced page; with `pastLastPage: 'last'` the last page when asked beyond it.
 */
function paginate<T>(ctx: Ctx, items: T[], perPage: { def: number; min: number; max: number }): { page: T[]; info: ResultInfo } {
  const asked = intQuery(ctx, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
  const per = intQuery(ctx, 'per_page', perPage.def, perPage.min, perPage.max);
  const totalPages = Math.ceil(items.length / per);
  let served = ctx.opts.forcePage ?? asked;
  if (ctx.opts.forcePage === undefined && ctx.opts.pastLastPage === 'last' && totalPages > 0 && asked > totalPages) served = totalPages;
  const slice = items.slice((served - 1) * per, served * per);
  return {
    page: slice,
    info: { page: served, per_page: per, count: slice.length, total_count: items.length, total_pages: totalPages },
  };
}

const TOKEN_PAGE = { def: 20, min: 5, max: 50 };
/** `access_page` / `access_per_page` are not in the fragments (unresolved): the simulator's bounds. */
const ACCESS_PAGE = { def: 20, min: 1, max: 1000 };

// ---------------------------------------------------------------- API tokens

function tokenView(store: Store, t: ApiTokenRec): Record<string, unknown> {
  const resources: Record<string, string> = {};
  if (t.owner === 'account') resources[`com.cloudflare.api.account.${t.accountId}`] = '*';
  else if (t.accounts !== undefined) for (const a of t.accounts) resources[`com.cloudflare.api.account.${a}`] = '*';
  else resources['com.cloudflare.api.account.*'] = '*';
  const v: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    status: store.effectiveStatus(t),
    issued_on: iso(t.issuedOn),
    modified_on: iso(t.modifiedOn),
    // A token created through the API shows its policies as they were sent (each with an id of its own).
    policies: t.policies
      ? t.policies.map((p, i) => ({ id: stableId(`policy:${t.id}:${i}`), ...(p as Record<string, unknown>) }))
      : [
          {
            id: stableId(`policy:${t.id}`),
            effect: 'allow',
            resources,
            permission_groups: t.permissions.map((name) => ({ id: stableId(`perm:${name}`), name })),
          },
        ],
  };
  if (t.condition !== undefined) v.condition = t.condition;
  if (t.lastUsedOn !== undefined) v.last_used_on = iso(t.lastUsedOn);
  if (t.notBefore !== undefined) v.not_before = iso(t.notBefore);
  if (t.expiresOn !== undefined) v.expires_on = iso(t.expiresOn);
  return v;
}

function ownedTokens(ctx: Ctx, accountId: string | undefined): ApiTokenRec[] {
  return [...ctx.store.apiTokens.values()].filter((t) =>
    accountId === undefined ? t.owner === 'user' : t.owner === 'account' && t.accountId === accountId,
  );
}

function findToken(ctx: Ctx, accountId: string | undefined): ApiTokenRec {
  const t = ctx.store.apiTokens.get(ctx.params.token_id as string);
  const owned = t !== undefined && (accountId === undefined ? t.owner === 'user' : t.owner === 'account' && t.accountId === accountId);
  if (!owned) throw new ApiError(404, CODES.notFound, 'Token not found');
  return t;
}

function listTokens(ctx: Ctx, accountId: string | undefined): Ok {
  const dir = ctx.req.query.get('direction');
  if (dir !== null && dir !== 'asc' && dir !== 'desc') throw invalid('direction must be asc or desc');
  const includeExpired = boolQuery(ctx, 'include_expired') ?? false;
  let items = ownedTokens(ctx, accountId).filter((t) => includeExpired || ctx.store.effectiveStatus(t) !== 'expired');
  if (dir === 'desc') items = items.reverse();
  const { page, info } = paginate(ctx, items, TOKEN_PAGE);
  return { result: page.map((t) => tokenView(ctx.store, t)), resultInfo: info };
}

/**
 * Verify: the user route knows user-owned tokens only, the account route only tokens owned by
 * that account. An account-owned token (`cfat_…`) on `/user/tokens/verify` is 401 1000 (A1).
 */
function verify(ctx: Ctx, accountId: string | undefined): Ok {
  const h = ctx.req.headers;
  const bearer = bearerValue(h);
  if (bearer instanceof ApiError) throw bearer;
  if (bearer === undefined) throw new ApiError(400, CODES.missingAuthorization, 'Missing "Authorization" header');
  const t = ctx.store.byValue.get(bearer);
  const ownerOk = t !== undefined && (accountId === undefined ? t.owner === 'user' : t.owner === 'account' && t.accountId === accountId);
  if (!ownerOk) {
    if (ctx.opts.invalidTokenAnswer === 403) throw new ApiError(403, CODES.unauthorized, 'Unauthorized to access requested resource');
    throw new ApiError(401, CODES.invalidApiToken, 'Invalid API Token');
  }
  t.lastUsedOn = ctx.now;
  const status = ctx.store.effectiveStatus(t);
  const result: Record<string, unknown> = { id: t.id, status };
  if (t.expiresOn !== undefined) result.expires_on = iso(t.expiresOn);
  if (t.notBefore !== undefined) result.not_before = iso(t.notBefore);
  const messages = status === 'active' ? [{ code: 10000, message: 'This API Token is valid and active' }] : [];
  return { result, messages };
}

function roll(ctx: Ctx, accountId: string | undefined): Ok {
  const t = findToken(ctx, accountId);
  jsonBody(ctx, true);
  return { result: ctx.store.rollApiToken(t) };
}

const acct = (ctx: Ctx): { accountId: string } => ({ accountId: ctx.params.account_id as string });
const TOK_R = [P.apiTokensRead, P.apiTokensWrite];
const TOK_W = [P.apiTokensWrite];
const ATOK_R = [P.accountApiTokensRead, P.accountApiTokensWrite];
const ATOK_W = [P.accountApiTokensWrite];

route('GET', '/user/tokens/verify', 'verifyUserToken', (c) => verify(c, undefined), 'verify');
route('GET', '/user/tokens', 'listUserTokens', (c) => (demand(c, TOK_R, 'user'), listTokens(c, undefined)));
route('GET', '/user/tokens/{token_id}', 'getUserToken', (c) => {
  demand(c, TOK_R, 'user');
  return { result: tokenView(c.store, findToken(c, undefined)) };
});
route('PUT', '/user/tokens/{token_id}/value', 'rollUserToken', (c) => (demand(c, TOK_W, 'user'), roll(c, undefined)));
route('GET', '/accounts/{account_id}/tokens/verify', 'verifyAccountToken', (c) => verify(c, acct(c).accountId), 'verify');
route('GET', '/accounts/{account_id}/tokens', 'listAccountTokens', (c) => (demand(c, ATOK_R, acct(c)), listTokens(c, acct(c).accountId)));
route('GET', '/accounts/{account_id}/tokens/{token_id}', 'getAccountToken', (c) => {
  demand(c, ATOK_R, acct(c));
  return { result: tokenView(c.store, findToken(c, acct(c).accountId)) };
});
route('PUT', '/accounts/{account_id}/tokens/{token_id}/value', 'rollAccountToken', (c) => {
  demand(c, ATOK_W, acct(c));
  return roll(c, acct(c).accountId);
});

// ---------------------------------------------------------------- Access service tokens

const SVC_R = [P.serviceTokensRead, P.serviceTokensWrite];
const SVC_W = [P.serviceTokensWrite];

interface SvcScope {
  accountId: string;
  zoneId?: string;
}

/** Resolves the account / zone in the path and checks the permission on the owning account. */
function svcScope(ctx: Ctx, perms: readonly string[]): SvcScope {
  const zoneId = ctx.params.zone_id;
  if (zoneId === undefined) {
    demand(ctx, perms, acct(ctx));
    return acct(ctx);
  }
  const zone = ctx.store.zones.get(zoneId);
  if (zone === undefined) throw unauthorized();
  demand(ctx, perms, { accountId: zone.accountId });
  return { accountId: zone.accountId, zoneId };
}

function inScope(t: ServiceTokenRec, s: SvcScope): boolean {
  return s.zoneId !== undefined ? t.zoneId === s.zoneId : t.accountId === s.accountId;
}

function findSvc(ctx: Ctx, s: SvcScope): ServiceTokenRec {
  const t = ctx.store.serviceTokens.get(ctx.params.service_token_id as string);
  if (t === undefined || !inScope(t, s)) throw new ApiError(404, CODES.notFound, 'Service token not found');
  return t;
}

/**
 * `ServiceToken` as declared: `access_service-tokens` @c92b9b0 (id, client_id, name, duration,
 * expires_at, created_at, updated_at, last_seen_at) plus `enabled` (SDK @7979faa6). No
 * `client_secret_version` and no `previous_client_secret_expires_at` (A3): they are write-only.
 */
function svcView(t: ServiceTokenRec): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: t.id,
    client_id: t.clientId,
    name: t.name,
    duration: t.duration,
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    enabled: t.enabled,
  };
  if (t.expiresAt !== undefined) v.expires_at = iso(t.expiresAt);
  if (t.lastSeenAt !== undefined) v.last_seen_at = iso(t.lastSeenAt);
  return v;
}

/**
 * Create / rotate result as declared: `access_create_response` (-2 for zones) @c92b9b0 (id,
 * client_id, client_secret, name, duration, created_at, updated_at) plus `enabled` (SDK
 * `ServiceTokenCreateResponse` / `ServiceTokenRotateResponse` @7979faa6). No `expires_at`.
 */
function svcSecretView(t: ServiceTokenRec, secret: string): Record<string, unknown> {
  return {
    id: t.id,
    client_id: t.clientId,
    client_secret: secret,
    name: t.name,
    duration: t.duration,
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    enabled: t.enabled,
  };
}

function dateField(body: Record<string, unknown>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  const ms = parseDateTime(v);
  if (ms === undefined) throw invalid(`${name} must be an RFC 3339 date-time`);
  return ms;
}

function durationField(body: Record<string, unknown>): { duration: string; ms: number } | undefined {
  const v = body.duration;
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined || ms <= 0) throw invalid('duration must be a duration like 8760h, 2h45m or "forever"');
  return { duration: v as string, ms };
}

function nameField(body: Record<string, unknown>, required: boolean): string | undefined {
  const v = body.name;
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw invalid('name must be a non-empty string');
  return v;
}

function versionField(body: Record<string, unknown>): number | undefined {
  const v = body.client_secret_version;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalid('client_secret_version must be an integer >= 1');
  return v;
}

function enabledField(body: Record<string, unknown>): boolean | undefined {
  const v = body.enabled;
  if (v !== undefined && typeof v !== 'boolean') throw invalid('enabled must be a boolean');
  return v;
}

function listSvc(ctx: Ctx): Ok {
  const s = svcScope(ctx, SVC_R);
  const name = ctx.req.query.get('name');
  const search = ctx.req.query.get('search')?.toLowerCase();
  const items = [...ctx.store.serviceTokens.values()].filter(
    (t) => inScope(t, s) && (name === null || t.name === name) && (search === undefined || t.name.toLowerCase().includes(search)),
  );
  const { page, info } = paginate(ctx, items, ACCESS_PAGE);
  return { result: page.map((t) => svcView(t)), resultInfo: info };
}

function createSvc(ctx: Ctx): Ok {
  const s = svcScope(ctx, SVC_W);
  const body = jsonBody(ctx, true) as Record<string, unknown>;
  const name = nameField(body, true) as string;
  const dur = durationField(body);
  const version = versionField(body);
  const prev = dateField(body, 'previous_client_secret_expires_at');
  const enabled = enabledField(body);
  const spec: Parameters<Store['addServiceToken']>[0] = { name };
  if (s.zoneId !== undefined) spec.zoneId = s.zoneId;
  else spec.accountId = s.accountId;
  if (dur !== undefined) spec.duration = dur.duration;
  if (version !== undefined) spec.clientSecretVersion = version;
  if (enabled !== undefined) spec.enabled = enabled;
  const t = ctx.store.addServiceToken(spec);
  if (prev !== undefined) t.previousSecretExpiresAt = prev;
  return { status: 201, result: svcSecretView(t, t.secret) };
}

/**
 * PUT. `client_secret_version` greater than the current version rotates: the response then
 * carries the new secret as an undeclared `client_secret` (the schema says `ServiceToken`;
 * Cloudflare's Terraform provider reads it: notes "Graceful rotation"), and the previous secret
 * stays accepted until `previous_client_secret_expires_at` of the same body (none: revoked at
 * once). A version that is not greater rotates nothing and returns no secret, but
 * `previous_client_secret_expires_at` is applied to the previous secret all the same (A3: a
 * client that guesses the version moves the grace window on every retry).
 */
function updateSvc(ctx: Ctx): Ok {
  const s = svcScope(ctx, SVC_W);
  const t = findSvc(ctx, s);
  const body = jsonBody(ctx, true) as Record<string, unknown>;
  const name = nameField(body, false);
  const dur = durationField(body);
  const version = versionField(body);
  const prev = dateField(body, 'previous_client_secret_expires_at');
  const enabled = enabledField(body);
  let secret: string | undefined;
  if (version !== undefined && version > t.version) secret = ctx.store.rotateServiceToken(t, prev, version);
  else if (prev !== undefined) t.previousSecretExpiresAt = prev;
  if (name !== undefined) t.name = name;
  if (dur !== undefined) {
    t.duration = dur.duration;
    if (Number.isFinite(dur.ms)) t.expiresAt = ctx.now + dur.ms;
    else delete t.expiresAt;
  }
  if (enabled !== undefined) t.enabled = enabled;
  t.updatedAt = ctx.now;
  const view = svcView(t);
  return { result: secret === undefined ? view : { ...view, client_secret: secret } };
}

function deleteSvc(ctx: Ctx): Ok {
  const t = findSvc(ctx, svcScope(ctx, SVC_W));
  ctx.store.deleteServiceToken(t);
  return { result: svcView(t) };
}

/**
 * POST …/rotate (account level only): body optional; `previous_client_secret_expires_at`
 * omitted = now, so the old secret dies at once (the schema's description). No version is
 * needed. The simulator also counts it as a version (so a later PUT must go above it): whether
 * the live API does is unverified.
 */
function rotateSvc(ctx: Ctx): Ok {
  const t = findSvc(ctx, svcScope(ctx, SVC_W));
  const body = jsonBody(ctx, false) ?? {};
  const prev = dateField(body, 'previous_client_secret_expires_at');
  const secret = ctx.store.rotateServiceToken(t, prev);
  return { result: svcSecretView(t, secret) };
}

function refreshSvc(ctx: Ctx): Ok {
  const t = findSvc(ctx, svcScope(ctx, SVC_W));
  const ms = parseDuration(t.duration) ?? YEAR_MS;
  if (Number.isFinite(ms)) t.expiresAt = ctx.now + ms;
  t.updatedAt = ctx.now;
  return { result: svcView(t) };
}

for (const base of ['/accounts/{account_id}', '/zones/{zone_id}']) {
  const col = `${base}/access/service_tokens`;
  route('GET', col, 'listServiceTokens', listSvc);
  route('POST', col, 'createServiceToken', createSvc);
  route('GET', `${col}/{service_token_id}`, 'getServiceToken', (c) => ({ result: svcView(findSvc(c, svcScope(c, SVC_R))) }));
  route('PUT', `${col}/{service_token_id}`, 'updateServiceToken', updateSvc);
  route('DELETE', `${col}/{service_token_id}`, 'deleteServiceToken', deleteSvc);
}
// Account level only: there is no zone-level rotate / refresh (→ 404 7003).
route('POST', '/accounts/{account_id}/access/service_tokens/{service_token_id}/rotate', 'rotateServiceToken', rotateSvc);
route('POST', '/accounts/{account_id}/access/service_tokens/{service_token_id}/refresh', 'refreshServiceToken', refreshSvc);

// ---------------------------------------------------------------- MoQ relays

const MOQ_R = [P.moqRead, P.moqWrite];
const MOQ_W = [P.moqWrite];
const MOQ_OPERATIONS: readonly string[] = ['publish', 'subscribe'];

function findRelay(ctx: Ctx, perms: readonly string[]): RelayRec {
  demand(ctx, perms, acct(ctx));
  const r = ctx.store.relays.get(ctx.params.relay_id as string);
  if (r === undefined || r.accountId !== acct(ctx).accountId) {
    throw new ApiError(404, CODES.moqRelayNotFound, 'A MoQ relay with this ID was not found.');
  }
  return r;
}

function moqTokenView(t: { jti: string; operations: MoqOperation[]; created: number; expires: number; label?: string }, secret?: string) {
  const v: Record<string, unknown> = { jti: t.jti, operations: [...t.operations], created: iso(t.created), expires: iso(t.expires) };
  if (t.label !== undefined) v.label = t.label;
  if (secret !== undefined) v.secret = secret;
  return v;
}

const tokensEnvelope = (tokens: Record<string, unknown>[]) => ({
  issuers: [{ type: 'cloudflare_jwt', issuer: 'cloudflare', cloudflare_tokens: tokens }],
});

/** Cursor pagination (keyset on `created`); `per_page` above the maximum is clamped (SDK `RelayListParams`). */
route('GET', '/accounts/{account_id}/moq/relays', 'listMoqRelays', (c) => {
  demand(c, MOQ_R, acct(c));
  const q = c.req.query;
  const before = q.get('created_before');
  const after = q.get('created_after');
  const beforeMs = before === null ? undefined : parseDateTime(before);
  const afterMs = after === null ? undefined : parseDateTime(after);
  if ((before !== null && beforeMs === undefined) || (after !== null && afterMs === undefined)) {
    throw new ApiError(400, CODES.moqBadBody, 'created_before / created_after must be RFC 3339 date-times');
  }
  const perRaw = Number(q.get('per_page') ?? 20);
  const per = Math.min(100, Math.max(1, Number.isFinite(perRaw) ? Math.trunc(perRaw) : 20)); // clamped; the maximum (100) is ours
  const asc = q.get('asc') === 'true';
  const items = [...c.store.relays.values()]
    .filter((r) => r.accountId === acct(c).accountId)
    .filter((r) => (beforeMs === undefined || r.created < beforeMs) && (afterMs === undefined || r.created > afterMs))
    .sort((a, b) => (asc ? a.created - b.created : b.created - a.created));
  const page = items.slice(0, per);
  return {
    result: page.map((r) => ({ uid: r.uid, name: r.name, created: iso(r.created), modified: iso(r.modified) })),
    // "result_info reports the page count and the total matching the cursor filters" (moq-relays-list)
    resultInfo: { count: page.length, total: items.length },
  };
});

route('GET', '/accounts/{account_id}/moq/relays/{relay_id}', 'getMoqRelay', (c) => {
  const r = findRelay(c, MOQ_R);
  const v: Record<string, unknown> = { uid: r.uid, name: r.name, created: iso(r.created), modified: iso(r.modified), config: r.config };
  if (r.connected) v.status = 'connected';
  return { result: v };
});

/**
 * Create. `operations`: a non-empty subset of publish / subscribe. The schema and the SDK
 * (`Array<'publish' | 'subscribe'>`) declare an enum, so any other value is 400 21010 even though
 * the description says the list may grow later. `expires` ≤ 1 year out (21012); default 1 year.
 * The 11th token of a relay is 409 21009.
 */
route('POST', '/accounts/{account_id}/moq/relays/{relay_id}/tokens', 'createMoqToken', (c) => {
  const r = findRelay(c, MOQ_W);
  const body = jsonBody(c, true, true) as Record<string, unknown>;
  const ops = body.operations;
  if (!Array.isArray(ops) || ops.length === 0 || !ops.every((o) => typeof o === 'string' && MOQ_OPERATIONS.includes(o))) {
    throw new ApiError(
      400,
      CODES.moqInvalidOperations,
      'Invalid operations: must be a non-empty subset of "publish" and "subscribe".',
    );
  }
  let expires = c.now + YEAR_MS;
  if (body.expires !== undefined) {
    const ms = parseDateTime(body.expires);
    if (ms === undefined) throw new ApiError(400, CODES.moqBadBody, 'Failed to decode body: expires must be an RFC 3339 date-time');
    if (ms > c.now + YEAR_MS) throw new ApiError(400, CODES.moqExpiryTooLong, 'Token expiry too long: no more than 1 year out.');
    if (ms <= c.now) throw new ApiError(400, CODES.moqBadBody, 'Failed to decode body: expires must be in the future');
    expires = ms;
  }
  if (body.label !== undefined && typeof body.label !== 'string') {
    throw new ApiError(400, CODES.moqBadBody, 'Failed to decode body: label must be a string');
  }
  if (r.tokens.size >= MAX_MOQ_TOKENS_PER_RELAY) {
    throw new ApiError(409, CODES.moqTokenLimit, 'Token limit reached: a relay can have at most 10 tokens.');
  }
  const t = c.store.newMoqToken(r, ops as MoqOperation[], expires, body.label as string | undefined, c.now);
  return { status: 201, result: tokensEnvelope([moqTokenView(t, t.secret)]) };
});

route('GET', '/accounts/{account_id}/moq/relays/{relay_id}/tokens', 'listMoqTokens', (c) => {
  const r = findRelay(c, MOQ_R);
  return { result: tokensEnvelope([...r.tokens.values()].map((t) => moqTokenView(t))) };
});

/** Idempotent (an unknown jti succeeds); answered with `moq_api-response-common`: no `result`. */
route('DELETE', '/accounts/{account_id}/moq/relays/{relay_id}/tokens/{jti}', 'deleteMoqToken', (c) => {
  const r = findRelay(c, MOQ_W);
  c.store.revokeMoqToken(r, c.params.jti as string);
  return { noResult: true };
});

// ---------------------------------------------------------------- tokens created and deleted, Turnstile, OAuth clients (zeroDowntime.ts)

registerZeroDowntimeRoutes<Ctx, Ok>({
  route: (method, path, op, handler) => route(method, path, op as ServedOperationName, handler),
  ctx: (c) => ({ store: c.store, now: c.now, params: c.params, principal: c.principal, body: (required) => jsonBody(c, required) }),
  demand,
  paginate: (c, items, per) => paginate(c, items, per),
  ok: (result, extra) => ({ result, ...(extra?.status !== undefined ? { status: extra.status } : {}), ...(extra?.resultInfo !== undefined ? { resultInfo: extra.resultInfo as ResultInfo } : {}) }),
  error: (status, code, message) => new ApiError(status, code, message),
  invalid,
  notFound: (message) => new ApiError(404, CODES.notFound, message),
  tokenView,
  findToken,
});

// ---------------------------------------------------------------- destinations: Workers, Pages, Secrets Store
// SDK @faaaf89e: workers/scripts/secrets.ts, pages/projects/projects.ts, secrets-store/stores/secrets.ts.
// Values are write-only everywhere: Workers list {name, type}; Pages answer secret_text variables with
// an empty value; the Secrets Store answers metadata only.

const WORKERS_R = [P.workersScriptsRead, P.workersScriptsWrite];
const WORKERS_W = [P.workersScriptsWrite];
const PAGES_R = [P.pagesRead, P.pagesWrite];
const PAGES_W = [P.pagesWrite];
const STORE_R = [P.secretsStoreRead, P.secretsStoreWrite];
const STORE_W = [P.secretsStoreWrite];

function findWorker(ctx: Ctx, perms: readonly string[]): WorkerRec {
  demand(ctx, perms, acct(ctx));
  const w = ctx.store.destinations.workers.get(Destinations.workerKey(acct(ctx).accountId, ctx.params.script_name as string));
  if (w === undefined) throw new ApiError(404, CODES.workerNotFound, 'This Worker does not exist on your account.');
  return w;
}

const workerSecretsPath = '/accounts/{account_id}/workers/scripts/{script_name}/secrets';
route('GET', workerSecretsPath, 'listWorkerSecrets', (c) => ({ result: [...findWorker(c, WORKERS_R).secrets].map(([name, s]) => ({ name, type: s.type })) }));

/** PUT {name, text, type: "secret_text"}: sets the secret and deploys a new version of the Worker. */
route('PUT', workerSecretsPath, 'putWorkerSecret', (c) => {
  const w = findWorker(c, WORKERS_W);
  const body = jsonBody(c, true) as Record<string, unknown>;
  if (typeof body.name !== 'string' || body.name === '') throw invalid('name is required');
  if (body.type !== 'secret_text') throw invalid('type must be secret_text (secret_key bindings are not modelled)');
  if (typeof body.text !== 'string') throw invalid('text is required');
  for (const k of Object.keys(body)) if (!['name', 'text', 'type'].includes(k)) throw invalid(`unknown field ${k}`);
  // The limits (destinations.ts): a JavaScript variable name (the simulator's reading), 5 KB, 128 variables. Codes: the simulator's choice.
  if (!WORKER_BINDING_NAME.test(body.name)) throw invalid('name must be a JavaScript variable name');
  if (Buffer.byteLength(body.text, 'utf8') > WORKER_VARIABLE_MAX_BYTES) throw invalid(`text is larger than the ${WORKER_VARIABLE_MAX_BYTES / 1024} KB an environment variable may hold`);
  if (!w.secrets.has(body.name) && workerVariableCount(w) >= WORKER_MAX_VARIABLES) throw invalid(`the Worker already has ${WORKER_MAX_VARIABLES} environment variables`);
  if (!w.latestDeployed) {
    throw new ApiError(400, CODES.workerLatestNotDeployed, "Secret edit failed. You attempted to update secrets on a Worker whose latest version isn't currently deployed. Please ensure that the latest version of your Worker is fully deployed (wrangler versions deploy) before updating secrets. Alternatively, use the Cloudflare dashboard to make changes and deploy a new version.");
  }
  // A name another binding uses (a plain-text variable, KV, R2, …): the live message, as workers-sdk #7287 / #12812 quote it.
  if (w.bindings.some((b) => b.name === body.name)) throw new ApiError(400, CODES.workerBindingInUse, `Binding name '${body.name}' already in use. Please use a different name and try again.`);
  w.secrets.set(body.name, { type: 'secret_text', value: body.text });
  w.versions += 1;
  return { result: { name: body.name, type: 'secret_text' } };
});

/**
 * GET …/settings: the SDK's `ScriptAndVersionSettingGetResponse` (script-and-version-settings.ts): every
 * binding with the fields its type documents (a secret's value never: `{name, type: "secret_text"}`; a
 * plain-text variable's `text` is not secret), and the documented settings the simulator models.
 */
route('GET', '/accounts/{account_id}/workers/scripts/{script_name}/settings', 'getWorkerSettings', (c) => {
  const w = findWorker(c, WORKERS_R);
  return {
    result: {
      bindings: [...w.bindings.map((b) => ({ ...b })), ...[...w.secrets.keys()].map((name) => ({ name, type: 'secret_text' }))],
      compatibility_date: '2026-01-01',
      compatibility_flags: [],
      logpush: false,
      tags: [],
      tail_consumers: [],
      usage_model: 'standard',
    },
  };
});

function findPages(ctx: Ctx, perms: readonly string[]): PagesRec {
  demand(ctx, perms, acct(ctx));
  const p = ctx.store.destinations.pages.get(Destinations.workerKey(acct(ctx).accountId, ctx.params.project_name as string));
  if (p === undefined) throw new ApiError(404, CODES.pagesProjectNotFound, 'Project not found. The specified project name does not match any of your existing projects.');
  return p;
}

function pagesView(p: PagesRec): Record<string, unknown> {
  const config = (env: 'production' | 'preview'): Record<string, unknown> => ({
    always_use_latest_compatibility_date: false,
    build_image_major_version: 3,
    compatibility_date: '2026-01-01',
    compatibility_flags: [],
    // A secret's value is never returned.
    env_vars: Object.fromEntries([...p.envVars[env]].map(([k, v]) => [k, v.type === 'secret_text' ? { type: 'secret_text', value: '' } : { type: v.type, value: v.value }])),
    fail_open: true,
    usage_model: 'standard',
  });
  return {
    id: p.id,
    name: p.name,
    created_on: iso(p.createdOn),
    subdomain: `${p.name}.pages.dev`,
    domains: [`${p.name}.pages.dev`],
    production_branch: 'main',
    canonical_deployment: null,
    latest_deployment: null,
    deployment_configs: { preview: config('preview'), production: config('production') },
    framework: '',
    framework_version: '',
    preview_script_name: `pages-worker--${p.id}-preview`,
    production_script_name: `pages-worker--${p.id}-production`,
    uses_functions: false,
  };
}

const PAGES_EDIT_FIELDS = ['build_config', 'deployment_configs', 'name', 'production_branch', 'source'];

/** PATCH: a JSON merge patch; `deployment_configs.{env}.env_vars.KEY` = {type, value} sets, null deletes; other fields are accepted and not modelled. */
route('PATCH', '/accounts/{account_id}/pages/projects/{project_name}', 'editPagesProject', (c) => {
  const p = findPages(c, PAGES_W);
  const body = jsonBody(c, true) as Record<string, unknown>;
  for (const k of Object.keys(body)) if (!PAGES_EDIT_FIELDS.includes(k)) throw invalid(`unknown field ${k}`);
  const configs = body.deployment_configs;
  if (configs !== undefined && !isRecord(configs)) throw invalid('deployment_configs must be an object');
  const changes: [Map<string, PagesEnvVar>, string, PagesEnvVar | null][] = [];
  for (const [env, cfg] of Object.entries(configs ?? {})) {
    if (env !== 'production' && env !== 'preview') throw invalid(`deployment_configs.${env} is not production or preview`);
    if (!isRecord(cfg)) throw invalid(`deployment_configs.${env} must be an object`);
    const vars = cfg.env_vars;
    if (vars === undefined || vars === null) continue;
    if (!isRecord(vars)) throw invalid(`deployment_configs.${env}.env_vars must be an object`);
    for (const [k, v] of Object.entries(vars)) {
      if (v === null) changes.push([p.envVars[env], k, null]);
      else if (isRecord(v) && (v.type === 'plain_text' || v.type === 'secret_text') && typeof v.value === 'string') changes.push([p.envVars[env], k, { type: v.type, value: v.value }]);
      else throw invalid(`deployment_configs.${env}.env_vars.${k} must be {type: plain_text | secret_text, value} or null`);
    }
  }
  for (const [map, k, v] of changes) {
    if (v === null) map.delete(k);
    else map.set(k, v);
  }
  return { result: pagesView(p) };
});
route('GET', '/accounts/{account_id}/pages/projects/{project_name}', 'getPagesProject', (c) => ({ result: pagesView(findPages(c, PAGES_R)) }));

function findStoreSecret(ctx: Ctx, perms: readonly string[]): { storeId: string; s: StoreSecretRec } {
  demand(ctx, perms, acct(ctx));
  const store = ctx.store.destinations.stores.get(ctx.params.store_id as string);
  const s = store !== undefined && store.accountId === acct(ctx).accountId ? store.secrets.get(ctx.params.secret_id as string) : undefined;
  if (store === undefined || s === undefined) throw new ApiError(404, CODES.notFound, 'Secret not found');
  return { storeId: store.id, s };
}

const storeSecretView = (storeId: string, s: StoreSecretRec): Record<string, unknown> => ({
  id: s.id,
  name: s.name,
  status: 'active',
  created: iso(s.created),
  modified: iso(s.modified),
  store_id: storeId,
  scopes: ['workers'],
});

const storeSecretPath = '/accounts/{account_id}/secrets_store/stores/{store_id}/secrets/{secret_id}';
route('GET', storeSecretPath, 'getStoreSecret', (c) => {
  const { storeId, s } = findStoreSecret(c, STORE_R);
  return { result: storeSecretView(storeId, s) };
});

/** PATCH {value?, comment?, scopes?}: the value is write-only, at most 64 KiB. */
route('PATCH', storeSecretPath, 'editStoreSecret', (c) => {
  const { storeId, s } = findStoreSecret(c, STORE_W);
  const body = jsonBody(c, true) as Record<string, unknown>;
  for (const k of Object.keys(body)) if (!['value', 'comment', 'scopes'].includes(k)) throw invalid(`unknown field ${k}`);
  if (body.value !== undefined) {
    if (typeof body.value !== 'string' || Buffer.byteLength(body.value) > 65_536) throw invalid('value must be a string of at most 65536 bytes');
    s.value = body.value;
  }
  s.modified = c.now;
  return { result: storeSecretView(storeId, s) };
});

// ---------------------------------------------------------------- discovery

route('GET', '/accounts', 'listAccounts', (c) => {
  const items = visibleAccounts(c).map((id) => c.store.accounts.get(id) as { id: string; name: string });
  const { page, info } = paginate(c, items, TOKEN_PAGE);
  return {
    result: page.map((a) => ({ id: a.id, name: a.name, type: 'standard', settings: { enforce_twofactor: false } })),
    resultInfo: info,
  };
});

route('GET', '/zones', 'listZones', (c) => {
  const visible = new Set(visibleAccounts(c));
  const accountFilter = c.req.query.get('account.id');
  const nameFilter = c.req.query.get('name');
  const items = [...c.store.zones.values()].filter(
    (z) => visible.has(z.accountId) && (accountFilter === null || z.accountId === accountFilter) && (nameFilter === null || z.name === nameFilter),
  );
  const { page, info } = paginate(c, items, TOKEN_PAGE);
  return {
    result: page.map((z) => ({
      id: z.id,
      name: z.name,
      status: 'active',
      paused: false,
      type: 'full',
      name_servers: ['ada.ns.cloudflare.com', 'bob.ns.cloudflare.com'],
      account: { id: z.accountId, name: c.store.accounts.get(z.accountId)?.name ?? '' },
    })),
    resultInfo: info,
  };
});

route('GET', '/user', 'getUser', (c) => {
  demand(c, [P.userDetailsRead], 'user');
  const u = c.store.user;
  return {
    result: {
      id: u.id,
      email: u.email,
      first_name: u.firstName ?? null,
      last_name: u.lastName ?? null,
      username: stableId(`username:${u.id}`),
      suspended: false,
      two_factor_authentication_enabled: false,
    },
  };
});

// ---------------------------------------------------------------- entry point

export function success(ok: Ok): ApiResult {
  const body: Envelope = { success: true, errors: [], messages: ok.messages ?? [] };
  if (ok.noResult !== true) body.result = ok.result;
  if (ok.resultInfo !== undefined) body.result_info = ok.resultInfo;
  return { status: ok.status ?? 200, body };
}

/** Resolves the route and operation name (no side effects). */
export function resolveOp(req: ApiRequest): { match: MatchResult; op: ServedOperationName | null } {
  const match = matchRoute(req.method, req.apiPath);
  if (match === undefined || match === 'method' || match === 'removed') return { match, op: null };
  return { match, op: match.route.op };
}

/** The route table with each route's declared security (for the README and the tests). */
export function routeTable(): { method: string; path: string; op: OperationName; security: SecurityRule }[] {
  return routes.map((r) => ({ method: r.method, path: r.template, op: r.op, security: r.security }));
}

function removedRouteError(status: RemovedRouteStatus, fullPath: string): ApiError {
  if (status === 405) return new ApiError(405, CODES.methodNotAllowed, 'Method not allowed for this route');
  if (status === 400) return couldNotRoute(fullPath); // a POST read as …/tokens/{jti} with jti "rotate"
  return noRoute();
}

/**
 * Handles one API request against the store. Never throws. Order of checks: route → id format
 * → authentication → declared scheme → permission → existence → body.
 */
export function handleApi(store: Store, req: ApiRequest, match: MatchResult, fullPath: string, opts: HandleOptions): ApiResult {
  let docs: string | undefined;
  try {
    if (match === undefined) throw noRoute();
    if (match === 'removed') throw removedRouteError(opts.removedRouteStatus, fullPath);
    if (match === 'method') throw new ApiError(405, CODES.methodNotAllowed, 'Method not allowed for this route');
    docs = match.route.security.docs;
    validateParams(match, fullPath);
    const now = store.now();
    let principal: Principal = { kind: 'none' };
    if (match.route.auth === 'standard') {
      principal = authenticate(store, req.headers);
      enforceScheme(principal, match.route.security);
      if (principal.kind === 'token') principal.token.lastUsedOn = now;
    }
    return success(match.route.handler({ req, params: match.params, store, now, principal, opts }));
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.status === 403 && e.documentationUrl === undefined && docs !== undefined) e.documentationUrl = docs;
      return { status: e.status, body: e.envelope() };
    }
    const msg = e instanceof Error ? e.message : String(e);
    return { status: 500, body: new ApiError(500, CODES.serverError, `Simulator internal error: ${msg}`).envelope() };
  }
}

/** Is this operation one of MoQ's (its 5xx envelope uses 21006)? */
export function isMoqOperation(op: OperationName | null): boolean {
  return op === 'listMoqRelays' || op === 'getMoqRelay' || op === 'createMoqToken' || op === 'listMoqTokens' || op === 'deleteMoqToken';
}
