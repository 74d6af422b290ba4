/**
 * HTTP layer of the simulator: node:http server, latency, per-credential rate limiting,
 * fault injection, request recording, statistics and the /__sim control endpoints.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest, ApiResult, Envelope } from './api';
import { API_BASE, ApiError, CODES, credentialKey, handleApi, resolveOp } from './api';
import { resolveScenario } from './scenarios';
import { Store } from './store';
import type {
  ActiveFault,
  Fault,
  FaultType,
  OperationName,
  RateLimitConfig,
  RecordedRequest,
  RequestFilter,
  Scenario,
  ScenarioSeed,
  SimState,
  SimStats,
  SimulatorControl,
  ToggleableRoute,
} from './types';
import { OPERATIONS, SECRET_OPERATIONS } from './types';
import { iso, isRecord } from './util';

export interface SimulatorOptions {
  /** 0 (default) = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Scenario object, 'demo' (default), 'empty' or a path to a scenario JSON file. */
  scenario?: Scenario | 'demo' | string;
  /** Latency added before every API answer (default 0). */
  latencyMs?: number;
  /** Per-credential fixed window; default 1200 requests / 300000 ms. */
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
  /** http://127.0.0.1:PORT (control endpoints live under /__sim). */
  origin: string;
  port: number;
  control: SimulatorControl;
  close(): Promise<void>;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { limit: 1200, windowMs: 300_000 };
const MAX_BODY = 1024 * 1024;
const MAX_RECORDED = 100_000;
const REDACTED_HEADERS = new Set(['authorization', 'x-auth-key', 'x-auth-user-service-key', 'cf-access-client-secret', 'cookie']);
const PRE_FAULTS: readonly FaultType[] = ['status', 'rate-limit', 'hang', 'echo-headers'];
/** Credential headers an `echo-headers` fault quotes, in this order, with the spelling it uses. */
const ECHOED_HEADERS: ReadonlyArray<[string, string]> = [
  ['authorization', 'Authorization'],
  ['x-auth-key', 'X-Auth-Key'],
  ['x-auth-email', 'X-Auth-Email'],
  ['cf-access-client-secret', 'CF-Access-Client-Secret'],
];
const POST_FAULTS: readonly FaultType[] = ['malformed-json', 'missing-secret', 'drop-after-commit', 'hang-after-commit'];

/** Checks a fault given in-process or over HTTP; throws with a readable message. */
export function validateFault(f: unknown): Fault {
  if (!isRecord(f)) throw new Error('fault must be an object');
  const types: FaultType[] = ['status', 'rate-limit', 'malformed-json', 'missing-secret', 'drop-after-commit', 'hang-after-commit', 'hang', 'echo-headers', 'latency'];
  if (!types.includes(f.type as FaultType)) throw new Error(`fault.type must be one of ${types.join(', ')}`);
  if (f.op !== undefined && !OPERATIONS.includes(f.op as OperationName)) throw new Error(`fault.op: unknown operation ${String(f.op)}`);
  if (f.times !== undefined && (typeof f.times !== 'number' || f.times === 0 || Number.isNaN(f.times))) {
    throw new Error('fault.times must be a positive number, or -1 / Infinity for unlimited');
  }
  if (f.after !== undefined && (typeof f.after !== 'number' || f.after < 0)) throw new Error('fault.after must be >= 0');
  if (f.type === 'status' && ![500, 502, 503].includes(f.status as number)) throw new Error('fault.status must be 500, 502 or 503');
  if (f.type === 'rate-limit' && !(typeof f.retryAfterSec === 'number' && f.retryAfterSec >= 0)) {
    throw new Error('fault.retryAfterSec must be a number >= 0');
  }
  if (f.type === 'latency' && !(typeof f.ms === 'number' && f.ms >= 0)) throw new Error('fault.ms must be a number >= 0');
  if (f.type === 'echo-headers' && f.status !== undefined && ![400, 401, 403, 500, 502, 503].includes(f.status as number)) {
    throw new Error('fault.status must be 400, 401, 403, 500, 502 or 503');
  }
  return f as unknown as Fault;
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
  if (op === 'moqRotate') return r.token === undefined ? undefined : { ...body, result: omit(r, 'token') };
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
  return { requests: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0, byCredential: {}, byOperation: {}, byStatus: {} };
}

class Simulator {
  store!: Store;
  private scenario: Scenario;
  private latencyMs = 0;
  private rateLimit: RateLimitConfig = DEFAULT_RATE_LIMIT;
  private routes: Record<ToggleableRoute, boolean> = { moqRotate: true };
  private frozenAt: number | undefined;
  private faultList: ActiveFault[] = [];
  private faultSeq = 0;
  private windows = new Map<string, { start: number; count: number }>();
  private recorded: RecordedRequest[] = [];
  private seq = 0;
  private statsData = emptyStats();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly server: http.Server;
  private readonly log: ((line: string) => void) | undefined;
  readonly control: SimulatorControl;

