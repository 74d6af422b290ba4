/**
 * What zero-downtime rotation needs of the API, beside the routes of api.ts:
 *
 *  - API tokens created and deleted (`POST /user/tokens`, `POST /accounts/{a}/tokens`,
 *    `DELETE …/tokens/{id}`): SDK `user/tokens/tokens.ts`, `accounts/tokens/tokens.ts`,
 *    `shared.ts` (`TokenCreateParams`, `TokenCreateResponse`) @7979faa6;
 *  - Turnstile widgets (list, get with the secret, `rotate_secret`): SDK `turnstile/widgets.ts`
 *    @7979faa6 and Cloudflare's API reference (both schemes; "Turnstile Sites Write");
 *    account-owned API tokens are refused (cloudflare-docs `account-owned-tokens.mdx` @0fd5d99b);
 *  - OAuth clients (list, get, `rotate_secret`, `DELETE …/rotate_secret`): SDK
 *    `iam/oauth-clients.ts` @faaaf89e and the API reference ("OAuth Client Write").
 *
 * None of these operations is in the OpenAPI documents beside the repository; where the SDK and
 * the reference leave a behaviour open, the choice is named here and in README.md.
 */
import type { ApiTokenRec, Store } from './store';
import type {
  OAuthClientState,
  ScenarioOAuthClient,
  ScenarioTurnstileWidget,
  TurnstileWidgetState,
} from './types';
import { PERMISSIONS as P } from './types';
import { HEX32, alnum, hex32, iso, isRecord, parseDateTime, stableId } from './util';

// ---------------------------------------------------------------- records

export interface WidgetRec {
  sitekey: string;
  accountId: string;
  name: string;
  mode: 'non-interactive' | 'invisible' | 'managed';
  domains: string[];
  createdOn: number;
  modifiedOn: number;
  secret: string;
  previousSecret?: string;
  previousSecretExpiresAt?: number;
  rotations: number;
}

export interface OAuthClientRec {
  clientId: string;
  accountId: string;
  name: string;
  secret: string;
  previousSecret?: string;
  createdAt: number;
  updatedAt: number;
}

/** `0x4AAAAAAA` + base62, like the dashboard's sitekeys; the documented test keys start `1x`–`3x`. */
export const SITEKEY = /^[0-9]x[0-9A-Za-z_-]{4,30}$/;
export const newSitekey = (): string => `0x4AAAAAAA${alnum(14)}`;
/** Turnstile secret keys look like `0x4AAAAAAA…` too (35 characters). */
export const newTurnstileSecret = (): string => `0x4AAAAAAA${alnum(25)}`;
/** OAuth client secrets: the format is not documented (the reference's example is a placeholder); 48 alphanumerics here. */
export const newOAuthSecret = (): string => alnum(48);

/** "If invalidate_immediately is set to false, the previous secret remains valid for 2 hours." */
export const TURNSTILE_GRACE_MS = 2 * 3_600_000;

class ScenarioError extends Error {}
function need(cond: unknown, where: string, message: string): asserts cond {
  if (!cond) throw new ScenarioError(`scenario: ${where}: ${message}`);
}
function optDate(where: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDateTime(v);
  need(ms !== undefined, where, `not an RFC 3339 date-time: ${JSON.stringify(v)}`);
  return ms;
}

export function addWidget(store: Store, w: Partial<ScenarioTurnstileWidget> & { accountId: string }, where = 'turnstileWidget'): WidgetRec {
  need(isRecord(w), where, 'must be an object');
  need(store.accounts.has(w.accountId), `${where}.accountId`, `unknown account ${w.accountId}`);
  const sitekey = w.sitekey ?? newSitekey();
  need(SITEKEY.test(sitekey), `${where}.sitekey`, 'must be a sitekey (0x4AAAAAAA…, at most 32 characters)');
  need(!store.widgets.has(sitekey), `${where}.sitekey`, `duplicate sitekey ${sitekey}`);
  const created = optDate(`${where}.createdOn`, w.createdOn) ?? store.now();
  const rec: WidgetRec = {
    sitekey,
    accountId: w.accountId,
    name: String(w.name ?? `widget ${sitekey.slice(-6)}`),
    mode: w.mode ?? 'managed',
    domains: [...(w.domains ?? ['example.com'])],
    createdOn: created,
    modifiedOn: optDate(`${where}.modifiedOn`, w.modifiedOn) ?? created,
    secret: w.secret ?? newTurnstileSecret(),
    rotations: 0,
  };
  if (w.previousSecret !== undefined) rec.previousSecret = w.previousSecret;
  const pe = optDate(`${where}.previousSecretExpiresAt`, w.previousSecretExpiresAt);
  if (pe !== undefined) rec.previousSecretExpiresAt = pe;
  store.widgets.set(sitekey, rec);
  return rec;
}

