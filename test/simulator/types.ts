/**
 * Public types of the Cloudflare API simulator: scenario format, faults, control API,
 * recorded requests and state snapshots. See README.md in this folder.
 */

/** Every operation the simulator serves, by the name used in faults, requests() and stats(). */
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
  'createMoqToken',
  'listMoqTokens',
  'deleteMoqToken',
  'listAccounts',
  'listZones',
  'getUser',
  // API tokens created and deleted (strategy "replace": a twin, the previous token deleted later)
  'createUserToken',
  'createAccountToken',
  'deleteUserToken',
  'deleteAccountToken',
  // Turnstile widgets
  'listTurnstileWidgets',
  'getTurnstileWidget',
  'rotateTurnstileSecret',
  // OAuth clients
  'listOAuthClients',
  'getOAuthClient',
  'rotateOAuthClientSecret',
  'deleteRotatedOAuthClientSecret',
  // Destinations of a new secret (Cloudflare)
  'listWorkerSecrets',
  'putWorkerSecret',
  'getWorkerSettings',
  'getPagesProject',
  'editPagesProject',
  'getStoreSecret',
  'editStoreSecret',
  // GitHub: the repository (its `permissions` for the caller) and Actions secrets (served under /github, see github.ts)
  'githubGetRepo',
  'githubGetPublicKey',
  'githubGetSecret',
  'githubPutSecret',
] as const;
export type ServedOperationName = (typeof OPERATIONS)[number];

/**
 * Operations that Cloudflare removed and the simulator no longer serves.
 * `moqRotate` (POST …/moq/relays/{r}/tokens/rotate) existed in SDK builds from 2026-06-17 and was
 * removed on 2026-07-10 (notes A4). The name stays in `OperationName` only so that older callers
 * still compile: `addFault()` refuses a fault on it, no request is ever recorded under it.
 * @deprecated
 */
export const REMOVED_OPERATIONS = ['moqRotate'] as const;
export type RemovedOperationName = (typeof REMOVED_OPERATIONS)[number];

/** An operation name (served, or removed upstream; see `REMOVED_OPERATIONS`). */
export type OperationName = ServedOperationName | RemovedOperationName;

/** Operations whose success response carries a new secret (targets of the `missing-secret` and `off-contract` faults). */
export const SECRET_OPERATIONS: readonly OperationName[] = [
  'rollUserToken',
  'rollAccountToken',
  'rotateServiceToken',
  'updateServiceToken', // only when client_secret_version increases
  'createServiceToken',
  'createMoqToken',
  'createUserToken',
  'createAccountToken',
  'rotateTurnstileSecret',
  'rotateOAuthClientSecret',
];

/** Operations that paginate with `page` / `per_page` and `result_info.page` (targets of the `wrong-page` fault). */
export const PAGED_OPERATIONS: readonly OperationName[] = ['listUserTokens', 'listAccountTokens', 'listServiceTokens', 'listAccounts', 'listZones', 'listTurnstileWidgets'];

/**
 * Kept so that older callers compile; the only route it named (`moqRotate`) is gone upstream and
 * can no longer be switched on. @deprecated
 */
export type ToggleableRoute = 'moqRotate';

/** How the simulator answers `POST …/moq/relays/{r}/tokens/rotate`, the route removed upstream (A4). */
export type RemovedRouteStatus = 404 | 405 | 400;

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
  turnstileRead: 'Turnstile Sites Read',
  turnstileWrite: 'Turnstile Sites Write',
  oauthClientRead: 'OAuth Client Read',
  oauthClientWrite: 'OAuth Client Write',
  workersScriptsRead: 'Workers Scripts Read',
  workersScriptsWrite: 'Workers Scripts Write',
  pagesRead: 'Pages Read',
  pagesWrite: 'Pages Write',
  secretsStoreRead: 'Secrets Store Read',
  secretsStoreWrite: 'Secrets Store Write',
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
  /** Global API key: `cfk_` + 40 alphanumerics + checksum (today), or 37–45 lowercase hex (pre-2026). */
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

