/**
 * The simulator's in-memory model: loads and validates scenarios, holds every credential
 * with its live secret, and implements the state changes (roll, rotate, create, delete).
 * No HTTP here.
 */
import type {
  AccessCheckResult,
  ApiTokenState,
  MoqCheckResult,
  MoqOperation,
  MoqRelayState,
  MoqTokenState,
  Scenario,
  ScenarioAccount,
  ScenarioApiToken,
  ScenarioMoqRelay,
  ScenarioMoqToken,
  ScenarioSeed,
  ScenarioServiceToken,
  ScenarioZone,
  ScenarioWorker,
  ScenarioPagesProject,
  ScenarioSecretsStore,
  ScenarioGitHubRepo,
  ScenarioGitHubToken,
  SeedResult,
  ServiceTokenState,
  TokenStatus,
} from './types';
import {
  EMAIL,
  HEX32,
  TOKEN_VALUE,
  UUID,
  YEAR_MS,
  accountTokenValue,
  decodeMoqJwt,
  hex32,
  iso,
  isGlobalKeyFormat,
  isoOpt,
  isRecord,
  moqTypeOf,
  parseDateTime,
  parseDuration,
  serviceClientId,
  serviceTokenSecret,
  signMoqJwt,
  userTokenValue,
  uuid,
} from './util';
import { Destinations } from './destinations';

export interface ApiTokenRec {
  id: string;
  name: string;
  owner: 'user' | 'account';
  accountId?: string;
  value: string;
  /** Configured status; `effectiveStatus()` adds expiry. */
  status: TokenStatus;
  permissions: string[];
  accounts?: string[];
  issuedOn: number;
  modifiedOn: number;
  lastUsedOn?: number;
  notBefore?: number;
  expiresOn?: number;
  version: number;
  previousValue?: string;
  previousValueRevokedAt?: number;
}

export interface ServiceTokenRec {
  id: string;
  name: string;
  accountId?: string;
  zoneId?: string;
  clientId: string;
  secret: string;
  version: number;
  previousSecret?: string;
  previousSecretExpiresAt?: number;
  enabled: boolean;
  duration: string;
  createdAt: number;
  updatedAt: number;
  expiresAt?: number;
  lastSeenAt?: number;
}

export interface MoqTokenRec {
  jti: string;
  operations: MoqOperation[];
  label?: string;
  created: number;
  expires: number;
  secret: string;
}

export interface RelayRec {
  uid: string;
  accountId: string;
  name: string;
  created: number;
  modified: number;
  config: Record<string, unknown>;
  connected: boolean;
  tokens: Map<string, MoqTokenRec>;
  /** Deleted tokens by jti, with when they were deleted (the relay may cache them a while). */
  revoked: Map<string, MoqTokenRec & { revokedAt: number }>;
}

export const MAX_MOQ_TOKENS_PER_RELAY = 10;

class ScenarioError extends Error {
  constructor(where: string, message: string) {
    super(`scenario: ${where}: ${message}`);
    this.name = 'ScenarioError';
  }
}

function optDate(where: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDateTime(v);
  if (ms === undefined) throw new ScenarioError(where, `not an RFC 3339 date-time: ${JSON.stringify(v)}`);
  return ms;
}

function need(cond: boolean, where: string, message: string): asserts cond {
  if (!cond) throw new ScenarioError(where, message);
}

function strArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

export class Store {
  user: { id: string; email: string; globalApiKey: string; firstName?: string; lastName?: string };
  readonly accounts = new Map<string, ScenarioAccount>();
  readonly zones = new Map<string, ScenarioZone>();
  readonly apiTokens = new Map<string, ApiTokenRec>();
  readonly byValue = new Map<string, ApiTokenRec>();
  /** Values that were valid once and were rolled away (revoked), by value. */
  readonly revokedValues = new Map<string, ApiTokenRec>();
  readonly serviceTokens = new Map<string, ServiceTokenRec>();
  readonly byClientId = new Map<string, ServiceTokenRec>();
  readonly relays = new Map<string, RelayRec>();
  /** How long a relay still accepts a deleted MoQ token (its cache TTL); set by the server. */
  moqRevocationDelayMs = 0;
  /** Workers, Pages projects, Secrets Stores and GitHub repositories (destinations of a new secret). */
  readonly destinations: Destinations;

