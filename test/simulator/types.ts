/**
 * Public types of the Cloudflare API simulator: scenario format, faults, control API,
 * recorded requests and state snapshots. See README.md in this folder.
 */

/** Every operation the simulator implements, by the name used in faults, requests() and stats(). */
export const OPERATIONS = [
  'verifyUserToken',
  'verifyAccountToken',
  'rollUserToken',
  'rollAccountToken',
  'listUserTokens',
  'getUserToken',
  'listAccountTokens',
  'getAccountToken',
  'listServiceTokens',
  'getServiceToken',
  'createServiceToken',
  'updateServiceToken',
  'deleteServiceToken',
  'rotateServiceToken',
  'refreshServiceToken',
  'listMoqRelays',
  'getMoqRelay',
  'moqRotate',
  'createMoqToken',
  'listMoqTokens',
  'deleteMoqToken',
  'listAccounts',
  'listZones',
  'getUser',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Operations whose success response carries a new secret (targets of the `missing-secret` fault). */
export const SECRET_OPERATIONS: readonly OperationName[] = [
  'rollUserToken',
  'rollAccountToken',
  'rotateServiceToken',
  'updateServiceToken',
  'createServiceToken',
  'moqRotate',
  'createMoqToken',
];

/** Routes that can be switched off (then they answer 404 / 7003 like a removed route). */
export type ToggleableRoute = 'moqRotate';

/** Permission names checked by the simulator (strings in a token's `permissions`). */
export const PERMISSIONS = {
  apiTokensRead: 'API Tokens Read',
  apiTokensWrite: 'API Tokens Write',
  accountApiTokensRead: 'Account API Tokens Read',
  accountApiTokensWrite: 'Account API Tokens Write',
  serviceTokensRead: 'Access: Service Tokens Read',
  serviceTokensWrite: 'Access: Service Tokens Write',
  moqRead: 'MoQ Read',
  moqWrite: 'MoQ Write',
  userDetailsRead: 'User Details Read',
} as const;
export type PermissionName = (typeof PERMISSIONS)[keyof typeof PERMISSIONS];
export const ALL_PERMISSIONS: readonly PermissionName[] = Object.values(PERMISSIONS);

export type TokenStatus = 'active' | 'disabled' | 'expired';
export type MoqOperation = 'publish' | 'subscribe';
export type MoqTokenType = 'publish_subscribe' | 'subscribe';

// ---------------------------------------------------------------- scenario (JSON) format

export interface ScenarioUser {
  id: string; // 32 hex
  email: string;
  /** Global API key: 37 lowercase hex characters. */
  globalApiKey: string;
  firstName?: string;
  lastName?: string;
}

export interface ScenarioAccount {
  id: string; // 32 hex
  name: string;
}

export interface ScenarioZone {
  id: string; // 32 hex
  name: string;
  accountId: string;
}

export interface ScenarioApiToken {
  id?: string; // 32 hex; generated when omitted
  name: string;
  /** Current secret, 40–80 chars of [A-Za-z0-9_-]; generated (cfut_/cfat_…) when omitted. */
  value?: string;
  status?: TokenStatus; // default active
  permissions?: string[];
  /** Optional limit: the permissions apply only to these account ids (user-owned tokens). */
  accounts?: string[];
  issuedOn?: string;
  modifiedOn?: string;
  lastUsedOn?: string;
  notBefore?: string;
  expiresOn?: string;
}

export interface ScenarioAccountToken extends ScenarioApiToken {
  accountId: string;
}

export interface ScenarioServiceToken {
  id?: string; // uuid; generated when omitted
  name: string;
  /** Exactly one of accountId / zoneId. */
  accountId?: string;
  zoneId?: string;
  clientId?: string; // `<32 hex>.access`; generated when omitted
  clientSecret?: string; // generated (cfast_…) when omitted
  duration?: string; // Go duration or "forever"; default 8760h
  clientSecretVersion?: number; // default 1
  previousClientSecret?: string;
  previousClientSecretExpiresAt?: string;
  enabled?: boolean; // default true
  createdAt?: string;
  updatedAt?: string;
  expiresAt?: string; // default createdAt + duration
  lastSeenAt?: string;
}

export interface ScenarioMoqToken {
  jti?: string; // 32 hex; generated when omitted
  operations: MoqOperation[];
  label?: string;
  created?: string;
  expires?: string; // default created + 1 year
  /** JWT; when omitted it is derived deterministically from the other fields. */
  secret?: string;
}

export interface ScenarioMoqRelay {
  uid?: string; // 32 hex; generated when omitted
  accountId: string;
  name: string;
  created?: string;
  modified?: string;
  config?: Record<string, unknown>;
  connected?: boolean;
  tokens?: ScenarioMoqToken[];
}

export interface Scenario {
  /** Free text, shown by the CLI. */
  description?: string;
  user: ScenarioUser;
  accounts?: ScenarioAccount[];
  zones?: ScenarioZone[];
  userTokens?: ScenarioApiToken[];
  accountTokens?: ScenarioAccountToken[];
  serviceTokens?: ScenarioServiceToken[];
  moqRelays?: ScenarioMoqRelay[];
}

/** A partial scenario merged into the live state by `control.seed()` (no user). */
export type ScenarioSeed = Omit<Scenario, 'user' | 'description'>;

// ---------------------------------------------------------------- faults

interface FaultBase {
  /** Only requests matched to this operation; omitted = any operation. */
  op?: OperationName;
  /** How many times the fault fires; default 1; -1 or Infinity = until cleared. */
  times?: number;
  /** Let this many matching requests through before the fault starts firing (default 0). */
  after?: number;
}
/** Answer with this HTTP status and an error envelope instead of processing the request. */
export interface StatusFault extends FaultBase {
  type: 'status';
  status: 500 | 502 | 503;
}
/** Answer 429 with `retry-after: retryAfterSec` without processing. */
export interface RateLimitFault extends FaultBase {
  type: 'rate-limit';
  retryAfterSec: number;
}
/**
 * Process the request (the change IS committed), then send a truncated, unparsable JSON
 * body with the real status. Fires only on 2xx outcomes.
 */
export interface MalformedJsonFault extends FaultBase {
  type: 'malformed-json';
}
/**
 * Process the request (committed), then answer success WITHOUT the secret
 * (roll: no `result`; service token: no `client_secret`; MoQ: no `token`/`secret`).
 * Fires only on 2xx responses that carry a secret.
 */
export interface MissingSecretFault extends FaultBase {
  type: 'missing-secret';
}
/** Process the request (committed), then destroy the socket without answering. Fires only on 2xx outcomes. */
export interface DropAfterCommitFault extends FaultBase {
  type: 'drop-after-commit';
}
/**
 * Process the request (committed), then never answer: the socket stays open until the client
 * gives up or close(). The crash-injection suite kills the client in this window.
 */
export interface HangAfterCommitFault extends FaultBase {
  type: 'hang-after-commit';
}
/** Never answer and never process; the socket stays open until the client gives up or close(). */
export interface HangFault extends FaultBase {
  type: 'hang';
}
/**
 * Answer `status` (default 400) without processing, with an error envelope that quotes the
 * request's credential headers verbatim (`Authorization`, `X-Auth-Key`, `X-Auth-Email`,
 * `CF-Access-Client-Secret`), one error per header, as a misbehaving proxy or gateway might.
 * The live API never does this; the leak tests use it to put secrets into error bodies.
 */
export interface EchoHeadersFault extends FaultBase {
  type: 'echo-headers';
  status?: 400 | 401 | 403 | 500 | 502 | 503;
}
/** Add `ms` of latency to the matching requests (on top of the global latency). */
export interface LatencyFault extends FaultBase {
  type: 'latency';
  ms: number;
}
export type Fault =
  | StatusFault
  | RateLimitFault
  | MalformedJsonFault
  | MissingSecretFault
  | DropAfterCommitFault
  | HangAfterCommitFault
  | HangFault
  | EchoHeadersFault
  | LatencyFault;
export type FaultType = Fault['type'];

export interface ActiveFault {
  id: string;
  fault: Fault;
  /** Remaining firings (Infinity = unlimited). */
  remaining: number;
  /** Matching requests still to let through before firing. */
  skip: number;
  fired: number;
}

// ---------------------------------------------------------------- inspection

export interface RecordedRequest {
  seq: number;
  at: string; // ISO, simulator clock
  method: string;
  /** Full request path, e.g. /client/v4/user/tokens/verify. */
  path: string;
  /** Path below the API base, e.g. /user/tokens/verify. */
  apiPath: string;
  query: Record<string, string | string[]>;
  /** Request headers; credentials (authorization, x-auth-key, cf-access-client-secret, cookie) are '[redacted]'. */
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if it was not JSON, or undefined when empty. */
  body: unknown;
  op: OperationName | null;
  /** HTTP status sent; null when dropped or hung. */
  status: number | null;
  outcome: 'answered' | 'dropped' | 'hung';
  fault?: FaultType;
  /** Rate-limit bucket of the caller: `token:<id>`, `global-key:<email>` or `anonymous`. */
  credential: string;
  durationMs: number;
}

export interface RequestFilter {
  op?: OperationName;
  method?: string;
}

export interface CredentialStats {
  requests: number;
  rateLimited: number;
}

export interface SimStats {
  requests: number;
  rateLimited: number;
  inFlight: number;
  maxInFlight: number;
  byCredential: Record<string, CredentialStats>;
  byOperation: Partial<Record<OperationName, { requests: number; errors: number }>>;
  byStatus: Record<string, number>;
}

export interface ApiTokenState {
  id: string;
  name: string;
  owner: 'user' | 'account';
  accountId?: string;
  /** Current secret (accepted). */
  value: string;
  status: TokenStatus;
  permissions: string[];
  accounts?: string[];
  /** 1 + number of rolls. */
  version: number;
  /** The value before the last roll (already rejected) and when it was revoked. */
  previousValue?: string;
  previousValueRevokedAt?: string;
  issuedOn: string;
  modifiedOn: string;
  lastUsedOn?: string;
  notBefore?: string;
  expiresOn?: string;
}

export interface ServiceTokenState {
  id: string;
  name: string;
  scope: 'account' | 'zone';
  accountId?: string;
  zoneId?: string;
  clientId: string;
  clientSecret: string;
  clientSecretVersion: number;
  previousClientSecret?: string;
  previousClientSecretExpiresAt?: string;
  /** Whether Access would accept the previous secret right now. */
  previousSecretAccepted: boolean;
  enabled: boolean;
  duration: string;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  lastSeenAt?: string;
}

export interface MoqTokenState {
  jti: string;
  operations: MoqOperation[];
  /** publish_subscribe / subscribe when the operations match one of the rotate types. */
  type?: MoqTokenType;
  label?: string;
  created: string;
  expires: string;
  secret: string;
}

export interface MoqRelayState {
  uid: string;
  accountId: string;
  name: string;
  created: string;
  modified: string;
  tokens: MoqTokenState[];
  /** jtis deleted or invalidated by rotate. */
  revokedJtis: string[];
}

export interface SimConfigState {
  latencyMs: number;
  rateLimit: RateLimitConfig;
  routes: Record<ToggleableRoute, boolean>;
  /** Whether the clock is frozen by setNow()/advance(). */
  clockFrozen: boolean;
}

/** Every entity with its live secrets (the same lists a seeding call returns), plus clock, user and config. */
export interface SimState extends SeedResult {
  now: string;
  user: { id: string; email: string; globalApiKey: string };
  config: SimConfigState;
}

export interface RateLimitConfig {
  limit: number;
  windowMs: number;
}

export interface AccessCheckResult {
  allowed: boolean;
  reason: string;
  tokenId?: string;
  /** Which secret matched. */
  matched?: 'current' | 'previous';
}

export interface MoqCheckResult {
  allowed: boolean;
  reason: string;
  relayId?: string;
  jti?: string;
  operations?: MoqOperation[];
}

/** What a seeding call created, with the live secrets. */
export interface SeedResult {
  accounts: ScenarioAccount[];
  zones: ScenarioZone[];
  userTokens: ApiTokenState[];
  accountTokens: ApiTokenState[];
  serviceTokens: ServiceTokenState[];
  moqRelays: MoqRelayState[];
}

export interface SimulatorControl {
  /** Live state: every credential with its current secret. */
  state(): SimState;
  /** Back to a fresh start with the same options and this scenario (default: the start scenario). */
  reset(scenario?: Scenario | 'demo' | string): void;
  setLatency(ms: number): void;
  setRateLimit(rl: RateLimitConfig): void;
  /** Forget rate-limit windows (counts start again). */
  resetRateLimits(): void;
  addFault(f: Fault): string;
  removeFault(id: string): void;
  clearFaults(): void;
  faults(): ActiveFault[];
  setRouteEnabled(route: ToggleableRoute, enabled: boolean): void;
  requests(filter?: RequestFilter): RecordedRequest[];
  clearRequests(): void;
  stats(): SimStats;
  resetStats(): void;
  /** Simulator clock. */
  now(): Date;
  /** Freeze the clock at this instant. */
  setNow(t: Date | number | string): void;
  /** Move the clock forward (freezing it if it was running). */
  advance(ms: number): void;
  /** Back to the injected/real clock. */
  useRealClock(): void;
  /** Would an Access-protected application accept these service-token credentials now? */
  accessCheck(clientId: string, clientSecret: string): AccessCheckResult;
  /** Would the MoQ relay accept this token now? */
  moqCheck(token: string): MoqCheckResult;
  /** Merge entities into the live state; returns what was created with its secrets. */
  seed(seed: ScenarioSeed): SeedResult;
  addAccount(a?: Partial<ScenarioAccount>): ScenarioAccount;
  addZone(z: Partial<ScenarioZone> & { accountId: string }): ScenarioZone;
  addUserToken(t?: Partial<ScenarioApiToken>): ApiTokenState;
  addUserTokens(count: number, t?: Partial<ScenarioApiToken>): ApiTokenState[];
  addAccountToken(accountId: string, t?: Partial<ScenarioApiToken>): ApiTokenState;
  addAccountTokens(accountId: string, count: number, t?: Partial<ScenarioApiToken>): ApiTokenState[];
  addServiceToken(t: Partial<ScenarioServiceToken> & ({ accountId: string } | { zoneId: string })): ServiceTokenState;
  addServiceTokens(
    count: number,
    t: Partial<ScenarioServiceToken> & ({ accountId: string } | { zoneId: string }),
  ): ServiceTokenState[];
  addMoqRelay(r: Partial<ScenarioMoqRelay> & { accountId: string }): MoqRelayState;
}
