/**
 * Runs INSIDE VS Code's extension host as the extensionTestsPath module of a benchmark window
 * (see bench/benches/vscode.ts). It does not use mocha: run() does the measurement the request
 * asks for and writes a JSON report to $CF_ROTATE_BENCH_OUT.
 *
 * - activation: reads the extension host's own performance marks for the extension
 *   (code/extHost/willLoadExtensionCode|didLoadExtensionCode|willActivateExtension|
 *   didActivateExtension/<id>, Date.now() based, kept in globalThis.MonacoPerformanceMarks).
 *   If the extension is not active yet, it also times `await ext.activate()`.
 * - memory: heap before activation, after activation with the workspace's tokens (Tokens view
 *   open), and after cfRotate.rotateDue, each after a full GC.
 */
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import { OUT_ENV, REQUEST_ENV, type BatchRequest, type BatchRun, type HeapSample, type HungRun, type HostReport, type HostRequest, type Mark, type MemoryRequest, type Phases } from './protocol';

interface PerfMarks {
  getMarks(): Mark[];
}

function extensionMarks(id: string): Mark[] {
  const perf = (globalThis as { MonacoPerformanceMarks?: PerfMarks }).MonacoPerformanceMarks;
  if (!perf) return [];
  return perf.getMarks().filter((m) => m.name.endsWith(`/${id}`) || m.name === 'code/extHost/ready' || m.name === 'code/timeOrigin');
}

let gcFn: (() => void) | undefined;
function collect(): boolean {
  if (!gcFn) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    } catch {
      return false;
    }
  }
  gcFn();
  gcFn();
  return true;
}

function heap(): HeapSample {
  const gc = collect();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, gc };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** cf-rotate's phase table (src/core/perf.ts), shared through a registered symbol; empty unless CF_ROTATE_PERF=1. */
const PERF_TABLE = Symbol.for('cf-rotate.perf.phases');
function takePhases(): Phases {
  const g = globalThis as { [PERF_TABLE]?: Phases };
  const t = g[PERF_TABLE] ?? {};
  g[PERF_TABLE] = {};
  return t;
}

interface CfRotateApiLike {
  ready: Promise<void>;
  tree?: { onDidChangeTreeData?: vscode.Event<unknown>; onDidUpdate?: vscode.Event<unknown> };
}

async function activation(ext: vscode.Extension<unknown>, id: string, base: Omit<HostReport, 'marks' | 'wasActive'>): Promise<HostReport> {
  const wasActive = ext.isActive;
  let apiActivateMs: number | undefined;
  if (!wasActive) {
    const t0 = performance.now();
    await ext.activate();
    apiActivateMs = performance.now() - t0;
  }
  // The shell loads its runtime after activate() returns; wait for it so its marks exist.
  await Promise.race([(ext.exports as CfRotateApiLike | undefined)?.ready, sleep(60_000)]);
  return { ...base, wasActive, ...(apiActivateMs !== undefined ? { apiActivateMs } : {}), marks: extensionMarks(id), runtimeMarks: runtimeMarks(), startupPhases: takePhases() };
}

/** cf-rotate's own performance marks, converted to epoch ms like the extension host's. */
function runtimeMarks(): Mark[] {
  return performance
    .getEntriesByType('mark')
    .filter((m) => m.name.startsWith('cf-rotate/'))
    .map((m) => {
      const cpuMs = ((m as { detail?: unknown }).detail as { cpuMs?: unknown } | null | undefined)?.cpuMs;
      return { name: m.name, startTime: performance.timeOrigin + m.startTime, ...(typeof cpuMs === 'number' ? { cpuMs } : {}) };
    });
}

