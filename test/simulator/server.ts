/**
 * HTTP layer of the simulator: node:http server, latency, per-user rate limiting, fault
 * injection (including late commits), 5xx bodies, request recording, statistics and the
 * /__sim control endpoints.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest, ApiResult, Envelope, HandleOptions, MatchResult } from './api';
import { API_BASE, ApiError, CODES, callerOf, handleApi, isMoqOperation, resolveOp } from './api';
import { addOAuthClient, addWidget, oauthCheck, oauthClientState, turnstileCheck, widgetState } from './zeroDowntime';
import { resolveScenario } from './scenarios';
import { GITHUB_BASE, GITHUB_OPERATIONS, gitHubCaller, gitHubError, handleGitHub, matchGitHub, type GhMatch } from './github';
import { sodiumReady } from './destinations';
import { Store } from './store';
import type {
  ActiveFault,
  Fault,
  FaultBody,
  FaultStatus,
  FaultType,
  OffContractFault,
  OperationName,
  RateLimitConfig,
  RecordedRequest,
  RemovedRouteStatus,
  RequestFilter,
  Scenario,
  ScenarioSeed,
  SimBehaviour,
  SimConfigState,
  SimState,
  SimStats,
  SimulatorControl,
} from './types';
import { OPERATIONS, PAGED_OPERATIONS, REMOVED_OPERATIONS, SECRET_OPERATIONS } from './types';
import { iso, isRecord } from './util';

export interface SimulatorOptions extends Partial<SimBehaviour> {
  /** 0 (default) = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Scenario object, 'demo' (default), 'empty' or a path to a scenario JSON file. */
  scenario?: Scenario | 'demo' | string;
  /** Latency added before every API answer (default 0). */
  latencyMs?: number;
  /** Per rate-limit bucket (per user); default 1200 requests / 300000 ms. */
  rateLimit?: RateLimitConfig;
  /** No request log (default true). Set false to log one line per API request to stdout. */
  quiet?: boolean;
  /** Custom request logger (implies not quiet). */
  log?: (line: string) => void;
  /** Clock in ms since the epoch (default Date.now); control.setNow()/advance() override it. */
  clock?: () => number;
}

export interface SimulatorHandle {
  /** API base URL, e.g. http://127.0.0.1:PORT/client/v4 */
  url: string;
  /** GitHub API base URL (Actions secrets), e.g. http://127.0.0.1:PORT/github: a GITHUB_API_URL. */
  githubUrl: string;
  /** http://127.0.0.1:PORT (control endpoints live under /__sim). */
  origin: string;
  port: number;
  control: SimulatorControl;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { limit: 1200, windowMs: 300_000 };
export const DEFAULT_BEHAVIOUR: SimBehaviour = { removedRouteStatus: 404, moqRevocationDelayMs: 0, pastLastPage: 'empty', invalidTokenAnswer: 401, postCommitDelayMs: 0 };
/** Default upper bound of a `late-commit` delay. */
export const DEFAULT_LATE_COMMIT_MS = 1500;
const MAX_BODY = 1024 * 1024;
const MAX_RECORDED = 100_000;
const REDACTED_HEADERS = new Set(['authorization', 'x-auth-key', 'x-auth-user-service-key', 'cf-access-client-secret', 'cookie']);
/** Faults that replace processing. */
const PRE_FAULTS: readonly FaultType[] = ['status', 'error-text', 'huge-body', 'rate-limit', 'secondary-limit', 'hang', 'late-commit', 'echo-headers'];
/** Faults applied after the change is committed (2xx outcomes only). */
const POST_FAULTS: readonly FaultType[] = ['malformed-json', 'missing-secret', 'off-contract', 'drop-after-commit', 'hang-after-commit', '500-after-commit'];
const FAULT_TYPES: readonly FaultType[] = [...PRE_FAULTS, 'wrong-page', ...POST_FAULTS, 'latency'];
const FAULT_STATUSES: readonly number[] = [500, 502, 503, 504];
/** Credential headers an `echo-headers` fault quotes, in this order, with the spelling it uses. */
const ECHOED_HEADERS: ReadonlyArray<[string, string]> = [
  ['authorization', 'Authorization'],
  ['x-auth-key', 'X-Auth-Key'],
  ['x-auth-email', 'X-Auth-Email'],
  ['cf-access-client-secret', 'CF-Access-Client-Secret'],
];

/** Checks a fault given in-process or over HTTP; throws with a readable message. */
export function validateFault(f: unknown): Fault {
  if (!isRecord(f)) throw new Error('fault must be an object');
  if (!FAULT_TYPES.includes(f.type as FaultType)) throw new Error(`fault.type must be one of ${FAULT_TYPES.join(', ')}`);
  if ((REMOVED_OPERATIONS as readonly unknown[]).includes(f.op)) {
    throw new Error(`fault.op: ${String(f.op)} was removed upstream (POST …/moq/relays/{r}/tokens/rotate is gone, A4); the simulator does not serve it`);
  }
  if (f.op !== undefined && !(OPERATIONS as readonly unknown[]).includes(f.op)) throw new Error(`fault.op: unknown operation ${String(f.op)}`);
  if (f.times !== undefined && (typeof f.times !== 'number' || f.times === 0 || Number.isNaN(f.times))) {
    throw new Error('fault.times must be a positive number, or -1 / Infinity for unlimited');
  }
  if (f.after !== undefined && (typeof f.after !== 'number' || f.after < 0)) throw new Error('fault.after must be >= 0');
  if (f.pathIncludes !== undefined && (typeof f.pathIncludes !== 'string' || f.pathIncludes === '')) throw new Error('fault.pathIncludes must be a non-empty string');
  if (f.type === 'status' && !FAULT_STATUSES.includes(f.status as number)) throw new Error('fault.status must be 500, 502, 503 or 504');
  if (f.type === 'error-text' && (![400, 401, 403, 404, 500].includes(f.status as number) || typeof f.message !== 'string')) throw new Error('fault.status must be 400, 401, 403, 404 or 500 and fault.message a string');
  if (f.type === 'off-contract') validateOffContract(f);
  if (f.type === 'huge-body' && !(typeof f.bytes === 'number' && f.bytes > 0)) throw new Error('fault.bytes must be a positive number');
  if (f.type === '500-after-commit' && f.status !== undefined && !FAULT_STATUSES.includes(f.status as number)) {
    throw new Error('fault.status must be 500, 502, 503 or 504');
  }
  if ((f.type === 'status' || f.type === '500-after-commit') && f.body !== undefined && f.body !== 'problem' && f.body !== 'envelope') {
    throw new Error('fault.body must be "problem" or "envelope"');
  }
  const retryOptional = f.type === 'status' || f.type === '500-after-commit';
  if (retryOptional && f.retryAfterSec !== undefined && !(typeof f.retryAfterSec === 'number' && f.retryAfterSec >= 0)) {
    throw new Error('fault.retryAfterSec must be a number >= 0');
  }
  if (f.type === 'rate-limit' && !(typeof f.retryAfterSec === 'number' && f.retryAfterSec >= 0)) {
    throw new Error('fault.retryAfterSec must be a number >= 0');
  }
  if (f.type === 'secondary-limit') {
    if (!(GITHUB_OPERATIONS as readonly unknown[]).includes(f.op)) throw new Error(`fault.op must be a GitHub operation (${GITHUB_OPERATIONS.join(', ')}): secondary-limit is GitHub's`);
    if (f.status !== undefined && f.status !== 403 && f.status !== 429) throw new Error('fault.status must be 403 or 429');
    if (f.retryAfterSec !== undefined && !(typeof f.retryAfterSec === 'number' && f.retryAfterSec > 0)) throw new Error('fault.retryAfterSec must be a number > 0');
  }
  if (f.type === 'latency' && !(typeof f.ms === 'number' && f.ms >= 0)) throw new Error('fault.ms must be a number >= 0');
  if (f.type === 'late-commit') {
    if (f.delayMs !== undefined && !(typeof f.delayMs === 'number' && f.delayMs >= 0 && Number.isFinite(f.delayMs))) {
      throw new Error('fault.delayMs must be a finite number >= 0');
    }
    if (f.fixed !== undefined && typeof f.fixed !== 'boolean') throw new Error('fault.fixed must be a boolean');
  }
  if (f.type === 'wrong-page') {
    if (f.page !== undefined && !(Number.isInteger(f.page) && (f.page as number) >= 1)) throw new Error('fault.page must be an integer >= 1');
    if (f.op !== undefined && !PAGED_OPERATIONS.includes(f.op as OperationName)) {
      throw new Error(`fault.op: ${String(f.op)} is not paginated by page (${PAGED_OPERATIONS.join(', ')})`);
    }
  }
  if (f.type === 'echo-headers' && f.status !== undefined && ![400, 401, 403, 500, 502, 503].includes(f.status as number)) {
    throw new Error('fault.status must be 400, 401, 403, 500, 502 or 503');
  }
  return f as unknown as Fault;
}

function validateBehaviour(c: Partial<SimBehaviour>): void {
  if (c.removedRouteStatus !== undefined && ![404, 405, 400].includes(c.removedRouteStatus)) {
    throw new Error('removedRouteStatus must be 404, 405 or 400');
  }
  if (c.moqRevocationDelayMs !== undefined && !(typeof c.moqRevocationDelayMs === 'number' && c.moqRevocationDelayMs >= 0)) {
    throw new Error('moqRevocationDelayMs must be a number >= 0');
  }
  if (c.pastLastPage !== undefined && c.pastLastPage !== 'empty' && c.pastLastPage !== 'last') throw new Error('pastLastPage must be "empty" or "last"');
  if (c.invalidTokenAnswer !== undefined && c.invalidTokenAnswer !== 401 && c.invalidTokenAnswer !== 403) throw new Error('invalidTokenAnswer must be 401 or 403');
  if (c.postCommitDelayMs !== undefined && !(typeof c.postCommitDelayMs === 'number' && c.postCommitDelayMs >= 0)) throw new Error('postCommitDelayMs must be a number >= 0');
}

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...o };
  delete copy[key];
  return copy;
}

