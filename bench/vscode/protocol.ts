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

export type HostRequest = ActivationRequest | MemoryRequest;

export interface Mark {
  name: string;
  startTime: number;
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