/** A Turnstile widget (sitekey `0x4AAAAAAA…`) and its secrets. */
export interface ScenarioTurnstileWidget {
  accountId: string;
  sitekey?: string; // generated when omitted
  name: string;
  mode?: 'non-interactive' | 'invisible' | 'managed';
  domains?: string[];
  secret?: string; // generated when omitted
  /** A previous secret still accepted until `previousSecretExpiresAt` (a rotation within the last 2 hours). */
  previousSecret?: string;
  previousSecretExpiresAt?: string;
  createdOn?: string;
  modifiedOn?: string;
}

/** An OAuth client (client id: 32 hex) with its secret and, after a rotation, the previous one. */
export interface ScenarioOAuthClient {
  accountId: string;
  clientId?: string; // generated when omitted
  name: string;
  secret?: string; // generated when omitted
  previousSecret?: string;
  createdAt?: string;
  updatedAt?: string;
}

/**
 * A binding of a Worker other than a secret, with the fields the SDK's `ScriptAndVersionSettingGetResponse`
 * requires for its type (SDK @faaaf89e workers/scripts/script-and-version-settings.ts). The modelled types:
 * plain-text and JSON variables (wrangler `vars`), KV, R2, D1, services and queues.
 */
export type ScenarioWorkerBinding =
  | { name: string; type: 'plain_text'; text: string }
  | { name: string; type: 'json'; json: unknown }
  | { name: string; type: 'kv_namespace'; namespace_id: string }
  | { name: string; type: 'r2_bucket'; bucket_name: string }
  | { name: string; type: 'd1'; database_id: string }
  | { name: string; type: 'service'; service: string }
  | { name: string; type: 'queue'; queue_name: string };

/** A Worker (script) and its secrets (values kept so tests can check what was written). */
export interface ScenarioWorker {
  accountId: string;
  /** The script name. */
  name: string;
  secrets?: { name: string; value: string }[];
  /**
   * Its other bindings (a `vars` entry of wrangler's config is a `plain_text` or `json` binding).
   * Cloudflare refuses a secret whose name one of them already uses (400 10053; workers-sdk #7287, #12812).
   */
  bindings?: ScenarioWorkerBinding[];
  /**
   * false: the Worker's latest version is not the deployed one (uploaded with `wrangler versions
   * upload`, or a gradual deployment): Cloudflare refuses secret edits with 400 / 10215
   * (workers-sdk #10585, #11882, #15283). Default true.
   */
  latestDeployed?: boolean;
}

export type PagesEnvVar = { type: 'plain_text' | 'secret_text'; value: string };

export interface ScenarioPagesProject {
  accountId: string;
  name: string;
  id?: string; // uuid; generated when omitted
  envVars?: { production?: Record<string, PagesEnvVar>; preview?: Record<string, PagesEnvVar> };
}

export interface ScenarioSecretsStore {
  accountId: string;
  id?: string; // 32 hex; generated when omitted
  name?: string;
  secrets?: { id?: string; name: string; value: string; created?: string; modified?: string }[];
}

/** A GitHub repository ("owner/name") with Actions secrets, optionally in environments. Key pairs are generated. */
export interface ScenarioGitHubRepo {
  name: string;
  environments?: string[];
  secrets?: { name: string; value: string; environment?: string; updatedAt?: string }[];
}

/** A user's role on a repository (GitHub's repository roles, weakest last). */
export type GitHubRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

/**
 * A GitHub token: `repos` it can see (omitted: all), its "Secrets" / "Environments" permissions
 * (default write), and the `role` its user has on those repositories (default admin: only an
 * admin may manage Actions secrets).
 */
export interface ScenarioGitHubToken {
  value?: string;
  login?: string;
  repos?: string[];
  secrets?: 'none' | 'read' | 'write';
  environments?: 'none' | 'read' | 'write';
  role?: GitHubRole;
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
  turnstileWidgets?: ScenarioTurnstileWidget[];
  oauthClients?: ScenarioOAuthClient[];
  workers?: ScenarioWorker[];
  pagesProjects?: ScenarioPagesProject[];
  secretsStores?: ScenarioSecretsStore[];
  githubRepos?: ScenarioGitHubRepo[];
  githubTokens?: ScenarioGitHubToken[];
}