  constructor(private readonly opts: SimulatorOptions) {
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
    this.store = new Store(scenario, () => this.now()); // throws on an invalid scenario before anything changes
    this.latencyMs = this.opts.latencyMs ?? 0;
    this.rateLimit = { ...(this.opts.rateLimit ?? DEFAULT_RATE_LIMIT) };
    this.routes = { moqRotate: true };
    this.frozenAt = undefined;
    this.faultList = [];
    this.windows.clear();
    this.recorded = [];
    const inFlight = this.statsData.inFlight;
    this.statsData = emptyStats();
    this.statsData.inFlight = inFlight;
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

  // ------------------------------------------------------------ faults

  /** Does this fault fire for this request? Consumes one firing (or one skip). */
  private fires(af: ActiveFault, op: OperationName | null, types: readonly FaultType[], eligible: (f: Fault) => boolean): boolean {
    const f = af.fault;
    if (op === null || !types.includes(f.type) || (f.op !== undefined && f.op !== op) || !eligible(f)) return false;
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
  private takeFault(op: OperationName | null, types: readonly FaultType[], eligible: (f: Fault) => boolean = () => true): Fault | undefined {
    for (const af of [...this.faultList]) if (this.fires(af, op, types, eligible)) return af.fault;
    return undefined;
  }

  /** Sum of all latency faults that fire for the request (each at most once). */
  private extraLatency(op: OperationName | null): number {
    let ms = 0;
    for (const af of [...this.faultList]) if (this.fires(af, op, ['latency'], () => true)) ms += (af.fault as { ms: number }).ms;
    return ms;
  }

  // ------------------------------------------------------------ rate limit (fixed window per credential)

  private rateCheck(key: string): { limited: boolean; remaining: number; resetSec: number } {
    const now = this.now();
    const { limit, windowMs } = this.rateLimit;
    let w = this.windows.get(key);
    if (w === undefined || now >= w.start + windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const resetSec = Math.max(1, Math.ceil((w.start + windowMs - now) / 1000));
    if (w.count >= limit) return { limited: true, remaining: 0, resetSec };
    w.count += 1;
    return { limited: false, remaining: limit - w.count, resetSec };
  }

  // ------------------------------------------------------------ request pipeline

  private send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Envelope | string): void {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
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
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname === '/__sim' || url.pathname.startsWith('/__sim/')) return this.onControl(req, res, url);

    const rawBody = await this.readBody(req);
    if (rawBody === undefined) {
      this.send(res, 413, {}, new ApiError(413, CODES.malformedJson, 'Request body too large').envelope());
      return;
    }
    const underBase = url.pathname === API_BASE || url.pathname.startsWith(`${API_BASE}/`);
    const apiReq: ApiRequest = {
      method: req.method ?? 'GET',
      apiPath: underBase ? url.pathname.slice(API_BASE.length) || '/' : url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
    };
    const { match, op } = underBase
      ? resolveOp(apiReq, { routeEnabled: (r) => this.routes[r] })
      : { match: undefined, op: null };
    // Faults target existing operations only (not unknown or switched-off routes).
    const faultOp = match === undefined || match === 'method' ? null : op;

    this.statsData.inFlight += 1;
    this.statsData.maxInFlight = Math.max(this.statsData.maxInFlight, this.statsData.inFlight);
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
      durationMs: 0,
    };
    const finish = (status: number | null, outcome: RecordedRequest['outcome'], fault?: FaultType): void => {
      rec.status = status;
      rec.outcome = outcome;
      if (fault !== undefined) rec.fault = fault;
      rec.durationMs = Date.now() - started;
      this.statsData.inFlight = Math.max(0, this.statsData.inFlight - 1);
      this.recordStats(rec);
      this.recorded.push(rec);
      if (this.recorded.length > MAX_RECORDED) this.recorded.splice(0, MAX_RECORDED / 10);
      this.log?.(`${rec.method} ${rec.path} -> ${status ?? outcome} ${op ?? '-'}${fault ? ` [fault ${fault}]` : ''} ${rec.durationMs}ms`);
    };

    const delay = this.latencyMs + this.extraLatency(faultOp);
    if (delay > 0) await this.sleep(delay);
    // A client that gave up during the latency does not stop the server from processing.
    if (this.closed) return finish(null, 'dropped');
    const answer = (status: number, headers: Record<string, string>, body: Envelope | string, fault?: FaultType): void => {
      if (res.destroyed) return finish(null, 'dropped', fault);
      this.send(res, status, headers, body);
      finish(status, 'answered', fault);
    };

    // Rate limit, counted per credential.
    rec.credential = credentialKey(this.store, req.headers);
    const rl = this.rateCheck(rec.credential);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.rateLimit.limit),
      'x-ratelimit-remaining': String(rl.remaining),
      'cf-ray': `${this.seq.toString(16).padStart(16, '0')}-SIM`,
    };
    const tooMany = (retryAfter: number): Envelope => {
      headers['retry-after'] = String(retryAfter);
      headers['x-ratelimit-reset'] = String(retryAfter);
      headers['x-ratelimit-remaining'] = '0';
      return new ApiError(429, CODES.rateLimited, 'Please wait and consider throttling your request speed').envelope();
    };
    if (rl.limited) {
      return answer(429, headers, tooMany(rl.resetSec));
    }

    // Faults that replace processing.
    const pre = this.takeFault(faultOp, PRE_FAULTS);
    if (pre?.type === 'status') {
      const msg = pre.status === 500 ? 'Internal Server Error' : pre.status === 502 ? 'Bad Gateway' : 'Service Unavailable';
      return answer(pre.status, headers, new ApiError(pre.status, CODES.serverError, msg).envelope(), 'status');
    }
    if (pre?.type === 'rate-limit') {
      return answer(429, headers, tooMany(pre.retryAfterSec), 'rate-limit');
    }
    if (pre?.type === 'hang') return finish(null, 'hung', 'hang'); // never answered; close() ends the socket
    if (pre?.type === 'echo-headers') {
      const status = pre.status ?? 400;
      return answer(status, headers, echoHeadersEnvelope(status, req.headers), 'echo-headers');
    }

    const result: ApiResult = handleApi(this.store, apiReq, match, url.pathname);

    // Faults after the change is committed (2xx only).
    const ok = result.status >= 200 && result.status < 300;
    const post = ok
      ? this.takeFault(faultOp, POST_FAULTS, (f) => f.type !== 'missing-secret' || withoutSecret(op as OperationName, result.body) !== undefined)
      : undefined;
    if (post?.type === 'hang-after-commit') return finish(null, 'hung', 'hang-after-commit'); // close() ends the socket
    if (post?.type === 'drop-after-commit') {
      req.socket.destroy();
      return finish(null, 'dropped', 'drop-after-commit');
    }
    if (post?.type === 'malformed-json') {
      const text = JSON.stringify(result.body);
      return answer(result.status, headers, text.slice(0, Math.max(1, Math.floor(text.length / 2))), 'malformed-json');
    }
    const body = post?.type === 'missing-secret' ? (withoutSecret(op as OperationName, result.body) as Envelope) : result.body;
    answer(result.status, headers, body, post?.type);
  }

  private recordStats(rec: RecordedRequest): void {
    const s = this.statsData;
    s.requests += 1;
    const limited = rec.status === 429;
    if (limited) s.rateLimited += 1;
    const c = (s.byCredential[rec.credential] ??= { requests: 0, rateLimited: 0 });
    c.requests += 1;
    if (limited) c.rateLimited += 1;
    if (rec.op !== null) {
      const o = (s.byOperation[rec.op] ??= { requests: 0, errors: 0 });
      o.requests += 1;
      if (rec.status === null || rec.status >= 400) o.errors += 1;
    }
    const key = rec.status === null ? rec.outcome : String(rec.status);
    s.byStatus[key] = (s.byStatus[key] ?? 0) + 1;
  }

  // ------------------------------------------------------------ control (in-process)

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
          config: {
            latencyMs: this.latencyMs,
            rateLimit: { ...this.rateLimit },
            routes: { ...this.routes },
            clockFrozen: this.frozenAt !== undefined,
          },
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
      setRouteEnabled: (r, enabled) => {
        if (!(r in this.routes)) throw new Error(`unknown toggleable route ${String(r)}`);
        this.routes[r] = enabled;
      },
      requests: (filter?: RequestFilter) =>
        this.recorded.filter(
          (r) => (filter?.op === undefined || r.op === filter.op) && (filter?.method === undefined || r.method === filter.method.toUpperCase()),
        ),
      clearRequests: () => {
        this.recorded = [];
      },
      stats: () => structuredClone(this.statsData),
      resetStats: () => {
        const inFlight = this.statsData.inFlight;
        this.statsData = emptyStats();
        this.statsData.inFlight = inFlight;
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
          return reply(200, { ids: list.map((f) => c.addFault(f as Fault)) });
        }
        case 'DELETE /__sim/faults':
          c.clearFaults();
          return reply(200, { ok: true });
        case 'POST /__sim/config': {
          if (obj.latencyMs !== undefined) c.setLatency(Number(obj.latencyMs));
          if (isRecord(obj.rateLimit)) c.setRateLimit({ limit: Number(obj.rateLimit.limit), windowMs: Number(obj.rateLimit.windowMs) });
          if (isRecord(obj.routes)) for (const [k, v] of Object.entries(obj.routes)) c.setRouteEnabled(k as ToggleableRoute, v === true);
          return reply(200, c.state().config);
        }
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
  const sim = new Simulator(opts);
  const host = opts.host ?? '127.0.0.1';
  const addr = await sim.listen(opts.port ?? 0, host);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  return { url: `${origin}${API_BASE}`, origin, port: addr.port, control: sim.control, close: () => sim.close() };
}
