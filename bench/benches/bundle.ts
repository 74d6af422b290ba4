/**
 * Bundle: bytes of the minified bundles (`node esbuild.js --production`): the activation shell
 * dist/extension.js that VS Code loads to activate, the runtime dist/runtime.js it requires right
 * after, and dist/cli.js; the time to `require` the shell, and the runtime after it, in fresh Node
 * processes with the benchmark-only vscode stub.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { stagedBuild } from '../lib/build';
import { countInstructions, findValgrind, inPairs, millions, minus, VALGRIND_MISSING, type Counted } from '../lib/instructions';
import { runProcess } from '../lib/proc';
import { fmtSummary, summarize } from '../lib/stats';
import type { Bench, BenchContext, BenchOutcome, Series } from '../lib/types';
import { extensionHostNode } from './vscode';

/** A `node -e` script: stub vscode, require `pre` (untimed), then time the require of `file`. */
function requireScript(stubModule: string, file: string, exportName: string, pre?: string): string {
  return [
    `require(${JSON.stringify(stubModule)}).installVscodeStub();`,
    `const { performance } = require('node:perf_hooks');`,
    ...(pre ? [`require(${JSON.stringify(pre)});`] : []),
    `const t0 = performance.now();`,
    `const m = require(${JSON.stringify(file)});`,
    `const ms = performance.now() - t0;`,
    `if (typeof m[${JSON.stringify(exportName)}] !== 'function') throw new Error('no ${exportName}() export');`,
    `process.stdout.write(JSON.stringify({ ms }) + '\\n');`,
  ].join('\n');
}

const KiB = 1024;

/**
 * Which inputs the minified bundle's bytes come from: a separate esbuild run with the options of
 * esbuild.js (production) plus a metafile. For attribution only; the measured file is the real build.
 */
async function attribution(root: string, outfile: string): Promise<{ input: string; bytes: number }[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const script = require(path.join(root, 'esbuild.js')) as { targets(): esbuild.BuildOptions[] };
  const target = script.targets().find((t) => t.outfile === outfile);
  if (!target) return [];
  const r = await esbuild.build({ ...target, absWorkingDir: root, minify: true, sourcemap: false, write: false, metafile: true, logLevel: 'silent' });
  const out = Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const byPackage = new Map<string, number>();
  for (const [input, info] of Object.entries(out?.inputs ?? {})) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = m ? (m[1] as string) : input.startsWith('src/') ? input.split('/').slice(0, 2).join('/') + '/' : input;
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
  }
  return [...byPackage].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function timeRequire(nodeBin: string, script: string, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runProcess(nodeBin, ['-e', script], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`require of a bundle failed under ${nodeBin}: ${r.stderr.slice(0, 800)}`);
    samples.push((JSON.parse(r.stdout.trim()) as { ms: number }).ms);
  }
  return samples;
}