export function addOAuthClient(store: Store, c: Partial<ScenarioOAuthClient> & { accountId: string }, where = 'oauthClient'): OAuthClientRec {
  need(isRecord(c), where, 'must be an object');
  need(store.accounts.has(c.accountId), `${where}.accountId`, `unknown account ${c.accountId}`);
  const clientId = c.clientId ?? hex32();
  need(HEX32.test(clientId), `${where}.clientId`, 'must be 32 lowercase hex');
  need(!store.oauthClients.has(clientId), `${where}.clientId`, `duplicate OAuth client ${clientId}`);
  const created = optDate(`${where}.createdAt`, c.createdAt) ?? store.now();
  const rec: OAuthClientRec = {
    clientId,
    accountId: c.accountId,
    name: String(c.name ?? `client ${clientId.slice(0, 6)}`),
    secret: c.secret ?? newOAuthSecret(),
    createdAt: created,
    updatedAt: optDate(`${where}.updatedAt`, c.updatedAt) ?? created,
  };
  if (c.previousSecret !== undefined) rec.previousSecret = c.previousSecret;
  store.oauthClients.set(clientId, rec);
  return rec;
}

export function widgetState(w: WidgetRec): TurnstileWidgetState {
  const s: TurnstileWidgetState = { accountId: w.accountId, sitekey: w.sitekey, name: w.name, secret: w.secret, createdOn: iso(w.createdOn), modifiedOn: iso(w.modifiedOn), rotations: w.rotations };
  if (w.previousSecret !== undefined) s.previousSecret = w.previousSecret;
  if (w.previousSecretExpiresAt !== undefined) s.previousSecretExpiresAt = iso(w.previousSecretExpiresAt);
  return s;
}

export function oauthClientState(c: OAuthClientRec): OAuthClientState {
  const s: OAuthClientState = { accountId: c.accountId, clientId: c.clientId, name: c.name, secret: c.secret, hasRotatedSecret: c.previousSecret !== undefined, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) };
  if (c.previousSecret !== undefined) s.previousSecret = c.previousSecret;
  return s;
}

export function turnstileCheck(store: Store, sitekey: string, secret: string): { allowed: boolean; reason: string; matched?: 'current' | 'previous' } {
  const w = store.widgets.get(sitekey);
  if (!w) return { allowed: false, reason: 'unknown sitekey' };
  if (secret === w.secret) return { allowed: true, reason: 'current secret', matched: 'current' };
  if (w.previousSecret !== undefined && secret === w.previousSecret) {
    const until = w.previousSecretExpiresAt ?? 0;
    return store.now() < until ? { allowed: true, reason: `previous secret, accepted until ${iso(until)}`, matched: 'previous' } : { allowed: false, reason: `previous secret expired at ${iso(until)}` };
  }
  return { allowed: false, reason: 'secret does not match' };
}

export function oauthCheck(store: Store, clientId: string, secret: string): { allowed: boolean; reason: string; matched?: 'current' | 'previous' } {
  const c = store.oauthClients.get(clientId);
  if (!c) return { allowed: false, reason: 'unknown client id' };
  if (secret === c.secret) return { allowed: true, reason: 'current secret', matched: 'current' };
  if (c.previousSecret !== undefined && secret === c.previousSecret) return { allowed: true, reason: 'previous secret (not deleted yet)', matched: 'previous' };
  return { allowed: false, reason: 'secret does not match' };
}

// ---------------------------------------------------------------- routes