  constructor(
    scenario: Scenario,
    readonly now: () => number,
  ) {
    need(isRecord(scenario), 'root', 'must be an object');
    const u = scenario.user;
    need(isRecord(u), 'user', 'required');
    need(typeof u.id === 'string' && HEX32.test(u.id), 'user.id', 'must be 32 lowercase hex');
    need(typeof u.email === 'string' && EMAIL.test(u.email), 'user.email', 'must be an email address');
    need(
      typeof u.globalApiKey === 'string' && isGlobalKeyFormat(u.globalApiKey),
      'user.globalApiKey',
      'must be cfk_ + 40 alphanumerics + checksum, or 37-45 lowercase hex (pre-2026)',
    );
    this.user = { ...u };
    this.destinations = new Destinations(now, (id) => this.accounts.has(id));
    this.seed(scenario);
  }

  // ------------------------------------------------------------ loading / seeding

  seed(s: ScenarioSeed): SeedResult {
    need(isRecord(s), 'seed', 'must be an object');
    const out: SeedResult = { accounts: [], zones: [], userTokens: [], accountTokens: [], serviceTokens: [], moqRelays: [], workers: [], pagesProjects: [], secretsStores: [], githubRepos: [], githubTokens: [] };
    const list = <T>(key: keyof ScenarioSeed): T[] => {
      const v = s[key];
      if (v === undefined) return [];
      need(Array.isArray(v), key, 'must be an array');
      return v as T[];
    };
    list<ScenarioAccount>('accounts').forEach((a, i) => out.accounts.push(this.addAccount(a, `accounts[${i}]`)));
    list<ScenarioZone>('zones').forEach((z, i) => out.zones.push(this.addZone(z, `zones[${i}]`)));
    list<ScenarioApiToken>('userTokens').forEach((t, i) =>
      out.userTokens.push(this.apiTokenState(this.addApiToken(t, undefined, `userTokens[${i}]`))),
    );
    list<ScenarioApiToken & { accountId: string }>('accountTokens').forEach((t, i) =>
      out.accountTokens.push(this.apiTokenState(this.addApiToken(t, t.accountId, `accountTokens[${i}]`))),
    );
    list<ScenarioServiceToken>('serviceTokens').forEach((t, i) =>
      out.serviceTokens.push(this.serviceTokenState(this.addServiceToken(t, `serviceTokens[${i}]`))),
    );
    list<ScenarioMoqRelay>('moqRelays').forEach((r, i) => out.moqRelays.push(this.relayState(this.addRelay(r, `moqRelays[${i}]`))));
    const d = this.destinations;
    list<ScenarioWorker>('workers').forEach((w, i) => out.workers.push(d.workerState(d.addWorker(w, `workers[${i}]`))));
    list<ScenarioPagesProject>('pagesProjects').forEach((p, i) => out.pagesProjects.push(d.pagesState(d.addPagesProject(p, `pagesProjects[${i}]`))));
    list<ScenarioSecretsStore>('secretsStores').forEach((s, i) => out.secretsStores.push(d.storeState(d.addSecretsStore(s, `secretsStores[${i}]`))));
    list<ScenarioGitHubRepo>('githubRepos').forEach((r, i) => out.githubRepos.push(d.repoState(d.addGitHubRepo(r, `githubRepos[${i}]`))));
    list<ScenarioGitHubToken>('githubTokens').forEach((t) => out.githubTokens.push(d.githubTokenState(d.addGitHubToken(t))));
    return out;
  }

  addAccount(a: Partial<ScenarioAccount>, where = 'account'): ScenarioAccount {
    need(isRecord(a), where, 'must be an object');
    const id = a.id ?? hex32();
    need(HEX32.test(id), `${where}.id`, 'must be 32 lowercase hex');
    need(!this.accounts.has(id), `${where}.id`, `duplicate account ${id}`);
    const acc = { id, name: a.name ?? `Account ${id.slice(0, 6)}` };
    this.accounts.set(id, acc);
    return { ...acc };
  }