export const bundleBench: Bench = {
  name: 'bundle',
  title: 'Bundle: dist/extension.js (shell) + dist/runtime.js size and require time',
  async run(ctx: BenchContext): Promise<BenchOutcome> {
    const started = performance.now();
    const runs = ctx.quick ? 5 : 10;
    const build = await stagedBuild(ctx.root, ctx.tmp);
    const shellBytes = fs.statSync(build.extensionJs).size;
    const runtimeBytes = fs.statSync(build.runtimeJs).size;
    const totalBytes = shellBytes + runtimeBytes;
    const cliBytes = fs.statSync(build.cliJs).size;
    const actionsJs = path.join(path.dirname(build.runtimeJs), 'actions.js');
    const actionsBytes = fs.existsSync(actionsJs) ? fs.statSync(actionsJs).size : undefined;
    const stub = path.join(__dirname, '..', 'lib', 'vscodeStub.js');
    const shellScript = requireScript(stub, build.extensionJs, 'activate');
    const runtimeScript = requireScript(stub, build.runtimeJs, 'start', build.extensionJs);
    // The extension host runs the harness's Node 22; use it when the harness is provisioned.
    const node22 = await extensionHostNode();
    const nodeBin = node22 ?? process.execPath;
    const nodeLabel = node22 ? "fresh Node 22 (the extension host's), vscode stubbed" : `fresh \`node\` ${process.version}, vscode stubbed`;
    const shellMs = await timeRequire(nodeBin, shellScript, runs);
    const runtimeMs = await timeRequire(nodeBin, runtimeScript, runs);
    const ownShellMs = node22 ? await timeRequire(process.execPath, shellScript, runs) : [];
    const ownRuntimeMs = node22 ? await timeRequire(process.execPath, runtimeScript, runs) : [];
    // The runtime's require in instructions: the runtime's script less the shell's (both load the stub and the shell).
    const valgrind = await findValgrind();
    const counted = valgrind ? await inPairs([shellScript, runtimeScript].map((script) => () => countInstructions(valgrind, nodeBin, ['-e', script]))) : undefined;
    const runtimeCount = counted ? minus(counted[1] as Counted, counted[0] as Counted) : undefined;
    const parts = await attribution(ctx.root, 'dist/runtime.js').catch(() => []);
    // Libraries a feature loads on demand (sealed boxes for GitHub secrets, the proxy's undici): never in the shell or the runtime.
    const lazyLibs = /^(@noble\/|undici$|tweetnacl|libsodium)/;
    const shellParts = await attribution(ctx.root, 'dist/extension.js').catch(() => []);
    const eager = [...parts, ...shellParts].filter((p) => lazyLibs.test(p.input)).map((p) => p.input);
    const attributed = parts.length > 0;
    const top = parts.slice(0, 6).map((p) => `${p.input} ${(p.bytes / KiB).toFixed(0)} KiB`).join(', ');
    const med = (xs: number[]): string => summarize(xs).median.toFixed(1);
    if (runtimeCount) ctx.log(`  runtime require: ${millions(runtimeCount.total)} instructions (valgrind, node --predictable)`);
    ctx.log(`  extension.js ${shellBytes} B + runtime.js ${runtimeBytes} B, cli.js ${cliBytes} B; require shell ${med(shellMs)} ms, runtime ${med(runtimeMs)} ms (${nodeLabel})`);
    const one = (label: string, unit: string, v: number): Series => ({ label, unit, samples: [v], summary: summarize([v]) });
    const series = (label: string, samples: number[]): Series => ({ label, unit: 'ms', samples, summary: summarize(samples) });
    const own = (xs: number[]): string => (xs.length ? ` Under the bench's own Node ${process.version}: ${fmtSummary(summarize(xs), 'ms')}.` : '');
    return {
      bench: 'bundle',
      ranAt: new Date().toISOString(),
      quick: ctx.quick,
      durationMs: performance.now() - started,
      figures: [
        {
          id: 'bundle-size',
          name: 'Extension bundle size',
          measures: `Bytes of the extension's code from \`node esbuild.js --production\` (minified): dist/extension.js ${shellBytes.toLocaleString('en-US')} B (the activation shell) + dist/runtime.js ${runtimeBytes.toLocaleString('en-US')} B (loaded after activate() returns)`,
          cf: one('dist/extension.js + dist/runtime.js', 'KiB', totalBytes / KiB),
          target: { text: '≤ 260 KiB, sealed boxes / undici not in it', met: totalBytes <= 260 * KiB && attributed && eager.length === 0 },
          notes: `${actionsBytes !== undefined ? `Not in it: dist/actions.js, ${actionsBytes.toLocaleString('en-US')} B (the commands, the engine and the API clients, loaded by the runtime on first use: the first command, API client, interrupted rotation to offer or due retirement). ` : ''}${top ? `Largest contributors to dist/runtime.js (minified bytes, attribution build): ${top}. ` : ''}Libraries loaded only when a feature needs them (sealed boxes, undici) found in the shell or the runtime: ${attributed ? (eager.length ? eager.join(', ') : 'none') : 'not checked (no attribution build)'}.`,
        },
        {
          id: 'bundle-require',
          name: 'Extension bundle require time (shell)',
          measures: '`require()` of the minified dist/extension.js — all VS Code loads to activate cf-rotate — in a fresh Node process (module evaluation only, no activate)',
          cf: series(nodeLabel, shellMs),
          target: { text: '—', met: null },
          ...(ownShellMs.length ? { notes: own(ownShellMs).trim() } : {}),
        },
        {
          id: 'runtime-require',
          name: 'Runtime bundle require time',
          measures: "`require()` of the minified dist/runtime.js after the shell, in a fresh Node process: the cost the shell defers to just after activate() returns (or to the Tokens view's first getChildren, or a command)",
          cf: series(nodeLabel, runtimeMs),
          target: { text: '—', met: null },
          ...(ownRuntimeMs.length ? { notes: own(ownRuntimeMs).trim() } : {}),
        },
        ...(runtimeCount
          ? [
              {
                id: 'runtime-require-instructions',
                name: 'Runtime bundle require, instructions',
                measures: "The runtime's require above counted in instructions (valgrind callgrind, `node --predictable`, the same Node): the process that requires the shell and then the runtime less the one that requires the shell alone. Does not move with the machine's speed or load: compare it across commits",
                cf: one('instructions', 'instructions', runtimeCount.total),
                target: { text: '—', met: null },
                notes: `Of it, ${millions(runtimeCount.turbofan)} are TurboFan compiling (a background thread in a normal run) and ${millions(runtimeCount.gc)} the garbage collector.`,
              },
            ]
          : []),
        {
          id: 'cli-size',
          name: 'CLI bundle size',
          measures: `Bytes of dist/cli.js from the same build: ${cliBytes.toLocaleString('en-US')} B`,
          cf: one('dist/cli.js', 'KiB', cliBytes / KiB),
          target: { text: '—', met: null },
        },
      ],
      notMeasured: runtimeCount ? [] : [{ name: 'Runtime bundle require, instructions', reason: VALGRIND_MISSING }],
      notes: [
        `Bundle: the repo's own \`node esbuild.js --production\`, run on a snapshot copy of the sources (so dist/ in the work tree is left alone; build took ${(build.buildMs / 1000).toFixed(1)} s). KiB = 1,024 bytes. Require time: ${runs} fresh \`node -e\` processes per bundle, each installs the vscode stub (bench/lib/vscodeStub.ts) and times \`require()\` with performance.now(); the runtime is timed after an untimed require of the shell.`,
      ],
      raw: { extensionBytes: shellBytes, runtimeBytes, totalBytes, cliBytes, shellRequireMs: shellMs, runtimeRequireMs: runtimeMs, ownNodeShellRequireMs: ownShellMs, ownNodeRuntimeRequireMs: ownRuntimeMs, runtimeRequireInstructions: runtimeCount, node: nodeBin, buildMs: build.buildMs, buildDir: build.dir, attribution: parts },
    };
  },
};