async function memory(ext: vscode.Extension<unknown>, req: MemoryRequest, base: Omit<HostReport, 'marks' | 'wasActive'>): Promise<HostReport> {
  const wasActive = ext.isActive;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('no workspace folder');
  const beforeActivation = heap();
  for (const f of req.files) {
    const to = path.join(folder, f.to);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(f.from, to);
  }
  const t0 = performance.now();
  const api = (await ext.activate()) as CfRotateApiLike;
  const apiActivateMs = performance.now() - t0;
  await api.ready;
  const readyMs = performance.now() - t0;
  await vscode.commands.executeCommand('workbench.view.extension.cfRotate');
  await sleep(req.settleMs);
  const afterActivation = heap();

  const cred = (await vscode.commands.executeCommand('cfRotate.setCredential', { apiToken: req.adminToken })) as { stored?: boolean } | undefined;
  if (!cred?.stored) throw new Error(`cfRotate.setCredential did not store the credential: ${JSON.stringify(cred)}`);
  // What storing the credential sets off (the tree's refresh: every token now has a credential) is over before the first batch.
  await sleep(req.settleMs);
  // How often the tree is invalidated / rebuilt while rotating (each rebuild covers all tokens).
  let treeChanges = 0;
  let treeRebuilds = 0;
  const subs = [api.tree?.onDidChangeTreeData?.(() => treeChanges++), api.tree?.onDidUpdate?.(() => treeRebuilds++)];
  const t1 = performance.now();
  const results = ((await vscode.commands.executeCommand('cfRotate.rotateDue', { confirm: false })) ?? []) as { ok: boolean; name: string; error?: { message: string } }[];
  const rotateMs = performance.now() - t1;
  const during = { treeChanges, treeRebuilds };
  await sleep(req.settleMs);
  for (const s of subs) s?.dispose();
  const afterRotations = heap();
  return {
    ...base,
    wasActive,
    apiActivateMs,
    marks: extensionMarks(req.extensionId),
    memory: {
      beforeActivation,
      afterActivation,
      afterRotations,
      readyMs,
      rotateMs,
      treeChanges: during.treeChanges,
      treeRebuilds: during.treeRebuilds,
      rotated: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).slice(0, 5).map((r) => `${r.name}: ${r.error?.message ?? '?'}`),
    },
  };
}