  addZone(z: Partial<ScenarioZone> & { accountId: string }, where = 'zone'): ScenarioZone {
    need(isRecord(z), where, 'must be an object');
    const id = z.id ?? hex32();
    need(HEX32.test(id), `${where}.id`, 'must be 32 lowercase hex');
    need(!this.zones.has(id), `${where}.id`, `duplicate zone ${id}`);
    need(this.accounts.has(z.accountId), `${where}.accountId`, `unknown account ${z.accountId}`);
    const zone = { id, name: z.name ?? `zone-${id.slice(0, 6)}.example`, accountId: z.accountId };
    this.zones.set(id, zone);
    return { ...zone };
  }

  addApiToken(t: Partial<ScenarioApiToken>, accountId: string | undefined, where = 'token'): ApiTokenRec {
    need(isRecord(t), where, 'must be an object');
    const id = t.id ?? hex32();
    need(HEX32.test(id), `${where}.id`, 'must be 32 lowercase hex');
    need(!this.apiTokens.has(id), `${where}.id`, `duplicate token id ${id}`);
    if (accountId !== undefined) need(this.accounts.has(accountId), `${where}.accountId`, `unknown account ${accountId}`);
    const value = t.value ?? (accountId === undefined ? userTokenValue() : accountTokenValue());
    need(TOKEN_VALUE.test(value), `${where}.value`, 'must be 40-80 characters of [A-Za-z0-9_-]');
    need(!this.byValue.has(value), `${where}.value`, 'duplicate token value');
    const status = t.status ?? 'active';
    need(['active', 'disabled', 'expired'].includes(status), `${where}.status`, 'must be active|disabled|expired');
    const permissions = t.permissions ?? [];
    need(strArray(permissions), `${where}.permissions`, 'must be an array of strings');
    if (t.accounts !== undefined) {
      need(strArray(t.accounts), `${where}.accounts`, 'must be an array of account ids');
      need(accountId === undefined, `${where}.accounts`, 'only user-owned tokens take an account limit');
    }
    const now = this.now();
    const issuedOn = optDate(`${where}.issuedOn`, t.issuedOn) ?? now;
    const rec: ApiTokenRec = {
      id,
      name: String(t.name ?? `token ${id.slice(0, 6)}`),
      owner: accountId === undefined ? 'user' : 'account',
      value,
      status,
      permissions: [...permissions],
      issuedOn,
      modifiedOn: optDate(`${where}.modifiedOn`, t.modifiedOn) ?? issuedOn,
      version: 1,
    };
    if (accountId !== undefined) rec.accountId = accountId;
    if (t.accounts !== undefined) rec.accounts = [...t.accounts];
    const lastUsedOn = optDate(`${where}.lastUsedOn`, t.lastUsedOn);
    if (lastUsedOn !== undefined) rec.lastUsedOn = lastUsedOn;
    const notBefore = optDate(`${where}.notBefore`, t.notBefore);
    if (notBefore !== undefined) rec.notBefore = notBefore;
    const expiresOn = optDate(`${where}.expiresOn`, t.expiresOn);
    if (expiresOn !== undefined) rec.expiresOn = expiresOn;
    this.apiTokens.set(id, rec);
    this.byValue.set(value, rec);
    return rec;
  }

