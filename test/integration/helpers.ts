/**
 * Shared by the suites that run inside the VS Code extension host: the extension's test API,
 * the simulator's HTTP control API (/__sim/…, URL from the environment), the workspace fixture,
 * and spies on the notifications and progress the extension shows.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandRotationResult } from '../../src/commands/rotate';
import { COMMANDS } from '../../src/constants';
import type { CfRotateApi } from '../../src/extension';
import type { TreeNode } from '../../src/views/model';
import type { AccessCheckResult, Fault, MoqCheckResult, OperationName, RecordedRequest, ScenarioSeed, SeedResult, SimState, SimStats } from '../simulator/types';
import { devVarsText, envText, secretsFromState, writeWorkspace, type Secrets } from './fixture';

export const EXTENSION_ID = 'cf-rotate.cf-rotate';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run these suites through out/test/integration/run.js`);
  return v;
}

export const SIM_URL = env('CF_ROTATE_TEST_SIM_URL');
export const ADMIN_TOKEN = env('CF_ROTATE_TEST_ADMIN_TOKEN');
export const FOLDER = env('CF_ROTATE_TEST_WORKSPACE');
const SIM_ORIGIN = new URL(SIM_URL).origin;

// ------------------------------------------------------------------------ secrets seen

/** Every secret value the tests have seen; none may ever appear in a log, notification or tree item. */
export const seenSecrets = new Set<string>([ADMIN_TOKEN]);

function collectSecrets(s: SimState): void {
  const add = (v: string | undefined): void => {
    if (v !== undefined && v.length >= 8) seenSecrets.add(v);
  };
  add(s.user.globalApiKey);
  for (const t of [...s.userTokens, ...s.accountTokens]) {
    add(t.value);
    add(t.previousValue);
  }
  for (const t of s.serviceTokens) {
    add(t.clientSecret);
    add(t.previousClientSecret);
  }
  for (const r of s.moqRelays) for (const t of r.tokens) add(t.secret);
}

/** Throws naming the place if `text` contains a secret the tests have seen. */
export function assertNoSecret(text: string, where: string): void {
  for (const s of seenSecrets) {
    if (text.includes(s)) assert.fail(`${where} contains a secret (…${s.slice(-4)})`);
  }
}

// ------------------------------------------------------------------------ simulator

async function simFetch<T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${SIM_ORIGIN}/__sim/${route}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulator ${method} /__sim/${route}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export const sim = {
  async state(): Promise<SimState> {
    const s = await simFetch<SimState>('GET', 'state');
    collectSecrets(s);
    return s;
  },
  async secrets(): Promise<Secrets> {
    return secretsFromState(await this.state());
  },
  reset: (): Promise<unknown> => simFetch('POST', 'reset', {}),
  addFault: (f: Fault | Fault[]): Promise<{ ids: string[] }> => simFetch('POST', 'faults', f),
  clearFaults: (): Promise<unknown> => simFetch('DELETE', 'faults'),
  requests: (op?: OperationName): Promise<RecordedRequest[]> => simFetch('GET', `requests${op ? `?op=${op}` : ''}`),
  clearRequests: (): Promise<unknown> => simFetch('DELETE', 'requests'),
  stats: (): Promise<SimStats> => simFetch('GET', 'stats'),
  accessCheck: (clientId: string, clientSecret: string): Promise<AccessCheckResult> =>
    simFetch('GET', 'access/check', undefined, { 'cf-access-client-id': clientId, 'cf-access-client-secret': clientSecret }),
  moqCheck: (token: string): Promise<MoqCheckResult> => simFetch('GET', 'moq/check', undefined, { authorization: `Bearer ${token}` }),
  async seed(seed: ScenarioSeed): Promise<SeedResult> {
    const r = await simFetch<SeedResult>('POST', 'seed', seed);
    for (const t of [...r.accountTokens, ...r.userTokens]) seenSecrets.add(t.value);
    return r;
  },
};

/** Operations that change a credential at "Cloudflare". */
export const ROTATING_OPS: readonly OperationName[] = [
  'rollAccountToken',
  'rollUserToken',
  'rotateServiceToken',
  'updateServiceToken',
  'createMoqToken',
  'deleteMoqToken',
];

/** Requests the simulator answered (or dropped) for operations that change a credential. */
export async function rotatingRequests(): Promise<RecordedRequest[]> {
  const all = await sim.requests();
  return all.filter((r) => r.op !== null && ROTATING_OPS.includes(r.op));
}