/** The pieces of api.ts the routes here use (passed in: api.ts calls `registerZeroDowntimeRoutes` after its own routes). */
export interface RouteKit<Ctx, Ok> {
  route(method: string, path: string, op: string, handler: (ctx: Ctx) => Ok): void;
  ctx(c: Ctx): {
    store: Store;
    now: number;
    params: Record<string, string>;
    principal: { kind: 'token'; token: ApiTokenRec } | { kind: 'global-key' } | { kind: 'none' };
    body(required: boolean): Record<string, unknown> | undefined;
  };
  demand(c: Ctx, perms: readonly string[], scope: 'user' | { accountId: string }): void;
  paginate<T>(c: Ctx, items: T[], perPage: { def: number; min: number; max: number }): { page: T[]; info: unknown };
  ok(result: unknown, extra?: { status?: number; resultInfo?: unknown }): Ok;
  error(status: number, code: number, message: string): Error;
  invalid(what: string): Error;
  notFound(message: string): Error;
  tokenView(store: Store, t: ApiTokenRec): Record<string, unknown>;
  findToken(c: Ctx, accountId: string | undefined): ApiTokenRec;
}

const TOK_W = [P.apiTokensWrite];
const ATOK_W = [P.accountApiTokensWrite];
/** The API reference accepts "Turnstile Sites Write" or "Account Settings Write" for every widget route; Read for reads (the simulator's reading). */
const TURN_R = [P.turnstileRead, P.turnstileWrite];
const TURN_W = [P.turnstileWrite];
const OAUTH_R = [P.oauthClientRead, P.oauthClientWrite];
const OAUTH_W = [P.oauthClientWrite];
/** Turnstile widget list bounds (SDK / reference: per_page 5–1000, default 25). */
const WIDGET_PAGE = { def: 25, min: 5, max: 1000 };

/** Every permission name the simulator knows, by the stable id a token view shows for it. */
function permissionByGroupId(store: Store): Map<string, string> {
  const names = new Set<string>(Object.values(P));
  for (const t of store.apiTokens.values()) for (const p of t.permissions) names.add(p);
  return new Map([...names].map((n) => [stableId(`perm:${n}`), n]));
}

/**
 * TokenCreateParams: `name` (1–120) and `policies` (non-empty; each `effect` allow|deny, non-empty
 * `permission_groups` of known ids, `resources` an object) are required; `condition`,
 * `expires_on`, `not_before` optional. The simulator grants the permissions of the allow policies
 * and does not evaluate deny policies; whether Cloudflare refuses permissions the admin
 * credential may not grant is unverified (notes C), and the simulator does not refuse them.
 */
function parseCreate<Ctx, Ok>(kit: RouteKit<Ctx, Ok>, c: Ctx, ownAccount: string | undefined): { name: string; permissions: string[]; accounts?: string[]; policies: unknown[]; resources: Record<string, unknown>; condition?: unknown; expiresOn?: number; notBefore?: number } {
  const x = kit.ctx(c);
  const body = x.body(true) as Record<string, unknown>;
  const name = body.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 120) throw kit.invalid('name must be a string of 1 to 120 characters');
  const policies = body.policies;
  if (!Array.isArray(policies) || policies.length === 0) throw kit.invalid('policies must be a non-empty array');
  const groups = permissionByGroupId(x.store);
  const permissions = new Set<string>();
  const accounts = new Set<string>();
  let everyAccount = false;
  let resources: Record<string, unknown> = {};
  for (const p of policies) {
    if (!isRecord(p) || (p.effect !== 'allow' && p.effect !== 'deny')) throw kit.invalid('each policy needs "effect": "allow" or "deny"');
    if (!Array.isArray(p.permission_groups) || p.permission_groups.length === 0) throw kit.invalid('each policy needs a non-empty permission_groups');
    if (!isRecord(p.resources)) throw kit.invalid('each policy needs a resources object');
    const names: string[] = [];
    for (const g of p.permission_groups) {
      const id = isRecord(g) ? g.id : undefined;
      const n = typeof id === 'string' ? groups.get(id) : undefined;
      if (n === undefined) throw kit.invalid('a permission group id is unknown');
      names.push(n);
    }
    if (p.effect === 'deny') continue;
    names.forEach((n) => permissions.add(n));
    resources = { ...resources, ...p.resources };
    for (const key of Object.keys(p.resources)) {
      const m = /^com\.cloudflare\.api\.account\.([0-9a-f]{32}|\*)$/.exec(key);
      if (m?.[1] === '*') everyAccount = true;
      else if (m?.[1]) accounts.add(m[1]);
    }
  }
  if (ownAccount !== undefined) {
    for (const a of accounts) if (a !== ownAccount) throw kit.invalid('an account-owned token can only be granted its own account');
  }
  const out: ReturnType<typeof parseCreate> = { name, permissions: [...permissions], policies, resources };
  if (ownAccount === undefined && !everyAccount && accounts.size > 0) out.accounts = [...accounts];
  if (body.condition !== undefined) {
    if (!isRecord(body.condition)) throw kit.invalid('condition must be an object');
    out.condition = body.condition;
  }
  for (const [k, field] of [['expires_on', 'expiresOn'], ['not_before', 'notBefore']] as const) {
    if (body[k] === undefined || body[k] === null) continue;
    const ms = parseDateTime(body[k]);
    if (ms === undefined) throw kit.invalid(`${k} must be an RFC 3339 date-time`);
    out[field] = ms;
  }
  return out;
}