  addServiceToken(t: Partial<ScenarioServiceToken>, where = 'serviceToken'): ServiceTokenRec {
    need(isRecord(t), where, 'must be an object');
    need((t.accountId === undefined) !== (t.zoneId === undefined), where, 'needs exactly one of accountId / zoneId');
    if (t.accountId !== undefined) need(this.accounts.has(t.accountId), `${where}.accountId`, `unknown account ${t.accountId}`);
    if (t.zoneId !== undefined) need(this.zones.has(t.zoneId), `${where}.zoneId`, `unknown zone ${t.zoneId}`);
    const id = t.id ?? uuid();
    need(UUID.test(id), `${where}.id`, 'must be a lowercase uuid');
    need(!this.serviceTokens.has(id), `${where}.id`, `duplicate service token ${id}`);
    const clientId = t.clientId ?? serviceClientId();
    need(/^[0-9a-f]{32}\.access$/.test(clientId), `${where}.clientId`, 'must be <32 hex>.access');
    need(!this.byClientId.has(clientId), `${where}.clientId`, 'duplicate client id');
    const duration = t.duration ?? '8760h';
    const durMs = parseDuration(duration);
    need(durMs !== undefined, `${where}.duration`, 'must be a Go duration (e.g. 8760h) or "forever"');
    const secret = t.clientSecret ?? serviceTokenSecret();
    need(typeof secret === 'string' && secret.length >= 16, `${where}.clientSecret`, 'must be a string of 16+ chars');
    const now = this.now();
    const createdAt = optDate(`${where}.createdAt`, t.createdAt) ?? now;
    const rec: ServiceTokenRec = {
      id,
      name: String(t.name ?? `service token ${id.slice(0, 6)}`),
      clientId,
      secret,
      version: t.clientSecretVersion ?? 1,
      enabled: t.enabled ?? true,
      duration,
      createdAt,
      updatedAt: optDate(`${where}.updatedAt`, t.updatedAt) ?? createdAt,
    };
    need(Number.isInteger(rec.version) && rec.version >= 1, `${where}.clientSecretVersion`, 'must be an integer >= 1');
    if (t.accountId !== undefined) rec.accountId = t.accountId;
    if (t.zoneId !== undefined) rec.zoneId = t.zoneId;
    const expiresAt = optDate(`${where}.expiresAt`, t.expiresAt) ?? (Number.isFinite(durMs) ? createdAt + durMs : undefined);
    if (expiresAt !== undefined) rec.expiresAt = expiresAt;
    if (t.previousClientSecret !== undefined) rec.previousSecret = t.previousClientSecret;
    const prevExp = optDate(`${where}.previousClientSecretExpiresAt`, t.previousClientSecretExpiresAt);
    if (prevExp !== undefined) rec.previousSecretExpiresAt = prevExp;
    const lastSeen = optDate(`${where}.lastSeenAt`, t.lastSeenAt);
    if (lastSeen !== undefined) rec.lastSeenAt = lastSeen;
    this.serviceTokens.set(id, rec);
    this.byClientId.set(clientId, rec);
    return rec;
  }

  addRelay(r: Partial<ScenarioMoqRelay> & { accountId: string }, where = 'moqRelay'): RelayRec {
    need(isRecord(r), where, 'must be an object');
    need(this.accounts.has(r.accountId), `${where}.accountId`, `unknown account ${r.accountId}`);
    const uid = r.uid ?? hex32();
    need(HEX32.test(uid), `${where}.uid`, 'must be 32 lowercase hex');
    need(!this.relays.has(uid), `${where}.uid`, `duplicate relay ${uid}`);
    const created = optDate(`${where}.created`, r.created) ?? this.now();
    const relay: RelayRec = {
      uid,
      accountId: r.accountId,
      name: String(r.name ?? `relay ${uid.slice(0, 6)}`),
      created,
      modified: optDate(`${where}.modified`, r.modified) ?? created,
      config: isRecord(r.config) ? { ...r.config } : {},
      connected: r.connected ?? false,
      tokens: new Map(),
      revoked: new Map(),
    };
    this.relays.set(uid, relay);
    (r.tokens ?? []).forEach((t, i) => this.addMoqToken(relay, t, `${where}.tokens[${i}]`));
    return relay;
  }

  addMoqToken(relay: RelayRec, t: ScenarioMoqToken, where = 'moqToken'): MoqTokenRec {
    need(isRecord(t), where, 'must be an object');
    need(
      Array.isArray(t.operations) && t.operations.length > 0 && t.operations.every((o) => o === 'publish' || o === 'subscribe'),
      `${where}.operations`,
      'must be a non-empty subset of publish/subscribe',
    );
    const jti = t.jti ?? hex32();
    need(HEX32.test(jti), `${where}.jti`, 'must be 32 lowercase hex');
    need(!relay.tokens.has(jti), `${where}.jti`, `duplicate jti ${jti}`);
    const created = optDate(`${where}.created`, t.created) ?? this.now();
    const expires = optDate(`${where}.expires`, t.expires) ?? created + YEAR_MS;
    const operations = [...new Set(t.operations)].sort() as MoqOperation[];
    const secret =
      t.secret ??
      signMoqJwt({
        iss: 'cloudflare',
        sub: relay.uid,
        acc: relay.accountId,
        jti,
        operations,
        iat: Math.floor(created / 1000),
        exp: Math.floor(expires / 1000),
      });
    const rec: MoqTokenRec = { jti, operations, created, expires, secret };
    if (t.label !== undefined) rec.label = String(t.label);
    relay.tokens.set(jti, rec);
    return rec;
  }