/** For ops that return a secret: a copy of the body without it; undefined when there is none. */
function withoutSecret(op: OperationName, body: Envelope): Envelope | undefined {
  if (!SECRET_OPERATIONS.includes(op)) return undefined;
  const r = body.result;
  if (op === 'rollUserToken' || op === 'rollAccountToken') {
    return typeof r === 'string' ? (omit({ ...body }, 'result') as unknown as Envelope) : undefined;
  }
  if (!isRecord(r)) return undefined;
  if (op === 'createUserToken' || op === 'createAccountToken') return r.value === undefined ? undefined : { ...body, result: omit(r, 'value') };
  if (op === 'rotateTurnstileSecret') return r.secret === undefined ? undefined : { ...body, result: omit(r, 'secret') };
  if (op === 'createMoqToken') {
    const issuers = Array.isArray(r.issuers) ? (r.issuers as Record<string, unknown>[]) : [];
    const tokensOf = (i: Record<string, unknown>): Record<string, unknown>[] =>
      Array.isArray(i.cloudflare_tokens) ? (i.cloudflare_tokens as Record<string, unknown>[]) : [];
    if (!issuers.some((i) => tokensOf(i).some((t) => 'secret' in t))) return undefined;
    const stripped = issuers.map((i) => ({ ...i, cloudflare_tokens: tokensOf(i).map((t) => omit(t, 'secret')) }));
    return { ...body, result: { ...r, issuers: stripped } };
  }
  return r.client_secret === undefined ? undefined : { ...body, result: omit(r, 'client_secret') };
}

/** A dotted path into a JSON body: names, array indexes as numbers. */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*$/;
/** Names that hold a secret in some answer: an `off-contract` fault never touches them (`missing-secret` does that). */
const SECRET_FIELDS = new Set(['value', 'secret', 'client_secret']);

function validateOffContract(f: Record<string, unknown>): void {
  const remove = f.remove ?? [];
  const set = f.set ?? {};
  if (!Array.isArray(remove) || !remove.every((p) => typeof p === 'string')) throw new Error('fault.remove must be a list of field paths');
  if (!isRecord(set)) throw new Error('fault.set must be an object of field paths to values');
  const paths = [...(remove as string[]), ...Object.keys(set)];
  if (paths.length === 0) throw new Error('fault.remove or fault.set must name at least one field');
  for (const p of paths) {
    if (!FIELD_PATH.test(p)) throw new Error(`fault: ${p} is not a field path (names and indexes joined by dots, e.g. result.id)`);
    const parts = p.split('.');
    if (p === 'result' || parts.some((x) => SECRET_FIELDS.has(x))) throw new Error(`fault: ${p} names the secret or what holds it; use the missing-secret fault for an answer without it`);
  }
}

