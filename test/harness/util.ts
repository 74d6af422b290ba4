import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Repository root: the first ancestor of this file that has package.json + node_modules. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'node_modules'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`harness: no repository root above ${__dirname}`);
    dir = parent;
  }
}

/**
 * The first `<ancestor>/<relative>` that `accept` takes, walking up from this file (src or out
 * tree); undefined at the file-system root. Finds ../shared (the read-only reference data beside
 * the repository) wherever the checkout sits.
 */
export function findUp(relative: string, accept: (p: string) => boolean = fs.existsSync): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, relative);
    if (accept(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Git-ignored cache for code-server, Node 22, user-data dirs and logs: <repo>/.vscode-test,
 * or $CF_ROTATE_HARNESS_CACHE (e.g. a folder that outlives CI's fresh clones).
 */
export function cacheDir(...parts: string[]): string {
  return path.join(process.env.CF_ROTATE_HARNESS_CACHE || path.join(repoRoot(), '.vscode-test'), ...parts);
}

/** Git-ignored output folder for screenshots and result files. */
export function resultsDir(...parts: string[]): string {
  return path.join(repoRoot(), 'test-results', ...parts);
}

export function log(message: string): void {
  process.stdout.write(`[harness] ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** npm settings still passed on to child npm runs (where to fetch from and cache). */
const KEEP_NPM = /^npm_config_(cache|registry|cafile|userconfig|globalconfig|https?_proxy|proxy|noproxy)$/i;

/**
 * Environment for child npm/node-gyp runs: drops npm's inherited config (under `npm run`,
 * ~/.npmrc's nodedir=/usr would point node-gyp at Node 20 headers).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) || KEEP_NPM.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Output goes here (appended); on failure its tail is included in the error. */
  logFile: string;
}

/** Runs a command, output appended to logFile; rejects with the log tail on non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<void> {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  fs.appendFileSync(opts.logFile, `\n$ (cd ${opts.cwd} && ${cmd} ${args.join(' ')})\n`);
  const fd = fs.openSync(opts.logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', fd, fd] });
    child.on('error', (err) => {
      fs.closeSync(fd);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      fs.closeSync(fd);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(opts.logFile, 'utf8').split('\n').slice(-30).join('\n');
      reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}) in ${opts.cwd}; log ${opts.logFile}:\n${tail}`));
    });
  });
}