  // ------------------------------------------------------------ state changes

  effectiveStatus(t: ApiTokenRec): TokenStatus {
    if (t.status !== 'active') return t.status;
    if (t.expiresOn !== undefined && t.expiresOn <= this.now()) return 'expired';
    return 'active';
  }

  /** Usable for authentication right now (active, within not_before / expires_on). */
  usable(t: ApiTokenRec): boolean {
    return this.effectiveStatus(t) === 'active' && (t.notBefore === undefined || t.notBefore <= this.now());
  }

  /**
   * New value; the old one is rejected at once everywhere (A6). `modified_on` moves to now
   * (the simulator's choice: the live API's behaviour here is unverified).
   */
  rollApiToken(t: ApiTokenRec): string {
    const now = this.now();
    this.byValue.delete(t.value);
    this.revokedValues.set(t.value, t);
    t.previousValue = t.value;
    t.previousValueRevokedAt = now;
    t.value = t.owner === 'user' ? userTokenValue() : accountTokenValue();
    t.modifiedOn = now;
    t.version += 1;
    this.byValue.set(t.value, t);
    return t.value;
  }

  /** New client secret; the previous one stays accepted until `graceUntil` (default: now = revoked). */
  rotateServiceToken(t: ServiceTokenRec, graceUntil: number | undefined, newVersion?: number): string {
    const now = this.now();
    t.previousSecret = t.secret;
    t.previousSecretExpiresAt = graceUntil ?? now;
    t.secret = serviceTokenSecret();
    t.version = newVersion ?? t.version + 1;
    t.updatedAt = now;
    return t.secret;
  }

  deleteServiceToken(t: ServiceTokenRec): void {
    this.serviceTokens.delete(t.id);
    this.byClientId.delete(t.clientId);
  }

  /** `now`: the request's instant (the one its expiry was computed from), so created + 1 year is exactly the default expiry. */
  newMoqToken(relay: RelayRec, operations: MoqOperation[], expires: number, label?: string, now: number = this.now()): MoqTokenRec {
    const spec: ScenarioMoqToken = { operations, created: iso(now), expires: iso(expires) };
    if (label !== undefined) spec.label = label;
    relay.modified = now;
    return this.addMoqToken(relay, spec);
  }

  /** Removes the token from the registry (idempotent). The relay may accept it for `moqRevocationDelayMs` more. */
  revokeMoqToken(relay: RelayRec, jti: string): boolean {
    const t = relay.tokens.get(jti);
    if (t === undefined) return false;
    relay.tokens.delete(jti);
    relay.revoked.set(jti, { ...t, revokedAt: this.now() });
    relay.modified = this.now();
    return true;
  }

  // ------------------------------------------------------------ checks

  accessCheck(clientId: string, secret: string): AccessCheckResult {
    const t = this.byClientId.get(clientId);
    if (t === undefined) return { allowed: false, reason: 'unknown client id' };
    const now = this.now();
    const base = { tokenId: t.id };
    if (!t.enabled) return { ...base, allowed: false, reason: 'service token is disabled' };
    if (t.expiresAt !== undefined && t.expiresAt <= now) return { ...base, allowed: false, reason: 'service token has expired' };
    if (secret === t.secret) {
      t.lastSeenAt = now;
      return { ...base, allowed: true, reason: 'current client secret', matched: 'current' };
    }
    if (t.previousSecret !== undefined && secret === t.previousSecret) {
      const until = t.previousSecretExpiresAt ?? now;
      if (now < until) {
        t.lastSeenAt = now;
        return { ...base, allowed: true, reason: `previous client secret, accepted until ${iso(until)}`, matched: 'previous' };
      }
      return { ...base, allowed: false, reason: `previous client secret expired at ${iso(until)}` };
    }
    return { ...base, allowed: false, reason: 'client secret does not match' };
  }