// ------------------------------------------------------------------------ notifications & progress

export interface Shown {
  level: 'error' | 'warning' | 'info';
  message: string;
  items: string[];
  modal: boolean;
  /** A modal's detail text. */
  detail?: string;
  /** A modal a suite answered on purpose (`onModal`). */
  answered?: boolean;
}

/** Every showErrorMessage / showWarningMessage / showInformationMessage call since the spy was installed. */
export const shown: Shown[] = [];
/** Titles of every withProgress call. */
export const progressTitles: string[] = [];

/** One withProgress call: what it reported, and a Cancel button the suites can press. */
export interface ProgressRun {
  title: string;
  cancellable: boolean;
  messages: string[];
  /** Press Cancel (as the notification's button would: the token the task got is cancelled). */
  cancel(): void;
}
export const progressRuns: ProgressRun[] = [];

let modalAnswer: ((s: Shown) => string | undefined) | undefined;

/**
 * Answer the modal dialogs the extension shows from now on (undefined = Cancel), until called
 * with undefined. Without it, a modal is answered as dismissed and z-hygiene reports it.
 */
export function onModal(answer: ((s: Shown) => string | undefined) | undefined): void {
  modalAnswer = answer;
}

type ShowFn = (message: string, ...rest: unknown[]) => Thenable<unknown>;
type ProgressFn = (options: vscode.ProgressOptions, task: (...a: unknown[]) => unknown) => Thenable<unknown>;
type Task = (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => unknown;

/**
 * The extension and these suites live in the same extension folder, so VS Code hands both the
 * same `vscode` API object: wrapping its window functions observes what the extension shows,
 * while the original still shows it.
 */
function installSpies(): void {
  const w = vscode.window as unknown as Record<string, unknown>;
  if (w.__cfRotateTestSpies === true) return;
  w.__cfRotateTestSpies = true;
  const levels = { showErrorMessage: 'error', showWarningMessage: 'warning', showInformationMessage: 'info' } as const;
  for (const [fn, level] of Object.entries(levels)) {
    const original = (w[fn] as ShowFn).bind(vscode.window);
    w[fn] = (message: string, ...rest: unknown[]): Thenable<unknown> => {
      const options = rest[0];
      const modal = typeof options === 'object' && options !== null && 'modal' in options && (options as { modal?: boolean }).modal === true;
      const items = rest.filter((r): r is string => typeof r === 'string');
      const entry: Shown = { level, message, items, modal };
      const detail = modal ? (options as { detail?: unknown }).detail : undefined;
      if (typeof detail === 'string') entry.detail = detail;
      shown.push(entry);
      // A modal the suites did not ask for would block the run forever: answer it as dismissed.
      if (modal) {
        if (modalAnswer) {
          entry.answered = true;
          return Promise.resolve(modalAnswer(entry));
        }
        return Promise.resolve(undefined);
      }
      return original(message, ...rest);
    };
  }
  const withProgress = (w.withProgress as ProgressFn).bind(vscode.window);
  w.withProgress = (options: vscode.ProgressOptions, task: Task): Thenable<unknown> => {
    progressTitles.push(options.title ?? '');
    return withProgress(options, async (...a: unknown[]) => {
      const [progress, token] = a as [vscode.Progress<{ message?: string; increment?: number }>, vscode.CancellationToken];
      const source = new vscode.CancellationTokenSource();
      const sub = token.onCancellationRequested(() => source.cancel());
      const run: ProgressRun = { title: options.title ?? '', cancellable: options.cancellable === true, messages: [], cancel: () => source.cancel() };
      progressRuns.push(run);
      try {
        return await task(
          {
            report: (v) => {
              if (v.message !== undefined) run.messages.push(v.message);
              progress.report(v);
            },
          },
          source.token,
        );
      } finally {
        sub.dispose();
        source.dispose();
      }
    });
  };
}
installSpies();

/** Notifications shown since `mark` (an index into `shown`). */
export function shownSince(mark: number): Shown[] {
  return shown.slice(mark);
}

// ------------------------------------------------------------------------ the extension

let apiPromise: Promise<CfRotateApi> | undefined;

/** Activates the extension under test and waits for its first load. */
export function cfRotate(): Promise<CfRotateApi> {
  apiPromise ??= (async () => {
    const ext = vscode.extensions.getExtension<CfRotateApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded as the extension under development`);
    const api = await ext.activate();
    await api.ready;
    return api;
  })();
  return apiPromise;
}

export async function exec<T>(command: string, arg?: unknown): Promise<T> {
  return (await vscode.commands.executeCommand<T>(command, ...(arg === undefined ? [] : [arg]))) as T;
}

export function rotate(name: string): Promise<CommandRotationResult | undefined> {
  return exec<CommandRotationResult | undefined>(COMMANDS.rotate, { name, skipConfirm: true });
}

export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ------------------------------------------------------------------------ files

export function file(rel: string): string {
  return path.join(FOLDER, rel);
}

export function read(rel: string): string {
  return fs.readFileSync(file(rel), 'utf8');
}

/** Both target files, byte for byte. */
export function snapshotFiles(): { env: string; devVars: string } {
  return { env: read('.env'), devVars: read('.dev.vars') };
}

/** The files must hold exactly the fixture rendered with these secrets. */
export function assertFilesHold(v: Secrets, why: string): void {
  assert.equal(read('.env'), envText(v), `.env ${why}`);
  assert.equal(read('.dev.vars'), devVarsText(v), `.dev.vars ${why}`);
}

/** Revert every dirty document and close every editor (never leaves a save prompt behind). */
export async function closeEditors(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments.filter((d) => d.isDirty)) {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/**
 * The admin credential of profile "default": the demo admin API token and, beside it, the demo
 * user's email + Global API key (the zone-level Access service token accepts only that, A5).
 */
export async function setAdminCredential(): Promise<void> {
  const { user } = await sim.state();
  const r = await exec<{ stored: boolean } | undefined>(COMMANDS.setCredential, { profile: 'default', apiToken: ADMIN_TOKEN, email: user.email, apiKey: user.globalApiKey, verify: false });
  assert.equal(r?.stored, true, 'the admin credential is stored');
}

/**
 * A fresh world for a suite: the simulator back at the demo scenario (no faults, no recorded
 * requests), the fixture files rewritten from its live state, the configuration reloaded, no
 * interrupted journal, no open editor, and (unless told otherwise) the admin credential set.
 */
export async function resetWorld(opts: { credential?: boolean } = {}): Promise<{ api: CfRotateApi; secrets: Secrets }> {
  const api = await cfRotate();
  await closeEditors();
  await sim.reset();
  for (const j of await api.engine.interrupted()) await api.engine.discard(j.id);
  const settings = file(path.join('.vscode', 'settings.json'));
  if (fs.existsSync(settings)) fs.rmSync(settings);
  const secrets = writeWorkspace(FOLDER, await sim.state());
  await api.refresh();
  if (opts.credential !== false && (await api.credentials.get('default')) === undefined) await setAdminCredential();
  await sim.clearRequests();
  return { api, secrets };
}

// ------------------------------------------------------------------------ tree

export async function treeRoots(api: CfRotateApi): Promise<TreeNode[]> {
  return api.tree.getChildren();
}

export async function tokenNode(api: CfRotateApi, name: string): Promise<TreeNode & { type: 'token' }> {
  const roots = await treeRoots(api);
  const node = roots.find((n): n is TreeNode & { type: 'token' } => n.type === 'token' && n.name === name);
  assert.ok(node, `the tree shows token "${name}" (roots: ${roots.map((r) => r.label).join(', ')})`);
  return node;
}

// ------------------------------------------------------------------------ log

/** The "Cloudflare Rotate" log channel's file (code-server keeps VS Code logs under VSCODE_CWD/logs). */
export function logFile(): string | undefined {
  const root = path.join(process.env.VSCODE_CWD ?? process.cwd(), 'logs');
  if (!fs.existsSync(root)) return undefined;
  const hits = (fs.readdirSync(root, { recursive: true }) as string[]).filter((rel) => path.basename(rel) === 'Cloudflare Rotate.log');
  return hits.length > 0 ? path.join(root, hits.sort().at(-1) as string) : undefined;
}

export function logText(): string {
  const f = logFile();
  return f ? fs.readFileSync(f, 'utf8') : '';
}

/** Waits until the log holds `needle` (the log is written asynchronously). */
export function waitForLog(needle: string, timeoutMs = 10_000): Promise<string> {
  return waitFor(() => {
    const t = logText();
    return t.includes(needle) ? t : undefined;
  }, `the Cloudflare Rotate log to contain ${JSON.stringify(needle)} (file: ${logFile() ?? 'not found'})`, timeoutMs);
}
