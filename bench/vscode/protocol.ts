/** What the bench runner asks the in-VS Code module (host.ts) to do, and what it reports back. No vscode import. */

export const REQUEST_ENV = 'CF_ROTATE_BENCH_REQUEST';
export const OUT_ENV = 'CF_ROTATE_BENCH_OUT';

export interface ActivationRequest {
  mode: 'activation';
  extensionId: string;
}

export interface MemoryRequest {
  mode: 'memory';
  extensionId: string;
  /** Copied into the workspace folder (relative path → absolute source) before activating. */
  files: { to: string; from: string }[];
  adminToken: string;
  /** Expected number of due tokens (rotated by cfRotate.rotateDue). */
  due: number;
  /** Settle time after opening the view / after the rotations, before measuring. */
  settleMs: number;
}

/** 100 due rotations through cfRotate.rotateDue at each simulator latency, in one window. */
export interface BatchRequest {
  mode: 'batch';
  extensionId: string;
  adminToken: string;
  /** The simulator's origin (its /__sim control API sets the latency between the runs). */
  simOrigin: string;
  /**
   * The timed runs, in order. Before them, the window's first batch (0 ms, timed on its own as
   * `firstBatch`): the engine's code runs for the first time there (cold JIT), as in a user's
   * first Rotate All in a fresh window; the runs after it compare warm with the warm core.
   */
  latencies: number[];
  /** How many times the timed runs go through `latencies` (default 1). */
  rounds?: number;
  due: number;
  settleMs: number;
  /** After the timed runs, one more at 0 ms under the V8 sampling profiler (its own run: the profiler slows what it samples). */
  profile?: boolean;
  /** Then cfRotate.rotate of this token while the simulator never answers its roll (fault `hang`): time to the verdict. */
  hung?: { name: string };
  /** One more timed run at 0 ms with the Explorer shown instead of the Tokens view (what the visible tree costs). */
  hiddenView?: boolean;
}

/** cfRotate.rotate of one token whose roll is never answered, with the default settings. */
export interface HungRun {
  /** executeCommand → its result (the verdict; the notification shows it at the same instant). */
  ms: number;
  ok: boolean;
  state: string;
  errorKind?: string;
}

export type HostRequest = ActivationRequest | MemoryRequest | BatchRequest;

/** cf-rotate's phase table (src/core/perf.ts, CF_ROTATE_PERF=1): name → calls, ms in flight. */
export type Phases = Record<string, { n: number; ms: number }>;

export interface BatchRun {
  latencyMs: number;
  rotateMs: number;
  rotated: number;
  failed: string[];
  phases: Phases;
  /** Extension host event-loop utilisation while the command ran (0–1). */
  elu: number;
  /** Extension host CPU time (user + system) while the command ran, ms. */
  cpuMs: number;
  treeChanges: number;
  /** Each onDidChangeTreeData event: how many nodes it named, or 'all' (the whole tree). */
  treeEvents?: (number | 'all')[];
  treeRebuilds: number;
  /**
   * CPU time (ms) of every process on the machine while the command ran, by role (Linux /proc,
   * read just before and after the command): the extension host, the browser's renderer and GPU
   * process that draw the workbench, code-server (server, file watcher), the simulator, the rest.
   */
  processes?: Record<string, number>;
}

export interface Mark {
  name: string;
  startTime: number;
  /** cf-rotate's marks: the extension host process's CPU time (user + system) at the mark, in ms. */
  cpuMs?: number;
}

export interface HeapSample {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  /** gc() could be called before the sample. */
  gc: boolean;
}

export interface HostReport {
  ok: boolean;
  error?: string;
  node: string;
  vscodeVersion: string;
  /** The extension was already active when run() started (activated at startup). */
  wasActive: boolean;
  /** performance.now() around `await ext.activate()` when run() had to activate it. */
  apiActivateMs?: number;
  /** The extension host's performance marks (epoch ms, Date.now() resolution) about the extension, plus code/extHost/ready. */
  marks: Mark[];
  /** cf-rotate's own performance marks (cf-rotate/runtime/willLoad|didStart, cf-rotate/ready), as epoch ms. */
  runtimeMarks?: Mark[];
  /** cf-rotate's phase table after its first load (activation windows, CF_ROTATE_PERF=1). */
  startupPhases?: Phases;
  batch?: BatchRun[];
  /** The window's first batch (0 ms, cold JIT), before the timed runs in `batch`. */
  firstBatch?: BatchRun;
  /** The 0 ms run with the Tokens view hidden (BatchRequest.hiddenView). */
  hiddenView?: BatchRun;
  hung?: HungRun;
  /** Self time of the extension host during the profiled run, by where the code lives, and the top functions. */
  /**
   * `vscodeFetchMs`: busy time (self time of every frame) of samples taken inside VS Code's own
   * fetch: the patched globalThis.fetch of the extension host, @vscode/proxy-agent, and the undici
   * of VS Code's node_modules (what carries the user's proxy and system-certificate settings).
   */
  profile?: { totalMs: number; byArea: Record<string, number>; top: { fn: string; where: string; ms: number }[]; vscodeFetchMs?: number };
  memory?: {
    beforeActivation: HeapSample;
    afterActivation: HeapSample;
    afterRotations: HeapSample;
    readyMs: number;
    rotateMs: number;
    /** Tree onDidChangeTreeData / onDidUpdate events while the command ran. */
    treeChanges: number;
    treeRebuilds: number;
    rotated: number;
    failed: string[];
  };
}
