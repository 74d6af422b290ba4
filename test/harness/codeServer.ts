/** Starts code-server (real VS Code server) under the provisioned Node 22, bound to 127.0.0.1. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { provision } from './provision';
import { cacheDir, log, sleep } from './util';

export interface CodeServerOptions {
  /** Workspace folder opened by default. */
  folder: string;
  /** Defaults to a fresh folder under .vscode-test/runs/. */
  userDataDir?: string;
  /** Merged over the harness defaults into User/settings.json. */
  settings?: Record<string, unknown>;
  /**
   * Machine/settings.json: the remote machine's settings. code-server's window is a remote window,
   * and VS Code applies machine-scoped settings (cfRotate.apiBaseUrl) there only from this file:
   * a machine-scoped value in User/settings.json counts at startup but is dropped once any user
   * setting changes.
   */
  machineSettings?: Record<string, unknown>;
  /** Extra environment for the server; it is inherited by the remote extension host. */
  env?: Record<string, string>;
  /** Defaults to a free port. */
  port?: number;
  /** Milliseconds to wait for the server to answer HTTP (default 60 s). */
  startTimeoutMs?: number;
}

export interface CodeServer {
  url: string;
  port: number;
  userDataDir: string;
  /** code-server's stdout/stderr; VS Code's own logs are under userDataDir/logs. */
  logFile: string;
  /** False once the server process has exited. */
  isRunning(): boolean;
  stop(): Promise<void>;
}

export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  // Workspaces under .vscode-test sit inside this repo's git checkout: no "open parent repository?" toast.
  'git.openRepositoryInParentFolders': 'never',
};

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
let runCounter = 0;

/** Signals the server's whole process group (extension hosts, pty host, watcher included). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* group already gone */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => live.forEach((c) => killGroup(c, 'SIGKILL')));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      live.forEach((c) => killGroup(c, 'SIGKILL'));
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * A new folder under .vscode-test/runs, named short (code-server puts a unix socket in it and
 * socket paths are limited to 107 bytes); keeps the 20 newest and anything younger than an hour.
 */
function newRunDir(): string {
  const runs = cacheDir('runs');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const dir = path.join(runs, `${stamp}-${process.pid}-${++runCounter}`);
  fs.mkdirSync(dir, { recursive: true });
  const old = fs.readdirSync(runs).sort().reverse().slice(20);
  for (const name of old) {
    const full = path.join(runs, name);
    if (Date.now() - fs.statSync(full).mtimeMs > 3600_000) fs.rmSync(full, { recursive: true, force: true });
  }
  return dir;
}

/** Where code-server (the VS Code server) reads the remote machine's settings: `<user-data-dir>/Machine/settings.json`. */
export function machineSettingsFile(userDataDir: string): string {
  return path.join(userDataDir, 'Machine', 'settings.json');
}

export async function launchCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const { nodeBin, codeServerEntry } = await provision();
  const userDataDir = path.resolve(opts.userDataDir ?? newRunDir());
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2) + '\n');
  if (opts.machineSettings) {
    const machineFile = machineSettingsFile(userDataDir);
    fs.mkdirSync(path.dirname(machineFile), { recursive: true });
    fs.writeFileSync(machineFile, JSON.stringify(opts.machineSettings, null, 2) + '\n');
  }
  const port = opts.port ?? (await freePort());
  const logFile = path.join(userDataDir, 'code-server.log');
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', path.join(userDataDir, 'ext'),
    // Own config file, so ~/.config/code-server is never written.
    '--config', path.join(userDataDir, 'config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    opts.folder,
  ];
  const out = fs.openSync(logFile, 'a');
  installExitHook();
  const child = spawn(nodeBin, args, {
    cwd: userDataDir,
    // cf-rotate's state directory (journals, locks, history) is the user's: never the real one in tests or the demo.
    env: { ...process.env, CF_ROTATE_STATE_DIR: path.join(userDataDir, 'cf-rotate-state'), ...opts.env },
    detached: true, // own process group: stop() kills the server and every extension host under it
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  live.add(child);
  child.on('error', (err) => fs.appendFileSync(logFile, `[harness] spawn error: ${err.message}\n`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => live.delete(child));

  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    killGroup(child, 'SIGKILL'); // the server if it hung, and stragglers left in its group
    await exited;
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  while (!(await httpOk(`${url}/healthz`))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`code-server did not start (exit ${child.exitCode ?? child.signalCode ?? 'timeout'}); log ${logFile}:\n${tail}`);
    }
    await sleep(250);
  }
  log(`code-server ${url} (pid ${child.pid}, user data ${userDataDir})`);
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  return { url, port, userDataDir, logFile, isRunning, stop };
}