/** A partial scenario merged into the live state by `control.seed()` (no user). */
export type ScenarioSeed = Omit<Scenario, 'user' | 'description'>;

// ---------------------------------------------------------------- faults

interface FaultBase {
  /**
   * Only requests matched to this operation; omitted = any operation (never unknown routes).
   * A removed operation (`moqRotate`) is refused by `addFault()`.
   */
  op?: OperationName;
  /** How many times the fault fires; default 1; -1 or Infinity = until cleared. */
  times?: number;
  /** Let this many matching requests through before the fault starts firing (default 0). */
  after?: number;
  /** Only requests whose path contains this text (e.g. one token's id), so parallel tests do not share a fault. */
  pathIncludes?: string;
}
/** The statuses the 5xx faults produce. */
export type FaultStatus = 500 | 502 | 503 | 504;
/**
 * How a 5xx body looks. `problem`: a Cloudflare-generated error, RFC 9457 problem details
 * negotiated on `Accept` (JSON for application/json or application/problem+json, Markdown for
 * text/markdown, else HTML), with `Retry-After` (changelog 2026-04-27: 500, 502, 504).
 * `envelope`: an error passed through from the API behind the edge: the v4 envelope
 * (`{success: false, errors: [{code, message}], …}`; MoQ: code 21006 as its schema declares).
 */
export type FaultBody = 'problem' | 'envelope';
/**
 * GitHub operations only: GitHub's secondary rate limit, without processing: `status` (default 403)
 * with GitHub's body `{message: "You have exceeded a secondary rate limit…", documentation_url, status}`,
 * the usual `x-ratelimit-*` headers (remaining not 0) and no `retry-after` unless `retryAfterSec` is
 * given (GitHub's docs: the answer may carry neither).
 */
export interface SecondaryLimitFault extends FaultBase {
  type: 'secondary-limit';
  status?: 403 | 429;
  retryAfterSec?: number;
}
/** Answer with this HTTP status instead of processing the request (nothing is committed). */
export interface StatusFault extends FaultBase {
  type: 'status';
  status: FaultStatus;
  /** Default: `problem` for 500 / 502 / 504 (the changelog's list), `envelope` for 503. */
  body?: FaultBody;
  /** `Retry-After` (seconds) on the answer; default 5 on `problem` bodies, none on `envelope` ones. */
  retryAfterSec?: number;
}
/**
 * Answer like an API error with Cloudflare's own text, without processing: `status` (4xx/5xx),
 * envelope `errors: [{code, message}]`. For tests of what a client shows of that text (escapes,
 * bidi characters, Markdown links in an error message).
 */