export function registerZeroDowntimeRoutes<Ctx, Ok>(kit: RouteKit<Ctx, Ok>): void {
  // ------------------------------------------------------------ API tokens: create, delete
  const create = (c: Ctx, accountId: string | undefined): Ok => {
    const x = kit.ctx(c);
    const spec = parseCreate(kit, c, accountId);
    const t = x.store.createApiToken(spec, accountId);
    return kit.ok({ ...kit.tokenView(x.store, t), value: t.value });
  };
  const remove = (c: Ctx, accountId: string | undefined): Ok => {
    const x = kit.ctx(c);
    const t = kit.findToken(c, accountId);
    x.store.deleteApiToken(t);
    return kit.ok({ id: t.id });
  };
  kit.route('POST', '/user/tokens', 'createUserToken', (c) => (kit.demand(c, TOK_W, 'user'), create(c, undefined)));
  kit.route('DELETE', '/user/tokens/{token_id}', 'deleteUserToken', (c) => (kit.demand(c, TOK_W, 'user'), remove(c, undefined)));
  kit.route('POST', '/accounts/{account_id}/tokens', 'createAccountToken', (c) => {
    const a = kit.ctx(c).params.account_id as string;
    kit.demand(c, ATOK_W, { accountId: a });
    return create(c, a);
  });
  kit.route('DELETE', '/accounts/{account_id}/tokens/{token_id}', 'deleteAccountToken', (c) => {
    const a = kit.ctx(c).params.account_id as string;
    kit.demand(c, ATOK_W, { accountId: a });
    return remove(c, a);
  });

  // ------------------------------------------------------------ Turnstile widgets
  const noAccountOwned = (c: Ctx): void => {
    const p = kit.ctx(c).principal;
    if (p.kind === 'token' && p.token.owner === 'account') throw kit.error(403, 10000, 'Forbidden: account-owned API tokens are not supported by Turnstile');
  };
  const findWidget = (c: Ctx, perms: readonly string[]): WidgetRec => {
    noAccountOwned(c);
    const x = kit.ctx(c);
    const accountId = x.params.account_id as string;
    kit.demand(c, perms, { accountId });
    const w = x.store.widgets.get(x.params.sitekey as string);
    if (!w || w.accountId !== accountId) throw kit.notFound('Widget not found');
    return w;
  };
  const listView = (w: WidgetRec): Record<string, unknown> => ({
    sitekey: w.sitekey,
    name: w.name,
    mode: w.mode,
    domains: [...w.domains],
    bot_fight_mode: false,
    clearance_level: 'no_clearance',
    ephemeral_id: false,
    offlabel: false,
    region: 'world',
    created_on: iso(w.createdOn),
    modified_on: iso(w.modifiedOn),
  });
  const view = (w: WidgetRec): Record<string, unknown> => ({ ...listView(w), secret: w.secret });

  kit.route('GET', '/accounts/{account_id}/challenges/widgets', 'listTurnstileWidgets', (c) => {
    noAccountOwned(c);
    const x = kit.ctx(c);
    const accountId = x.params.account_id as string;
    kit.demand(c, TURN_R, { accountId });
    const items = [...x.store.widgets.values()].filter((w) => w.accountId === accountId).sort((a, b) => a.createdOn - b.createdOn);
    const { page, info } = kit.paginate(c, items, WIDGET_PAGE);
    return kit.ok(page.map(listView), { resultInfo: info });
  });
  kit.route('GET', '/accounts/{account_id}/challenges/widgets/{sitekey}', 'getTurnstileWidget', (c) => kit.ok(view(findWidget(c, TURN_R))));
  /**
   * Body optional: `{invalidate_immediately?: boolean}`. "Secrets cannot be rotated again during
   * the grace period": while a previous secret is still accepted, 400 code 1004 (the status and
   * code are the simulator's choice). With `invalidate_immediately` the previous secret dies now.
   */
  kit.route('POST', '/accounts/{account_id}/challenges/widgets/{sitekey}/rotate_secret', 'rotateTurnstileSecret', (c) => {
    const w = findWidget(c, TURN_W);
    const x = kit.ctx(c);
    const body = x.body(false) ?? {};
    const inv = body.invalidate_immediately;
    if (inv !== undefined && typeof inv !== 'boolean') throw kit.invalid('invalidate_immediately must be a boolean');
    if (w.previousSecretExpiresAt !== undefined && x.now < w.previousSecretExpiresAt) {
      throw kit.error(400, 1004, `Invalid request: the secret cannot be rotated again during the grace period (until ${iso(w.previousSecretExpiresAt)})`);
    }
    w.previousSecret = w.secret;
    w.previousSecretExpiresAt = inv === true ? x.now : x.now + TURNSTILE_GRACE_MS;
    w.secret = newTurnstileSecret();
    w.modifiedOn = x.now;
    w.rotations += 1;
    return kit.ok(view(w));
  });

  // ------------------------------------------------------------ OAuth clients
  const findClient = (c: Ctx, perms: readonly string[]): OAuthClientRec => {
    const x = kit.ctx(c);
    const accountId = x.params.account_id as string;
    kit.demand(c, perms, { accountId });
    const cl = x.store.oauthClients.get(x.params.oauth_client_id as string);
    if (!cl || cl.accountId !== accountId) throw kit.notFound('OAuth client not found');
    return cl;
  };
  const clientView = (cl: OAuthClientRec): Record<string, unknown> => ({
    client_id: cl.clientId,
    visibility: 'private',
    client_name: cl.name,
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://example.com/callback'],
    response_types: ['code'],
    scopes: ['account.read'],
    token_endpoint_auth_method: 'client_secret_post',
    has_rotated_secret: cl.previousSecret !== undefined,
    created_at: iso(cl.createdAt),
    updated_at: iso(cl.updatedAt),
  });
  kit.route('GET', '/accounts/{account_id}/oauth_clients', 'listOAuthClients', (c) => {
    const x = kit.ctx(c);
    const accountId = x.params.account_id as string;
    kit.demand(c, OAUTH_R, { accountId });
    return kit.ok([...x.store.oauthClients.values()].filter((cl) => cl.accountId === accountId).map(clientView));
  });
  kit.route('GET', '/accounts/{account_id}/oauth_clients/{oauth_client_id}', 'getOAuthClient', (c) => kit.ok(clientView(findClient(c, OAUTH_R))));
  /**
   * "Creates a second client secret": the current one becomes the previous one (both accepted).
   * A third secret while a previous one exists is refused, 409 code 1004 (the simulator's choice:
   * the SDK says only that the previous secret is deleted after the client configuration moved).
   * No request body (the SDK sends none); a body that is not a JSON object is refused.
   */
  kit.route('POST', '/accounts/{account_id}/oauth_clients/{oauth_client_id}/rotate_secret', 'rotateOAuthClientSecret', (c) => {
    const cl = findClient(c, OAUTH_W);
    kit.ctx(c).body(false);
    if (cl.previousSecret !== undefined) throw kit.error(409, 1004, 'Invalid request: the client already has a rotated secret; delete it before rotating again');
    const now = kit.ctx(c).now;
    cl.previousSecret = cl.secret;
    cl.secret = newOAuthSecret();
    cl.updatedAt = now;
    return kit.ok({ client_secret: cl.secret });
  });
  /** Deleting when there is no previous secret: 404 code 1003 (the simulator's choice). */
  kit.route('DELETE', '/accounts/{account_id}/oauth_clients/{oauth_client_id}/rotate_secret', 'deleteRotatedOAuthClientSecret', (c) => {
    const cl = findClient(c, OAUTH_W);
    if (cl.previousSecret === undefined) throw kit.notFound('No rotated secret to delete');
    delete cl.previousSecret;
    cl.updatedAt = kit.ctx(c).now;
    return kit.ok({ id: cl.clientId });
  });
}