/** Cumulative CPU time (ms) of every process, with its role; undefined where there is no /proc. */
function processTimes(): Map<number, { role: string; ms: number }> | undefined {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const out = new Map<number, { role: string; ms: number }>();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime, in clock ticks (100 per second on Linux).
      const ms = (Number(f[11]) + Number(f[12])) * 10;
      out.set(Number(pid), { role: processRole(Number(pid), fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')), ms });
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

function processRole(pid: number, cmdline: string): string {
  if (pid === process.pid) return 'extension host';
  if (/chrom(e|ium)/.test(cmdline)) return cmdline.includes('--type=renderer') ? 'browser renderer (workbench)' : cmdline.includes('--type=gpu-process') ? 'browser GPU process' : 'browser (other)';
  if (cmdline.includes('code-server')) return 'code-server (server, file watcher, …)';
  if (cmdline.includes('simulator')) return 'simulator';
  return 'other processes';
}

/** CPU ms per role between two processTimes() readings. */
function processDelta(before: ReturnType<typeof processTimes>, after: ReturnType<typeof processTimes>): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const out: Record<string, number> = {};
  for (const [pid, a] of after) {
    const d = a.ms - (before.get(pid)?.ms ?? 0);
    if (d > 0) out[a.role] = (out[a.role] ?? 0) + d;
  }
  return out;
}

/** cfRotate.rotateDue {confirm: false}, timed, with the tree's events, the phases and every process's CPU while it ran. */
async function timedRotateDue(api: CfRotateApiLike, latencyMs: number): Promise<BatchRun> {
  let treeRebuilds = 0;
  const treeEvents: (number | 'all')[] = [];
  const subs = [
    api.tree?.onDidChangeTreeData?.((e) => treeEvents.push(e === undefined || e === null ? 'all' : Array.isArray(e) ? e.length : 1)),
    api.tree?.onDidUpdate?.(() => treeRebuilds++),
  ];
  takePhases();
  const procs0 = processTimes();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  const results = ((await vscode.commands.executeCommand('cfRotate.rotateDue', { confirm: false })) ?? []) as { ok: boolean; name: string; error?: { message: string } }[];
  const rotateMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const processes = processDelta(procs0, processTimes());
  const phases = takePhases();
  for (const s of subs) s?.dispose();
  return {
    latencyMs,
    rotateMs,
    rotated: results.filter((r) => r.ok).length,
    failed: results.filter((r) => !r.ok).slice(0, 5).map((r) => `${r.name}: ${r.error?.message ?? '?'}`),
    phases,
    elu,
    cpuMs: (cpu.user + cpu.system) / 1000,
    treeChanges: treeEvents.length,
    treeEvents,
    treeRebuilds,
    ...(processes ? { processes } : {}),
  };
}

async function batch(ext: vscode.Extension<unknown>, req: BatchRequest, base: Omit<HostReport, 'marks' | 'wasActive'>): Promise<HostReport> {
  const wasActive = ext.isActive;
  const api = (await ext.activate()) as CfRotateApiLike & { refresh(): Promise<void> };
  await api.ready;
  await vscode.commands.executeCommand('workbench.view.extension.cfRotate');
  await sleep(req.settleMs);
  const cred = (await vscode.commands.executeCommand('cfRotate.setCredential', { apiToken: req.adminToken })) as { stored?: boolean } | undefined;
  if (!cred?.stored) throw new Error(`cfRotate.setCredential did not store the credential: ${JSON.stringify(cred)}`);
  // What storing the credential sets off (the tree's refresh: every token now has a credential) is over before the first batch.
  await sleep(req.settleMs);
  const sim = (p: string, method: string, body?: unknown): Promise<Response> =>
    fetch(`${req.simOrigin}/__sim/${p}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const setLatency = async (latencyMs: number): Promise<void> => {
    const res = await sim('config', 'POST', { latencyMs });
    if (!res.ok) throw new Error(`simulator config: ${res.status}`);
  };
  // The same tokens due again: forget their history (in the harness's own state directory) and reload.
  const stateDir = process.env.CF_ROTATE_STATE_DIR;
  const dueAgain = async (): Promise<void> => {
    if (!stateDir) throw new Error('CF_ROTATE_STATE_DIR is not set');
    fs.rmSync(path.join(stateDir, 'history.jsonl'), { force: true });
    await api.refresh();
    await sleep(req.settleMs);
  };
  // The window's first batch: cold JIT, as a user's first Rotate All (its own figure).
  await setLatency(0);
  const firstBatch = await timedRotateDue(api, 0);
  await sleep(req.settleMs);
  const runs: BatchRun[] = [];
  for (let round = 0; round < (req.rounds ?? 1); round++) {
    for (const latencyMs of req.latencies) {
      await setLatency(latencyMs);
      await dueAgain();
      runs.push(await timedRotateDue(api, latencyMs));
      await sleep(req.settleMs);
    }
  }
  let hiddenView: BatchRun | undefined;
  if (req.hiddenView) {
    // The same 0 ms run with the Explorer in the side bar: the Tokens view is not drawn (its data still is).
    await setLatency(0);
    await vscode.commands.executeCommand('workbench.view.explorer');
    await dueAgain();
    hiddenView = await timedRotateDue(api, 0);
    await vscode.commands.executeCommand('workbench.view.extension.cfRotate');
    await sleep(req.settleMs);
  }
  let hung: HungRun | undefined;
  if (req.hung) {
    // One rotation whose roll the simulator takes and never answers (nothing applied), with the
    // default settings (20 s per request): how long until the user sees the verdict.
    await setLatency(0);
    if (!(await sim('faults', 'POST', { op: 'rollAccountToken', type: 'hang', times: 1 })).ok) throw new Error('simulator fault failed');
    const t = performance.now();
    const r = (await vscode.commands.executeCommand('cfRotate.rotate', { name: req.hung.name, confirm: false })) as
      | { ok: boolean; state: string; error?: { kind?: string } }
      | undefined;
    hung = {
      ms: performance.now() - t,
      ok: r?.ok ?? false,
      state: r?.state ?? 'no result',
      ...(r?.error?.kind ? { errorKind: r.error.kind } : {}),
    };
    await sim('faults', 'DELETE');
    await sleep(req.settleMs);
  }
  let profile: HostReport['profile'];
  if (req.profile) {
    await setLatency(0);
    await dueAgain();
    const session = new inspector.Session();
    session.connect();
    const post = <T>(method: string, params?: object): Promise<T> =>
      new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    await vscode.commands.executeCommand('cfRotate.rotateDue', { confirm: false });
    const { profile: p } = await post<{ profile: CpuProfile }>('Profiler.stop');
    session.disconnect();
    profile = summarizeProfile(p);
    // The whole profile beside the report, for a closer look (Chrome DevTools, speedscope).
    const out = process.env[OUT_ENV];
    if (out) fs.writeFileSync(`${out}.cpuprofile`, JSON.stringify(p));
  }
  return { ...base, wasActive, marks: extensionMarks(req.extensionId), firstBatch, batch: runs, ...(hiddenView ? { hiddenView } : {}), ...(hung ? { hung } : {}), ...(profile ? { profile } : {}) };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function area(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8/native (program)';
  if (/cf-rotate|dist[\\/]runtime\.js|dist[\\/]extension\.js/.test(url)) return 'cf-rotate';
  if (/bench[\\/]vscode[\\/]host/.test(url)) return 'bench module';
  if (url.startsWith('node:') || url === '') return 'Node.js internals';
  if (/extensions[\\/]/.test(url)) return 'other extensions';
  return 'VS Code extension host';
}

function summarizeProfile(p: CpuProfile): NonNullable<HostReport['profile']> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const byArea: Record<string, number> = {};
  const fns = new Map<string, { fn: string; where: string; ms: number }>();
  let totalMs = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    totalMs += ms;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    byArea[a] = (byArea[a] ?? 0) + ms;
    if (a === 'idle') continue;
    const where = `${n.callFrame.url.split(/[\\/]/).slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
    const key = `${n.callFrame.functionName}@${where}`;
    const f = fns.get(key) ?? { fn: n.callFrame.functionName || '(anonymous)', where, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
  }
  const top = [...fns.values()].sort((a, b) => b.ms - a.ms).slice(0, 15);
  // Samples inside VS Code's own fetch: a frame of the patched globalThis.fetch, of
  // @vscode/proxy-agent or of the undici in VS Code's node_modules on the sample's stack.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fetchFrame = (n: CpuProfile['nodes'][number]): boolean =>
    /[\\/]@vscode[\\/]proxy-agent[\\/]|[\\/]vscode[\\/]node_modules[\\/]undici[\\/]/.test(n.callFrame.url) ||
    (/extensionHostProcess\.js$/.test(n.callFrame.url) && /(^|\.)fetch$/.test(n.callFrame.functionName));
  const inFetch = new Map<number, boolean>();
  const underFetch = (id: number): boolean => {
    const known = inFetch.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    const up = parent.get(id);
    const v = n !== undefined && (fetchFrame(n) || (up !== undefined && underFetch(up)));
    inFetch.set(id, v);
    return v;
  };
  let vscodeFetchMs = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (n && area(n.callFrame.url, n.callFrame.functionName) !== 'idle' && underFetch(id)) vscodeFetchMs += ms;
  }
  return { totalMs, byArea, top, vscodeFetchMs };
}

export async function run(): Promise<void> {
  const out = process.env[OUT_ENV];
  const raw = process.env[REQUEST_ENV];
  if (!out || !raw) throw new Error(`${OUT_ENV} / ${REQUEST_ENV} are not set`);
  const req = JSON.parse(raw) as HostRequest;
  const base = { ok: true, node: process.version, vscodeVersion: vscode.version };
  let report: HostReport;
  try {
    const ext = vscode.extensions.getExtension(req.extensionId);
    if (!ext) throw new Error(`extension ${req.extensionId} is not installed in this window`);
    report = req.mode === 'activation' ? await activation(ext, req.extensionId, base) : req.mode === 'batch' ? await batch(ext, req, base) : await memory(ext, req, base);
  } catch (e) {
    report = { ...base, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e), wasActive: false, marks: extensionMarks(req.extensionId) };
  }
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(report, null, 1));
  fs.renameSync(tmp, out);
}
