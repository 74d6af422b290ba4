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
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import { OUT_ENV, REQUEST_ENV, type HeapSample, type HostReport, type HostRequest, type Mark, type MemoryRequest } from './protocol';

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
  return { ...base, wasActive, ...(apiActivateMs !== undefined ? { apiActivateMs } : {}), marks: extensionMarks(id), runtimeMarks: runtimeMarks() };
}

/** cf-rotate's own performance marks, converted to epoch ms like the extension host's. */
function runtimeMarks(): Mark[] {
  return performance
    .getEntriesByType('mark')
    .filter((m) => m.name.startsWith('cf-rotate/'))
    .map((m) => ({ name: m.name, startTime: performance.timeOrigin + m.startTime }));
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
    report = req.mode === 'activation' ? await activation(ext, req.extensionId, base) : await memory(ext, req, base);
  } catch (e) {
    report = { ...base, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e), wasActive: false, marks: extensionMarks(req.extensionId) };
  }
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(report, null, 1));
  fs.renameSync(tmp, out);
}