/**
 * The answer of an `off-contract` fault: the fields of `remove` taken out, those of `set` set.
 * Undefined (the fault does not fire) when the answer carries no secret, a field to remove is not
 * there, or the answer would no longer carry the secret.
 */
function offContract(op: OperationName, body: Envelope, f: OffContractFault, read: boolean): Envelope | undefined {
  const secret = withoutSecret(op, body) !== undefined;
  if (!secret && !read) return undefined;
  const out = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
  const walk = (p: string, create: boolean): { parent: Record<string, unknown> | unknown[]; key: string } | undefined => {
    const parts = p.split('.');
    let node: unknown = out;
    for (const part of parts.slice(0, -1)) {
      const next: unknown = Array.isArray(node) ? node[Number(part)] : isRecord(node) ? node[part] : undefined;
      if (next === undefined && create && isRecord(node)) node = node[part] = {};
      else node = next;
      if (!isRecord(node) && !Array.isArray(node)) return undefined;
    }
    return { parent: node as Record<string, unknown> | unknown[], key: parts[parts.length - 1] as string };
  };
  for (const p of f.remove ?? []) {
    const at = walk(p, false);
    if (at === undefined) return undefined;
    if (Array.isArray(at.parent)) {
      const i = Number(at.key);
      if (!(i < at.parent.length)) return undefined;
      at.parent.splice(i, 1);
    } else {
      if (!(at.key in at.parent)) return undefined;
      delete at.parent[at.key];
    }
  }
  for (const [p, v] of Object.entries(f.set ?? {})) {
    const at = walk(p, true);
    if (at === undefined) return undefined;
    (at.parent as Record<string, unknown>)[at.key] = v;
  }
  return secret && withoutSecret(op, out as unknown as Envelope) === undefined ? undefined : (out as unknown as Envelope);
}

/** The error envelope of an `echo-headers` fault: one error per credential header, quoting its value. */
function echoHeadersEnvelope(status: number, h: http.IncomingHttpHeaders): Envelope {
  const code = status >= 500 ? CODES.serverError : CODES.invalidHeaders;
  const errors = ECHOED_HEADERS.flatMap(([name, spelled]) => {
    const v = h[name];
    return v === undefined ? [] : [{ code, message: `Invalid request header ${spelled}: ${Array.isArray(v) ? v.join(', ') : v}` }];
  });
  if (errors.length === 0) errors.push({ code, message: 'Invalid request headers' });
  return { success: false, errors, messages: [], result: null };
}

function redactHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = REDACTED_HEADERS.has(k) ? '[redacted]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function queryRecord(q: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(q.keys())) {
    const all = q.getAll(k);
    out[k] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}

function parseMaybeJson(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function emptyStats(): SimStats {
  return { requests: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0, inFlightByOperation: {}, byCredential: {}, byBucket: {}, byOperation: {}, byStatus: {} };
}

// ---------------------------------------------------------------- 5xx bodies

const PROBLEMS: Record<FaultStatus, { title: string; name: string; category: string; detail: string }> = {
  500: { title: 'Internal server error', name: 'internal_server_error', category: 'cloudflare', detail: 'Cloudflare encountered an error processing this request.' },
  502: { title: 'Bad gateway', name: 'bad_gateway', category: 'origin', detail: 'Cloudflare received an invalid response from the origin.' },
  503: { title: 'Service unavailable', name: 'service_unavailable', category: 'origin', detail: 'The service is temporarily unavailable.' },
  504: { title: 'Gateway timeout', name: 'gateway_timeout', category: 'origin', detail: 'The origin did not answer in time.' },
};

type Negotiated = 'json' | 'problem+json' | 'markdown' | 'html';

/** Content negotiation of Cloudflare-generated errors (changelogs 2026-03-11 and 2026-04-27): highest q wins, first listed on ties. */
export function negotiate(accept: string | undefined): Negotiated {
  if (accept === undefined || accept.trim() === '') return 'html';
  let best: { kind: Negotiated; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';').map((x) => x.trim());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    const kind: Negotiated | undefined =
      type === 'application/json' ? 'json' : type === 'application/problem+json' ? 'problem+json' : type === 'text/markdown' || type === 'text/*' ? 'markdown' : type === '*/*' ? 'html' : undefined;
    if (kind === undefined || !(q > 0)) continue;
    if (best === undefined || q > best.q) best = { kind, q };
  }
  return best?.kind ?? 'html';
}

/**
 * A Cloudflare-generated 5xx: RFC 9457 problem details (`type`, `title`, `status`, `detail`,
 * `instance`) plus the operational fields of the 1xxx/5xx changelogs. The changelogs add no v4
 * envelope fields (`success`, `errors`) to these bodies, so there are none.
 */
function problemBody(status: FaultStatus, rayId: string, now: number, retryAfterSec: number, accept: string | undefined): { contentType: string; text: string } {
  const p = PROBLEMS[status];
  const fields = {
    type: `https://developers.cloudflare.com/support/troubleshooting/http-status-codes/cloudflare-5xx-errors/error-${status}/`,
    title: p.title,
    status,
    detail: p.detail,
    instance: rayId,
    error_code: status,
    error_name: p.name,
    error_category: p.category,
    ray_id: rayId,
    timestamp: iso(now),
    cloudflare_error: true,
    retryable: true,
    retry_after: retryAfterSec,
    owner_action_required: false,
  };
  const kind = negotiate(accept);
  if (kind === 'json' || kind === 'problem+json') {
    return { contentType: `application/${kind}; charset=utf-8`, text: JSON.stringify(fields) };
  }
  if (kind === 'markdown') {
    const front = Object.entries(fields)
      .filter(([k]) => !['type', 'title', 'detail', 'instance'].includes(k))
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join('\n');
    const text = `---\n${front}\n---\n\n# ${status} ${p.title}\n\n## What happened\n\n${p.detail}\n\n## What you should do\n\nRetry after ${retryAfterSec} seconds.\n`;
    return { contentType: 'text/markdown; charset=utf-8', text };
  }
  const html = `<!DOCTYPE html><html><head><title>${status} ${p.title} | Cloudflare</title></head><body><h1>${p.title}</h1><p>${p.detail}</p><p>Ray ID: ${rayId}</p></body></html>`;
  return { contentType: 'text/html; charset=utf-8', text: html };
}

interface LateCommit {
  timer?: NodeJS.Timeout;
  done: boolean;
}

