/**
 * The production build the benchmarks measure: the repo's own `node esbuild.js --production`,
 * run in a snapshot copy (package.json, esbuild.js, scripts/, src/, media/) in the OS temp folder
 * with node_modules linked, so the bench never overwrites the dist/ other people are testing
 * against and never leaves .ts files where `tsc -p .` would pick them up. The result
 * (package.json, dist/, media/) is copied to bench/tmp/ext: a complete extension folder that
 * VS Code can load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from './proc';

export interface StagedBuild {
  dir: string;
  /** The activation shell VS Code loads. */
  extensionJs: string;
  /** The runtime the shell requires after activate() returns. */
  runtimeJs: string;
  cliJs: string;
  buildMs: number;
  /** publisher.name from package.json. */
  extensionId: string;
}

const COPY = ['package.json', 'esbuild.js', 'tsconfig.json', 'scripts', 'src', 'media'];

let cached: Promise<StagedBuild> | undefined;

async function build(root: string, tmp: string): Promise<StagedBuild> {
  if (!fs.existsSync(path.join(root, 'src', 'extension.ts'))) throw new Error('src/extension.ts does not exist yet');
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-bench-build-'));
  try {
    for (const item of COPY) {
      const from = path.join(root, item);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(stage, item), { recursive: true });
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    const r = await runProcess(process.execPath, ['esbuild.js', '--production'], { cwd: stage, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`node esbuild.js --production failed (${r.code}): ${(r.stderr || r.stdout).slice(0, 1500)}`);
    const dir = path.join(tmp, 'ext');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const item of ['package.json', 'dist', 'media']) {
      if (fs.existsSync(path.join(stage, item))) fs.cpSync(path.join(stage, item), path.join(dir, item), { recursive: true });
    }
    return finish(dir, r.ms);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function finish(dir: string, buildMs: number): StagedBuild {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { publisher: string; name: string };
  return {
    dir,
    extensionJs: path.join(dir, 'dist', 'extension.js'),
    runtimeJs: path.join(dir, 'dist', 'runtime.js'),
    cliJs: path.join(dir, 'dist', 'cli.js'),
    buildMs,
    extensionId: `${pkg.publisher}.${pkg.name}`,
  };
}

/** Built once per bench run, shared by the bundle, activation and memory benchmarks. */
export function stagedBuild(root: string, tmp: string): Promise<StagedBuild> {
  cached ??= build(root, tmp);
  return cached;
}