export interface ErrorTextFault extends FaultBase {
  type: 'error-text';
  /** 401 with code 1000 "Invalid API Token" is what a verify answers for a value Cloudflare no longer knows. */
  status: 400 | 401 | 403 | 404 | 500;
  code?: number;
  message: string;
}
/** Answer 200 with a JSON body of `bytes` bytes (streamed), without processing: a client must cap what it reads. */
export interface HugeBodyFault extends FaultBase {
  type: 'huge-body';
  bytes: number;
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
 * (roll: no `result`; service token: no `client_secret`; MoQ: no `secret`).
 * Fires only on 2xx responses that carry a secret.
 */
export interface MissingSecretFault extends FaultBase {
  type: 'missing-secret';
}
/**
 * Process the request (committed), then answer success WITH the new secret, but with the rest of
 * the answer off the documented schema: a field a client's schema requires taken out, or a field
 * given a value of another type (notes A9: take the secret out and journal it before validating
 * the rest). `remove` and `set` name fields by dotted paths into the JSON body, array items by
 * their index (`success`, `result.id`, `result.issuers.0.type`); `set` adds a field that is not
 * there. Paths may not name the secret itself (that is `missing-secret`). Fires only on 2xx
 * answers that carry a secret, when every path to remove exists, and only if the answer still
 * carries the secret afterwards. A fault that names a read (GET) operation by `op` fires on its
 * 2xx answers whose paths exist: what a client does with a field the spec leaves optional, left out.
 */
export interface OffContractFault extends FaultBase {
  type: 'off-contract';
  remove?: string[];
  set?: Record<string, unknown>;
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
/**
 * Process the request (committed), then answer a 5xx as `status` would (default 500, problem
 * details): the client is told "server error" although the change happened. Fires only on 2xx outcomes.
 */
export interface StatusAfterCommitFault extends FaultBase {
  type: '500-after-commit';
  status?: FaultStatus;
  body?: FaultBody;
  retryAfterSec?: number;
}
/**
 * The request is received and never answered; the change is applied LATER: `delay` after the
 * client disconnects (however abruptly: a SIGKILLed client is fine), or `delay` after the request
 * arrived if the client is still waiting then. `delay` is uniformly random in [0, delayMs]
 * (default 1,500 ms), or exactly `delayMs` with `fixed: true`. A roll / rotate / create that
 * Cloudflare applies after the client died. The change is processed then, against the state and
 * clock of that moment (so it can also fail then: recorded as `commitStatus`). `reset()` and
 * `close()` drop pending late commits; `settle()` waits for them.
 */
export interface LateCommitFault extends FaultBase {
  type: 'late-commit';
  delayMs?: number;
  fixed?: boolean;
}
/**
 * Paged lists only (`PAGED_OPERATIONS`): serve page `page` (default 1) whatever page was asked
 * for, and say so in `result_info.page`, so a client can check it stops when the page served is
 * not the page it asked for (notes A10).
 */
export interface WrongPageFault extends FaultBase {
  type: 'wrong-page';
  page?: number;
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
  | SecondaryLimitFault
  | ErrorTextFault
  | HugeBodyFault
  | RateLimitFault
  | MalformedJsonFault
  | MissingSecretFault
  | OffContractFault
  | DropAfterCommitFault
  | HangAfterCommitFault
  | StatusAfterCommitFault
  | LateCommitFault
  | WrongPageFault
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
  /** The credential used: `token:<id>`, `global-key:<email>` or `anonymous` (unknown / none). */
  credential: string;
  /** Rate-limit bucket: `user:<user id>` (user tokens and the Global API key), `account:<id>` (account-owned tokens) or `anonymous`. */
  bucket: string;
  durationMs: number;
  /** `late-commit` only: when the change was processed (simulator clock) and the status it had. */
  committedAt?: string;
  commitStatus?: number;
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
  /** Requests being processed right now, per operation (a test can wait for a slow roll to be under way). */
  inFlightByOperation: Partial<Record<OperationName, number>>;
  byCredential: Record<string, CredentialStats>;
  /** The same counts per rate-limit bucket (`user:<id>`, `account:<id>`, `anonymous`). */
  byBucket: Record<string, CredentialStats>;
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
  /** `publish_subscribe` (both operations) or `subscribe` (subscribe only); absent for publish only. */
  type?: MoqTokenType;
  label?: string;
  created: string;
  expires: string;
  secret: string;
}

export interface TurnstileWidgetState {
  accountId: string;
  sitekey: string;
  name: string;
  secret: string;
  previousSecret?: string;
  previousSecretExpiresAt?: string;
  createdOn: string;
  modifiedOn: string;
  /** How many times its secret was rotated. */
  rotations: number;
}

export interface OAuthClientState {
  accountId: string;
  clientId: string;
  name: string;
  secret: string;
  previousSecret?: string;
  hasRotatedSecret: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface MoqRelayState {
  uid: string;
  accountId: string;
  name: string;
  created: string;
  modified: string;
  tokens: MoqTokenState[];
  /** jtis deleted from the registry (DELETE …/tokens/{jti}). */
  revokedJtis: string[];
}

/** Behaviour switches (start options, `control.configure()`, `POST /__sim/config`). */
export interface SimBehaviour {
  /** Status of `POST …/moq/relays/{r}/tokens/rotate` (removed upstream): 404 7003 (default), 405 7001 or 400 7003. */
  removedRouteStatus: RemovedRouteStatus;
  /** A deleted MoQ token is still accepted by the relay for this long (the relay's cache TTL; default 0). */
  moqRevocationDelayMs: number;
  /** A page past the last one: `empty` (default; `result_info.page` = the page asked) or `last` (the last page again, with its own number). */
  pastLastPage: 'empty' | 'last';
  /**
   * How the verify routes refuse an unknown, rolled or revoked value: `401` (401, code 1000
   * "Invalid API Token"; default) or `403` (403, code 9109: notes A8, Cloudflare also answers a
   * revoked or invalid token so). A client must read both as "this value does not work".
   */
  invalidTokenAnswer: 401 | 403;
  /**
   * After a mutation is applied (2xx), wait this long before answering (default 0): the window in
   * which a client that dies has changed Cloudflare without learning the result. The kill-point
   * suite kills the CLI in it.
   */
  postCommitDelayMs: number;
}

export interface SimConfigState extends SimBehaviour {
  latencyMs: number;
  rateLimit: RateLimitConfig;
  /** Whether the clock is frozen by setNow()/advance(). */
  clockFrozen: boolean;
  /** Late commits received and not yet applied. */
  pendingLateCommits: number;
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

export interface WorkerState {
  accountId: string;
  name: string;
  /** Versions deployed by secret changes since load. */
  versions: number;
  secrets: { name: string; type: 'secret_text'; value: string }[];
  /** Its other bindings, as seeded. */
  bindings: ScenarioWorkerBinding[];
}

export interface PagesProjectState {
  accountId: string;
  name: string;
  id: string;
  envVars: { production: Record<string, PagesEnvVar>; preview: Record<string, PagesEnvVar> };
}

export interface SecretsStoreState {
  accountId: string;
  id: string;
  name: string;
  secrets: { id: string; name: string; value: string; status: 'active'; created: string; modified: string }[];
}

export interface GitHubSecretState {
  name: string;
  /** What the simulator decrypted with the private key it holds. */
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface GitHubRepoState {
  name: string;
  keyId: string;
  publicKey: string;
  secrets: GitHubSecretState[];
  environments: { name: string; keyId: string; publicKey: string; secrets: GitHubSecretState[] }[];
}

export interface GitHubTokenState {
  value: string;
  login: string;
  repos?: string[];
  secrets: 'none' | 'read' | 'write';
  environments: 'none' | 'read' | 'write';
  role: GitHubRole;
}

/** What a seeding call created, with the live secrets. */
export interface SeedResult {
  accounts: ScenarioAccount[];
  zones: ScenarioZone[];
  userTokens: ApiTokenState[];
  accountTokens: ApiTokenState[];
  serviceTokens: ServiceTokenState[];
  moqRelays: MoqRelayState[];
  turnstileWidgets: TurnstileWidgetState[];
  oauthClients: OAuthClientState[];
  workers: WorkerState[];
  pagesProjects: PagesProjectState[];
  secretsStores: SecretsStoreState[];
  githubRepos: GitHubRepoState[];
  githubTokens: GitHubTokenState[];
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
  /** Changes behaviour switches (see `SimBehaviour`); returns the whole configuration. */
  configure(c: Partial<SimBehaviour> & { latencyMs?: number; rateLimit?: RateLimitConfig }): SimConfigState;
  /**
   * @deprecated The only toggleable route (`moqRotate`) was removed upstream; the simulator never
   * serves it. This does nothing (switching it on does not bring it back); kept so that older callers compile.
   */
  setRouteEnabled(route: ToggleableRoute, enabled: boolean): void;
  /** Resolves once every late commit received so far has been applied (or dropped by reset / close). */
  settle(): Promise<void>;
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
  addTurnstileWidget(w: Partial<ScenarioTurnstileWidget> & { accountId: string }): TurnstileWidgetState;
  addOAuthClient(c: Partial<ScenarioOAuthClient> & { accountId: string }): OAuthClientState;
  /** Would Turnstile's siteverify accept this secret for the widget now (current, or previous within its 2 hours)? */
  turnstileCheck(sitekey: string, secret: string): { allowed: boolean; reason: string; matched?: 'current' | 'previous' };
  /** Would the OAuth token endpoint accept this client secret now (current or not-yet-deleted previous)? */
  oauthCheck(clientId: string, secret: string): { allowed: boolean; reason: string; matched?: 'current' | 'previous' };
}