class Simulator {
  store!: Store;
  private scenario: Scenario;
  private latencyMs = 0;
  private rateLimit: RateLimitConfig = DEFAULT_RATE_LIMIT;
  private behaviour: SimBehaviour = { ...DEFAULT_BEHAVIOUR };
  private frozenAt: number | undefined;
  private faultList: ActiveFault[] = [];
  private faultSeq = 0;
  private windows = new Map<string, { start: number; count: number; blockedUntil?: number }>();
  private recorded: RecordedRequest[] = [];
  private seq = 0;
  private statsData = emptyStats();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly lateCommits = new Set<LateCommit>();
  private settleWaiters: (() => void)[] = [];
  private closed = false;
  readonly server: http.Server;
  private readonly log: ((line: string) => void) | undefined;
  readonly control: SimulatorControl;

  constructor(private readonly opts: SimulatorOptions) {
    validateBehaviour(opts);
    this.scenario = resolveScenario(opts.scenario);
    this.log = opts.log ?? (opts.quiet === false ? (line: string) => console.log(line) : undefined);
    this.resetAll(this.scenario);
    this.server = http.createServer((req, res) => {
      this.onRequest(req, res).catch((e: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          this.send(res, 500, {}, new ApiError(500, CODES.serverError, `Simulator internal error: ${String(e)}`).envelope());
        }
      });
    });
    this.server.keepAliveTimeout = 10_000;
    this.control = this.makeControl();
  }

  now(): number {
    return this.frozenAt ?? (this.opts.clock ?? Date.now)();
  }

  private resetAll(scenario: Scenario): void {
    const store = new Store(scenario, () => this.now()); // throws on an invalid scenario before anything changes
    this.dropLateCommits();
    this.store = store;
    this.latencyMs = this.opts.latencyMs ?? 0;
    this.rateLimit = { ...(this.opts.rateLimit ?? DEFAULT_RATE_LIMIT) };
    this.behaviour = {
      removedRouteStatus: this.opts.removedRouteStatus ?? DEFAULT_BEHAVIOUR.removedRouteStatus,
      moqRevocationDelayMs: this.opts.moqRevocationDelayMs ?? DEFAULT_BEHAVIOUR.moqRevocationDelayMs,
      pastLastPage: this.opts.pastLastPage ?? DEFAULT_BEHAVIOUR.pastLastPage,
      invalidTokenAnswer: this.opts.invalidTokenAnswer ?? DEFAULT_BEHAVIOUR.invalidTokenAnswer,
      postCommitDelayMs: this.opts.postCommitDelayMs ?? DEFAULT_BEHAVIOUR.postCommitDelayMs,
    };
    this.store.moqRevocationDelayMs = this.behaviour.moqRevocationDelayMs;
    this.frozenAt = undefined;
    this.faultList = [];
    this.windows.clear();
    this.recorded = [];
    const { inFlight, inFlightByOperation } = this.statsData;
    this.statsData = emptyStats();
    Object.assign(this.statsData, { inFlight, inFlightByOperation });
  }

  private handleOptions(forcePage?: number): HandleOptions {
    const o: HandleOptions = { removedRouteStatus: this.behaviour.removedRouteStatus, pastLastPage: this.behaviour.pastLastPage, invalidTokenAnswer: this.behaviour.invalidTokenAnswer };
    if (forcePage !== undefined) o.forcePage = forcePage;
    return o;
  }

  // ------------------------------------------------------------ lifecycle

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.dropLateCommits();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // also ends hung requests and idle keep-alive sockets
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  // ------------------------------------------------------------ late commits

  private lateCommitDone(lc: LateCommit): void {
    lc.done = true;
    if (lc.timer !== undefined) {
      clearTimeout(lc.timer);
      this.timers.delete(lc.timer);
    }
    this.lateCommits.delete(lc);
    if (this.lateCommits.size === 0) {
      const waiters = this.settleWaiters;
      this.settleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private dropLateCommits(): void {
    for (const lc of [...this.lateCommits]) this.lateCommitDone(lc);
  }

  /**
   * Schedules the processing of a request whose client gets no answer: `delay` after the
   * request arrived, or — if the client disconnects first — `delay` after it disconnected.
   */
  private scheduleLateCommit(res: http.ServerResponse, delay: number, apply: () => void): void {
    const lc: LateCommit = { done: false };
    this.lateCommits.add(lc);
    const arm = (ms: number): void => {
      if (lc.timer !== undefined) {
        clearTimeout(lc.timer);
        this.timers.delete(lc.timer);
      }
      const t = setTimeout(() => {
        if (lc.done) return;
        lc.done = true;
        if (!this.closed) apply();
        this.lateCommitDone(lc);
      }, ms);
      lc.timer = t;
      this.timers.add(t);
    };
    arm(delay);
    // 'close' fires however the connection ends (FIN, RST from a SIGKILLed process, timeout).
    res.once('close', () => {
      if (!lc.done) arm(delay);
    });
  }

  // ------------------------------------------------------------ faults

  /** Does this fault fire for this request? Consumes one firing (or one skip). */
  private fires(af: ActiveFault, op: OperationName | null, types: readonly FaultType[], eligible: (f: Fault) => boolean, path: string): boolean {
    const f = af.fault;
    if (op === null || !types.includes(f.type) || (f.op !== undefined && f.op !== op) || !eligible(f)) return false;
    if (f.pathIncludes !== undefined && !path.includes(f.pathIncludes)) return false;
    if (af.skip > 0) {
      af.skip -= 1;
      return false;
    }
    af.remaining -= 1;
    af.fired += 1;
    if (af.remaining <= 0) this.faultList = this.faultList.filter((x) => x !== af);
    return true;
  }

  /** The first fault of these types that fires for the request. */
  private takeFault(op: OperationName | null, path: string, types: readonly FaultType[], eligible: (f: Fault) => boolean = () => true): Fault | undefined {
    for (const af of [...this.faultList]) if (this.fires(af, op, types, eligible, path)) return af.fault;
    return undefined;
  }

  /** Sum of all latency faults that fire for the request (each at most once). */
  private extraLatency(op: OperationName | null, path: string): number {
    let ms = 0;
    for (const af of [...this.faultList]) if (this.fires(af, op, ['latency'], () => true, path)) ms += (af.fault as { ms: number }).ms;
    return ms;
  }

  // ------------------------------------------------------------ rate limit

  /**
   * Fixed window per bucket. Going over the limit blocks the bucket for a whole window from that
   * moment ("all API calls for the next five minutes will be blocked", limits docs); 429s do not count.
   */
  private rateCheck(key: string): { limited: boolean; remaining: number; resetAt: number } {
    const now = this.now();
    const { limit, windowMs } = this.rateLimit;
    let w = this.windows.get(key);
    if (w !== undefined && w.blockedUntil !== undefined) {
      if (now < w.blockedUntil) return { limited: true, remaining: 0, resetAt: w.blockedUntil };
      w = undefined;
    }
    if (w === undefined || now >= w.start + windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    if (w.count >= limit) {
      w.blockedUntil = now + windowMs;
      return { limited: true, remaining: 0, resetAt: w.blockedUntil };
    }
    w.count += 1;
    return { limited: false, remaining: limit - w.count, resetAt: w.start + windowMs };
  }

  // ------------------------------------------------------------ request pipeline

  private send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Envelope | string, contentType = 'application/json; charset=utf-8'): void {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  }

  private async readBody(req: http.IncomingMessage): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    req.on('error', () => undefined); // ECONNRESET from a client killed mid-request
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) return this.onControl(req, res, url);

    let rawBody: string | undefined;
    try {
      rawBody = await this.readBody(req);
    } catch {
      return; // the client went away while sending its body: nothing was received
    }
    if (rawBody === undefined) {
      this.send(res, 413, {}, new ApiError(413, CODES.malformedJson, 'Request body too large').envelope());
      return;
    }
    const underBase = url.pathname === API_BASE || url.pathname.startsWith(`${API_BASE}/`);
    const underGitHub = url.pathname.startsWith(`${GITHUB_BASE}/`);
    const apiReq: ApiRequest = {
      method: req.method ?? 'GET',
      apiPath: underBase ? url.pathname.slice(API_BASE.length) || '/' : underGitHub ? url.pathname.slice(GITHUB_BASE.length) : url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
    };
    const ghMatch: GhMatch | 'method' | undefined = underGitHub ? matchGitHub(apiReq.method, apiReq.apiPath) : undefined;
    const { match, op } = underBase
      ? resolveOp(apiReq)
      : { match: undefined as MatchResult, op: ghMatch !== undefined && ghMatch !== 'method' ? ghMatch.route.op : null };
    /** Process the request: the Cloudflare API, or GitHub's under /github. */
    const process = (s: Store, opts: HandleOptions): ApiResult => {
      if (!underGitHub) return handleApi(s, apiReq, match, url.pathname, opts);
      const gh = handleGitHub(s, apiReq.method, apiReq.apiPath, req.headers, rawBody ?? '', ghMatch);
      return { status: gh.status, body: (gh.body === undefined ? '' : gh.body) as Envelope };
    };

    this.statsData.inFlight += 1;
    this.statsData.maxInFlight = Math.max(this.statsData.maxInFlight, this.statsData.inFlight);
    const byOp = this.statsData.inFlightByOperation;
    if (op) byOp[op] = (byOp[op] ?? 0) + 1;
    const rec: RecordedRequest = {
      seq: ++this.seq,
      at: iso(this.now()),
      method: apiReq.method,
      path: url.pathname,
      apiPath: apiReq.apiPath,
      query: queryRecord(url.searchParams),
      headers: redactHeaders(req.headers),
      body: parseMaybeJson(rawBody),
      op,
      status: null,
      outcome: 'answered',
      credential: 'anonymous',
      bucket: 'anonymous',
      durationMs: 0,
    };
    const finish = (status: number | null, outcome: RecordedRequest['outcome'], fault?: FaultType): void => {
      rec.status = status;
      rec.outcome = outcome;
      if (fault !== undefined) rec.fault = fault;
      rec.durationMs = Date.now() - started;
      this.statsData.inFlight = Math.max(0, this.statsData.inFlight - 1);
      if (op) {
        const now = this.statsData.inFlightByOperation;
        const left = (now[op] ?? 1) - 1;
        if (left > 0) now[op] = left;
        else delete now[op];
      }
      this.recordStats(rec);
      this.recorded.push(rec);
      if (this.recorded.length > MAX_RECORDED) this.recorded.splice(0, MAX_RECORDED / 10);
      this.log?.(`${rec.method} ${rec.path} -> ${status ?? outcome} ${op ?? '-'}${fault ? ` [fault ${fault}]` : ''} ${rec.durationMs}ms`);
    };

    const delay = this.latencyMs + this.extraLatency(op, url.pathname);
    if (delay > 0) await this.sleep(delay);
    // A client that gave up during the latency does not stop the server from processing.
    if (this.closed) return finish(null, 'dropped');
    const answer = (status: number, headers: Record<string, string>, body: Envelope | string, fault?: FaultType, contentType?: string): void => {
      if (res.destroyed) return finish(null, 'dropped', fault);
      this.send(res, status, headers, body, contentType);
      finish(status, 'answered', fault);
    };

    // Rate limit, counted per user (see callerOf).
    const store = this.store;
    const ghCaller = underGitHub ? gitHubCaller(store, req.headers) : undefined;
    const caller = underGitHub ? (ghCaller ? { credential: `github:${ghCaller.login}`, bucket: `github:${ghCaller.login}` } : { credential: 'anonymous', bucket: 'anonymous' }) : callerOf(store, req.headers);
    rec.credential = caller.credential;
    rec.bucket = caller.bucket;
    const rl = this.rateCheck(caller.bucket);
    const rayId = `${this.seq.toString(16).padStart(16, '0')}-SIM`;
    // Cloudflare's rate-limit headers (developers.cloudflare.com/fundamentals/api/reference/limits, changelog
    // 2025-09-03): `Ratelimit` and `Ratelimit-Policy` on every answer, `retry-after` only on a 429. GitHub's
    // REST API documents its own x-ratelimit-* set (reset in epoch seconds) instead.
    const secondsTo = (at: number): number => Math.max(0, Math.ceil((at - this.now()) / 1000));
    const headers: Record<string, string> = underGitHub
      ? {
          'x-ratelimit-limit': String(this.rateLimit.limit),
          'x-ratelimit-remaining': String(rl.remaining),
          'x-ratelimit-reset': String(Math.ceil(rl.resetAt / 1000)),
          'x-ratelimit-used': String(this.rateLimit.limit - rl.remaining),
          'x-ratelimit-resource': 'core',
        }
      : {
          ratelimit: `"default";r=${rl.remaining};t=${secondsTo(rl.resetAt)}`,
          'ratelimit-policy': `"default";q=${this.rateLimit.limit};w=${Math.max(1, Math.round(this.rateLimit.windowMs / 1000))}`,
          'cf-ray': rayId,
        };
    const tooMany = (resetAt: number): Envelope => {
      headers['retry-after'] = String(Math.max(1, secondsTo(resetAt)));
      if (underGitHub) {
        headers['x-ratelimit-remaining'] = '0';
        headers['x-ratelimit-reset'] = String(Math.ceil(resetAt / 1000));
      } else headers.ratelimit = `"default";r=0;t=${secondsTo(resetAt)}`;
      return new ApiError(429, CODES.rateLimited, 'Please wait and consider throttling your request speed').envelope();
    };
    const serverError = (status: FaultStatus, body: FaultBody | undefined, retryAfterSec: number | undefined, fault: FaultType): void => {
      const kind = body ?? (status === 503 ? 'envelope' : 'problem');
      if (kind === 'problem') {
        const retry = retryAfterSec ?? 5;
        headers['retry-after'] = String(retry);
        const p = problemBody(status, rayId, this.now(), retry, req.headers.accept);
        return answer(status, headers, p.text, fault, p.contentType);
      }
      if (retryAfterSec !== undefined) headers['retry-after'] = String(retryAfterSec);
      if (op !== null && GITHUB_OPERATIONS.includes(op)) return answer(status, headers, JSON.stringify(gitHubError(status, status === 500 ? 'Server Error' : PROBLEMS[status].title).body), fault);
      const err = isMoqOperation(op)
        ? new ApiError(status, CODES.moqServerError, 'Unexpected server error')
        : new ApiError(status, CODES.serverError, PROBLEMS[status].title);
      return answer(status, headers, err.envelope(), fault);
    };
    if (rl.limited) return answer(429, headers, tooMany(rl.resetAt));

    // Faults that replace processing.
    const pre = this.takeFault(op, url.pathname, PRE_FAULTS);
    if (pre?.type === 'status') return serverError(pre.status, pre.body, pre.retryAfterSec, 'status');
    if (pre?.type === 'error-text') return answer(pre.status, headers, new ApiError(pre.status, pre.code ?? 10000, pre.message).envelope(), 'error-text');
    if (pre?.type === 'huge-body') {
      if (res.destroyed) return finish(null, 'dropped', 'huge-body');
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = pre.bytes;
      res.write('{"success":true,"errors":[],"messages":[],"result":"');
      const pump = (): void => {
        while (left > 0 && !res.destroyed) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end('"}');
        finish(200, 'answered', 'huge-body');
      };
      res.once('close', () => (left = 0));
      pump();
      return;
    }
    if (pre?.type === 'rate-limit') return answer(429, headers, tooMany(this.now() + pre.retryAfterSec * 1000), 'rate-limit');
    if (pre?.type === 'secondary-limit') {
      if (pre.retryAfterSec !== undefined) headers['retry-after'] = String(pre.retryAfterSec);
      const status = pre.status ?? 403;
      const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';
      return answer(status, headers, JSON.stringify(gitHubError(status, message).body), 'secondary-limit');
    }
    if (pre?.type === 'hang') return finish(null, 'hung', 'hang'); // never answered; close() ends the socket
    if (pre?.type === 'late-commit') {
      const max = pre.delayMs ?? DEFAULT_LATE_COMMIT_MS;
      const wait = pre.fixed === true ? max : Math.random() * max;
      this.scheduleLateCommit(res, wait, () => {
        if (this.store !== store) return; // reset in between: a different world
        const late = process(store, this.handleOptions());
        rec.committedAt = iso(this.now());
        rec.commitStatus = late.status;
        this.log?.(`${rec.method} ${rec.path} -> late commit ${late.status} ${op ?? '-'}`);
      });
      return finish(null, 'hung', 'late-commit');
    }
    if (pre?.type === 'echo-headers') {
      const status = pre.status ?? 400;
      return answer(status, headers, echoHeadersEnvelope(status, req.headers), 'echo-headers');
    }

    const wrongPage = this.takeFault(op, url.pathname, ['wrong-page'], () => op !== null && PAGED_OPERATIONS.includes(op));
    const forcePage = wrongPage?.type === 'wrong-page' ? (wrongPage.page ?? 1) : undefined;
    const result: ApiResult = process(store, this.handleOptions(forcePage));

    // Faults after the change is committed (2xx only).
    const ok = result.status >= 200 && result.status < 300;
    const post =
      ok && wrongPage === undefined
        ? this.takeFault(op, url.pathname, POST_FAULTS, (f) =>
            f.type === 'missing-secret' ? withoutSecret(op as OperationName, result.body) !== undefined : f.type === 'off-contract' ? offContract(op as OperationName, result.body, f, req.method === 'GET' && f.op !== undefined) !== undefined : true,
          )
        : undefined;
    if (post?.type === 'hang-after-commit') return finish(null, 'hung', 'hang-after-commit'); // close() ends the socket
    if (post?.type === 'drop-after-commit') {
      req.socket.destroy();
      return finish(null, 'dropped', 'drop-after-commit');
    }
    if (post?.type === '500-after-commit') return serverError(post.status ?? 500, post.body, post.retryAfterSec, '500-after-commit');
    if (post?.type === 'malformed-json') {
      const text = JSON.stringify(result.body);
      return answer(result.status, headers, text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'malformed-json');
    }
    const body =
      post?.type === 'missing-secret'
        ? (withoutSecret(op as OperationName, result.body) as Envelope)
        : post?.type === 'off-contract'
          ? (offContract(op as OperationName, result.body, post, req.method === 'GET' && post.op !== undefined) as Envelope)
          : result.body;
    // A mutation that changed Cloudflare answers after postCommitDelayMs (a client may die meanwhile).
    if (ok && req.method !== 'GET' && this.behaviour.postCommitDelayMs > 0) await this.sleep(this.behaviour.postCommitDelayMs);
    if (this.closed) return finish(null, 'dropped');
    answer(result.status, headers, body, post?.type ?? wrongPage?.type);
  }

  private recordStats(rec: RecordedRequest): void {
    const s = this.statsData;
    s.requests += 1;
    const limited = rec.status === 429;
    if (limited) s.rateLimited += 1;
    for (const [table, key] of [
      [s.byCredential, rec.credential],
      [s.byBucket, rec.bucket],
    ] as const) {
      const c = (table[key] ??= { requests: 0, rateLimited: 0 });
      c.requests += 1;
      if (limited) c.rateLimited += 1;
    }
    if (rec.op !== null) {
      const o = (s.byOperation[rec.op] ??= { requests: 0, errors: 0 });
      o.requests += 1;
      if (rec.status === null || rec.status >= 400) o.errors += 1;
    }
    const key = rec.status === null ? rec.outcome : String(rec.status);
    s.byStatus[key] = (s.byStatus[key] ?? 0) + 1;
  }

  // ------------------------------------------------------------ control (in-process)

  private config(): SimConfigState {
    return {
      latencyMs: this.latencyMs,
      rateLimit: { ...this.rateLimit },
      ...this.behaviour,
      clockFrozen: this.frozenAt !== undefined,
      pendingLateCommits: this.lateCommits.size,
    };
  }

  private makeControl(): SimulatorControl {
    const st = (): Store => this.store;
    const control: SimulatorControl = {
      state: (): SimState => {
        const s = st();
        const tokens = [...s.apiTokens.values()].map((t) => s.apiTokenState(t));
        return {
          now: iso(this.now()),
          user: { id: s.user.id, email: s.user.email, globalApiKey: s.user.globalApiKey },
          accounts: [...s.accounts.values()].map((a) => ({ ...a })),
          zones: [...s.zones.values()].map((z) => ({ ...z })),
          userTokens: tokens.filter((t) => t.owner === 'user'),
          accountTokens: tokens.filter((t) => t.owner === 'account'),
          serviceTokens: [...s.serviceTokens.values()].map((t) => s.serviceTokenState(t)),
          moqRelays: [...s.relays.values()].map((r) => s.relayState(r)),
          turnstileWidgets: [...s.widgets.values()].map(widgetState),
          oauthClients: [...s.oauthClients.values()].map(oauthClientState),
          workers: [...s.destinations.workers.values()].map((w) => s.destinations.workerState(w)),
          pagesProjects: [...s.destinations.pages.values()].map((x) => s.destinations.pagesState(x)),
          secretsStores: [...s.destinations.stores.values()].map((x) => s.destinations.storeState(x)),
          githubRepos: [...s.destinations.repos.values()].map((x) => s.destinations.repoState(x)),
          githubTokens: [...s.destinations.githubTokens.values()].map((x) => s.destinations.githubTokenState(x)),
          config: this.config(),
        };
      },
      reset: (scenario) => {
        const next = scenario === undefined ? this.scenario : resolveScenario(scenario);
        this.resetAll(next);
        this.scenario = next;
      },
      setLatency: (ms) => {
        if (!(ms >= 0)) throw new Error('latency must be >= 0');
        this.latencyMs = ms;
      },
      setRateLimit: (rl) => {
        if (!(rl.limit >= 0 && rl.windowMs > 0)) throw new Error('rateLimit needs limit >= 0 and windowMs > 0');
        this.rateLimit = { limit: rl.limit, windowMs: rl.windowMs };
        this.windows.clear();
      },
      resetRateLimits: () => this.windows.clear(),
      configure: (c) => {
        validateBehaviour(c);
        if (c.latencyMs !== undefined) control.setLatency(c.latencyMs);
        if (c.rateLimit !== undefined) control.setRateLimit(c.rateLimit);
        if (c.removedRouteStatus !== undefined) this.behaviour.removedRouteStatus = c.removedRouteStatus;
        if (c.pastLastPage !== undefined) this.behaviour.pastLastPage = c.pastLastPage;
        if (c.invalidTokenAnswer !== undefined) this.behaviour.invalidTokenAnswer = c.invalidTokenAnswer;
        if (c.postCommitDelayMs !== undefined) this.behaviour.postCommitDelayMs = c.postCommitDelayMs;
        if (c.moqRevocationDelayMs !== undefined) {
          this.behaviour.moqRevocationDelayMs = c.moqRevocationDelayMs;
          this.store.moqRevocationDelayMs = c.moqRevocationDelayMs;
        }
        return this.config();
      },
      addFault: (f) => {
        const fault = validateFault(f);
        const times = fault.times === undefined ? 1 : fault.times < 0 ? Infinity : fault.times;
        const id = `fault-${++this.faultSeq}`;
        this.faultList.push({ id, fault: { ...fault }, remaining: times, skip: fault.after ?? 0, fired: 0 });
        return id;
      },
      removeFault: (id) => {
        this.faultList = this.faultList.filter((f) => f.id !== id);
      },
      clearFaults: () => {
        this.faultList = [];
      },
      faults: () => this.faultList.map((f) => ({ ...f, fault: { ...f.fault } })),
      setRouteEnabled: (route) => {
        if (route !== 'moqRotate') throw new Error(`unknown route ${String(route)}`);
        // Deliberately nothing: the route is gone upstream (A4) and stays gone here.
      },
      settle: () => (this.lateCommits.size === 0 ? Promise.resolve() : new Promise<void>((r) => this.settleWaiters.push(r))),
      requests: (filter?: RequestFilter) =>
        this.recorded.filter(
          (r) => (filter?.op === undefined || r.op === filter.op) && (filter?.method === undefined || r.method === filter.method.toUpperCase()),
        ),
      clearRequests: () => {
        this.recorded = [];
      },
      stats: () => structuredClone(this.statsData),
      resetStats: () => {
        const { inFlight, inFlightByOperation } = this.statsData;
        this.statsData = emptyStats();
        Object.assign(this.statsData, { inFlight, inFlightByOperation });
      },
      now: () => new Date(this.now()),
      setNow: (t) => {
        const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
        if (Number.isNaN(ms)) throw new Error(`setNow: invalid time ${String(t)}`);
        this.frozenAt = ms;
      },
      advance: (ms) => {
        this.frozenAt = this.now() + ms;
      },
      useRealClock: () => {
        this.frozenAt = undefined;
      },
      accessCheck: (clientId, secret) => st().accessCheck(clientId, secret),
      moqCheck: (token) => st().moqCheck(token),
      seed: (seed) => st().seed(seed),
      addAccount: (a = {}) => st().addAccount(a),
      addZone: (z) => st().addZone(z),
      addUserToken: (t = {}) => st().apiTokenState(st().addApiToken(t, undefined)),
      addUserTokens: (count, t = {}) =>
        Array.from({ length: count }, (_, i) => control.addUserToken({ ...t, name: `${t.name ?? 'user token'} ${i + 1}` })),
      addAccountToken: (accountId, t = {}) => st().apiTokenState(st().addApiToken(t, accountId)),
      addAccountTokens: (accountId, count, t = {}) =>
        Array.from({ length: count }, (_, i) => control.addAccountToken(accountId, { ...t, name: `${t.name ?? 'account token'} ${i + 1}` })),
      addServiceToken: (t) => st().serviceTokenState(st().addServiceToken(t)),
      addServiceTokens: (count, t) =>
        Array.from({ length: count }, (_, i) => control.addServiceToken({ ...t, name: `${t.name ?? 'service token'} ${i + 1}` })),
      addMoqRelay: (r) => st().relayState(st().addRelay(r)),
      addTurnstileWidget: (w) => widgetState(addWidget(st(), w)),
      addOAuthClient: (c) => oauthClientState(addOAuthClient(st(), c)),
      turnstileCheck: (sitekey, secret) => turnstileCheck(st(), sitekey, secret),
      oauthCheck: (clientId, secret) => oauthCheck(st(), clientId, secret),
    };
    return control;
  }

  // ------------------------------------------------------------ control (HTTP, /__sim/…)

  private async onControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      const payload = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(payload)) });
      res.end(payload);
    };
    const raw = (await this.readBody(req)) ?? '';
    let body: unknown;
    try {
      body = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
      return reply(400, { error: 'body is not valid JSON' });
    }
    const c = this.control;
    const obj = isRecord(body) ? body : {};
    const route = `${req.method ?? 'GET'} ${url.pathname.replace(/\/+$/, '')}`;
    try {
      switch (route) {
        case 'GET /__sim/health':
          return reply(200, { ok: true });
        case 'GET /__sim/state':
          return reply(200, c.state());
        case 'POST /__sim/reset':
          c.reset(obj.scenario as Scenario | string | undefined);
          return reply(200, { ok: true });
        case 'GET /__sim/faults':
          return reply(200, c.faults());
        case 'POST /__sim/faults': {
          const list = Array.isArray(body) ? body : [body];
          for (const f of list) validateFault(f); // all or nothing
          return reply(200, { ids: list.map((f) => c.addFault(f as Fault)) });
        }
        case 'DELETE /__sim/faults':
          c.clearFaults();
          return reply(200, { ok: true });
        case 'POST /__sim/config': {
          if (obj.routes !== undefined) throw new Error('routes: no route can be switched any more (the MoQ rotate route is gone upstream); see removedRouteStatus');
          const cfg: Parameters<SimulatorControl['configure']>[0] = {};
          if (obj.latencyMs !== undefined) cfg.latencyMs = Number(obj.latencyMs);
          if (isRecord(obj.rateLimit)) cfg.rateLimit = { limit: Number(obj.rateLimit.limit), windowMs: Number(obj.rateLimit.windowMs) };
          if (obj.removedRouteStatus !== undefined) cfg.removedRouteStatus = obj.removedRouteStatus as RemovedRouteStatus;
          if (obj.moqRevocationDelayMs !== undefined) cfg.moqRevocationDelayMs = obj.moqRevocationDelayMs as number;
          if (obj.pastLastPage !== undefined) cfg.pastLastPage = obj.pastLastPage as SimBehaviour['pastLastPage'];
          if (obj.invalidTokenAnswer !== undefined) cfg.invalidTokenAnswer = Number(obj.invalidTokenAnswer) as SimBehaviour['invalidTokenAnswer'];
          if (obj.postCommitDelayMs !== undefined) cfg.postCommitDelayMs = Number(obj.postCommitDelayMs);
          return reply(200, c.configure(cfg));
        }
        case 'POST /__sim/settle':
          await c.settle();
          return reply(200, { ok: true });
        case 'POST /__sim/clock':
          if (obj.real === true) c.useRealClock();
          if (obj.now !== undefined) c.setNow(obj.now as string | number);
          if (obj.advanceMs !== undefined) c.advance(Number(obj.advanceMs));
          return reply(200, { now: c.now().toISOString(), frozen: this.frozenAt !== undefined });
        case 'GET /__sim/requests': {
          const filter: RequestFilter = {};
          const op = url.searchParams.get('op');
          const method = url.searchParams.get('method');
          if (op !== null) filter.op = op as OperationName;
          if (method !== null) filter.method = method;
          return reply(200, c.requests(filter));
        }
        case 'DELETE /__sim/requests':
          c.clearRequests();
          return reply(200, { ok: true });
        case 'GET /__sim/stats':
          return reply(200, c.stats());
        case 'DELETE /__sim/stats':
          c.resetStats();
          return reply(200, { ok: true });
        case 'DELETE /__sim/ratelimits':
          c.resetRateLimits();
          return reply(200, { ok: true });
        case 'POST /__sim/seed':
          return reply(200, c.seed(obj as ScenarioSeed));
        case 'GET /__sim/access/check': {
          const id = req.headers['cf-access-client-id'];
          const secret = req.headers['cf-access-client-secret'];
          if (typeof id !== 'string' || typeof secret !== 'string') {
            return reply(200, { allowed: false, reason: 'missing CF-Access-Client-Id / CF-Access-Client-Secret headers' });
          }
          return reply(200, c.accessCheck(id, secret));
        }
        case 'GET /__sim/moq/check': {
          const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          if (m === null) return reply(200, { allowed: false, reason: 'missing Authorization: Bearer <token>' });
          return reply(200, c.moqCheck(m[1] as string));
        }
        default: {
          const del = /^DELETE \/__sim\/faults\/([\w-]+)$/.exec(route);
          if (del !== null) {
            c.removeFault(del[1] as string);
            return reply(200, { ok: true });
          }
          return reply(404, { error: `unknown control endpoint ${route}` });
        }
      }
    } catch (e) {
      return reply(400, { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

/** Starts a simulator. Resolves once it listens. */
export async function start(opts: SimulatorOptions = {}): Promise<SimulatorHandle> {
  await sodiumReady; // libsodium opens the GitHub secrets cf-rotate sends
  const sim = new Simulator(opts);
  const host = opts.host ?? '127.0.0.1';
  const addr = await sim.listen(opts.port ?? 0, host);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  return { url: `${origin}${API_BASE}`, githubUrl: `${origin}${GITHUB_BASE}`, origin, port: addr.port, control: sim.control, close: () => sim.close() };
}
