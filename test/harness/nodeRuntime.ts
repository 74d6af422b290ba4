/**
 * Other Node.js runtimes for tests (the CLI package runs under each supported major), from the
 * npm registry only: the `node-<platform>-<arch>` package ships the binary (installed with
 * --ignore-scripts). Cached in <repo>/.vscode-test/node-runtimes/<version> (git-ignored, or
 * $CF_ROTATE_HARNESS_CACHE); the Node 22 that provision.ts installs for code-server is reused.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NODE_VERSION as CODE_SERVER_NODE } from './provision';
import { cacheDir, run } from './util';

/** The Node majors the CLI supports besides the one running the tests, pinned. */
export const NODE_RUNTIMES = {
  22: CODE_SERVER_NODE,
  24: '24.21.0',
} as const;

const nodePkg = `node-${process.platform}-${process.arch}`;

function versionOf(bin: string): string {
  if (!fs.existsSync(bin)) return '';
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

/** Path of a `node` binary of exactly `version`, installing it from the npm registry on first use. */
export async function nodeRuntime(version: string): Promise<string> {
  const provisioned = path.join(cacheDir(`node-${version}`), 'node_modules', nodePkg, 'bin', 'node');
  if (versionOf(provisioned) === `v${version}`) return provisioned;
  const dir = cacheDir('node-runtimes', version);
  const bin = path.join(dir, 'node_modules', nodePkg, 'bin', 'node');
  if (versionOf(bin) === `v${version}`) return bin;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "harness-node-runtime", "private": true }\n');
  await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${nodePkg}@${version}`], {
    cwd: dir,
    logFile: cacheDir('logs', 'node-runtimes.log'),
  });
  const got = versionOf(bin);
  if (got !== `v${version}`) throw new Error(`harness: ${nodePkg}@${version} installed, but ${bin} reports "${got}"`);
  return bin;
}