  moqCheck(token: string): MoqCheckResult {
    const claims = decodeMoqJwt(token);
    if (claims === undefined) return { allowed: false, reason: 'not a token issued by this relay service (bad format or signature)' };
    const relay = this.relays.get(claims.sub);
    const base = { relayId: claims.sub, jti: claims.jti };
    if (relay === undefined) return { ...base, allowed: false, reason: 'relay not found' };
    const now = this.now();
    const t = relay.tokens.get(claims.jti);
    if (t === undefined || t.secret !== token) {
      const gone = relay.revoked.get(claims.jti);
      if (gone === undefined || gone.secret !== token) return { ...base, allowed: false, reason: 'unknown token' };
      const until = gone.revokedAt + this.moqRevocationDelayMs;
      if (now >= until) return { ...base, allowed: false, reason: 'token revoked' };
      if (gone.expires <= now) return { ...base, allowed: false, reason: 'token expired' };
      return {
        ...base,
        allowed: true,
        reason: `token revoked at ${iso(gone.revokedAt)}, still in the relay's cache until ${iso(until)}`,
        operations: [...gone.operations],
      };
    }
    if (t.expires <= now) return { ...base, allowed: false, reason: 'token expired' };
    return { ...base, allowed: true, reason: 'valid token', operations: [...t.operations] };
  }

  // ------------------------------------------------------------ snapshots

  apiTokenState(t: ApiTokenRec): ApiTokenState {
    const s: ApiTokenState = {
      id: t.id,
      name: t.name,
      owner: t.owner,
      value: t.value,
      status: this.effectiveStatus(t),
      permissions: [...t.permissions],
      version: t.version,
      issuedOn: iso(t.issuedOn),
      modifiedOn: iso(t.modifiedOn),
    };
    if (t.accountId !== undefined) s.accountId = t.accountId;
    if (t.accounts !== undefined) s.accounts = [...t.accounts];
    if (t.previousValue !== undefined) s.previousValue = t.previousValue;
    const opt: [keyof ApiTokenState, number | undefined][] = [
      ['previousValueRevokedAt', t.previousValueRevokedAt],
      ['lastUsedOn', t.lastUsedOn],
      ['notBefore', t.notBefore],
      ['expiresOn', t.expiresOn],
    ];
    for (const [k, v] of opt) if (v !== undefined) (s as unknown as Record<string, string>)[k] = iso(v);
    return s;
  }

  serviceTokenState(t: ServiceTokenRec): ServiceTokenState {
    const now = this.now();
    const s: ServiceTokenState = {
      id: t.id,
      name: t.name,
      scope: t.accountId !== undefined ? 'account' : 'zone',
      clientId: t.clientId,
      clientSecret: t.secret,
      clientSecretVersion: t.version,
      previousSecretAccepted:
        t.enabled &&
        t.previousSecret !== undefined &&
        (t.previousSecretExpiresAt ?? now) > now &&
        (t.expiresAt === undefined || t.expiresAt > now),
      enabled: t.enabled,
      duration: t.duration,
      createdAt: iso(t.createdAt),
      updatedAt: iso(t.updatedAt),
    };
    if (t.accountId !== undefined) s.accountId = t.accountId;
    if (t.zoneId !== undefined) s.zoneId = t.zoneId;
    if (t.previousSecret !== undefined) s.previousClientSecret = t.previousSecret;
    const pe = isoOpt(t.previousSecretExpiresAt);
    if (pe !== undefined) s.previousClientSecretExpiresAt = pe;
    const ex = isoOpt(t.expiresAt);
    if (ex !== undefined) s.expiresAt = ex;
    const ls = isoOpt(t.lastSeenAt);
    if (ls !== undefined) s.lastSeenAt = ls;
    return s;
  }

  moqTokenState(t: MoqTokenRec): MoqTokenState {
    const s: MoqTokenState = {
      jti: t.jti,
      operations: [...t.operations],
      created: iso(t.created),
      expires: iso(t.expires),
      secret: t.secret,
    };
    const type = moqTypeOf(t.operations);
    if (type !== undefined) s.type = type;
    if (t.label !== undefined) s.label = t.label;
    return s;
  }

  relayState(r: RelayRec): MoqRelayState {
    return {
      uid: r.uid,
      accountId: r.accountId,
      name: r.name,
      created: iso(r.created),
      modified: iso(r.modified),
      tokens: [...r.tokens.values()].map((t) => this.moqTokenState(t)),
      revokedJtis: [...r.revoked.keys()],
    };
  }
}
