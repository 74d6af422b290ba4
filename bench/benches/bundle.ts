/**
 * Bundle: bytes of the minified dist/extension.js (`node esbuild.js --production`), the time to
 * `require` it in a fresh Node process with the benchmark-only vscode stub, and dist/cli.js's size.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { provision } from '../../test/harness/provision';
import { cacheDir } from '../../test/harness/util';
import { stagedBuild } from '../lib/build';
import { runProcess } from '../lib/proc';
import { fmtSummary, summarize } from '../lib/stats';
import type { Bench, BenchContext, BenchOutcome, Series } from '../lib/types';

function requireScript(stubModule: string, file: string): string {
  return [
    `require(${JSON.stringify(stubModule)}).installVscodeStub();`,
    `const { performance } = require('node:perf_hooks');`,
    `const t0 = performance.now();`,
    `const m = require(${JSON.stringify(file)});`,
    `const ms = performance.now() - t0;`,
    `if (typeof m.activate !== 'function') throw new Error('no activate() export');`,
    `process.stdout.write(JSON.stringify({ ms }) + '\\n');`,
  ].join('\n');
}

const KiB = 1024;

/**
 * Which inputs the minified bundle's bytes come from: a separate esbuild run with the options of
 * esbuild.js (production) plus a metafile. For attribution only; the measured file is the real build.
 */
async function attribution(root: string): Promise<{ input: string; bytes: number }[]> {
  const r = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/extension.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: ['vscode'],
    mainFields: ['module', 'main'],
    conditions: ['import', 'node'],
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'extension.js',
  });
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
    if (r.code !== 0) throw new Error(`require of dist/extension.js failed under ${nodeBin}: ${r.stderr.slice(0, 800)}`);
    samples.push((JSON.parse(r.stdout.trim()) as { ms: number }).ms);
  }
  return samples;
}

export const bundleBench: Bench = {
  name: 'bundle',
  title: 'Bundle: dist/extension.js size and require time',
  async run(ctx: BenchContext): Promise<BenchOutcome> {
    const started = performance.now();
    const runs = ctx.quick ? 5 : 10;
    const build = await stagedBuild(ctx.root, ctx.tmp);
    const extBytes = fs.statSync(build.extensionJs).size;
    const cliBytes = fs.statSync(build.cliJs).size;
    const stub = path.join(__dirname, '..', 'lib', 'vscodeStub.js');
    const script = requireScript(stub, build.extensionJs);
    // The extension host runs the harness's Node 22; use it when the harness is provisioned.
    let node22: string | undefined;
    if (fs.existsSync(cacheDir('provision.json'))) node22 = (await provision().catch(() => undefined))?.nodeBin;
    const samples = await timeRequire(process.execPath, script, runs);
    const samples22 = node22 ? await timeRequire(node22, script, runs) : [];
    const parts = await attribution(ctx.root).catch(() => []);
    const top = parts.slice(0, 6).map((p) => `${p.input} ${(p.bytes / KiB).toFixed(0)} KiB`).join(', ');
    ctx.log(`  extension.js ${extBytes} B, cli.js ${cliBytes} B, require median ${summarize(samples).median.toFixed(1)} ms (Node ${process.version})${samples22.length ? `, ${summarize(samples22).median.toFixed(1)} ms (Node 22)` : ''}`);
    const one = (label: string, unit: string, v: number): Series => ({ label, unit, samples: [v], summary: summarize([v]) });
    const requireSeries: Series = { label: `fresh \`node\` ${process.version}, vscode stubbed`, unit: 'ms', samples, summary: summarize(samples) };
    const require22: Series | undefined = samples22.length ? { label: 'fresh Node 22 (the extension host\'s), vscode stubbed', unit: 'ms', samples: samples22, summary: summarize(samples22) } : undefined;
    return {
      bench: 'bundle',
      ranAt: new Date().toISOString(),
      quick: ctx.quick,
      durationMs: performance.now() - started,
      figures: [
        {
          id: 'bundle-size',
          name: 'Extension bundle size',
          measures: `Bytes of dist/extension.js from \`node esbuild.js --production\` (minified): ${extBytes.toLocaleString('en-US')} B`,
          cf: one('dist/extension.js', 'KiB', extBytes / KiB),
          target: { text: '≤ 400 KiB', met: extBytes <= 400 * KiB },
          ...(top ? { notes: `Largest contributors (minified bytes, attribution build): ${top}.` } : {}),
        },
        {
          id: 'bundle-require',
          name: 'Extension bundle require time',
          measures: '`require()` of the minified dist/extension.js in a fresh Node process (module evaluation only, no activate)',
          cf: require22 ?? requireSeries,
          target: { text: '—', met: null },
          ...(require22 ? { notes: `Under the bench's own Node ${process.version}: ${fmtSummary(requireSeries.summary, 'ms')}.` } : {}),
        },
        {
          id: 'cli-size',
          name: 'CLI bundle size',
          measures: `Bytes of dist/cli.js from the same build: ${cliBytes.toLocaleString('en-US')} B`,
          cf: one('dist/cli.js', 'KiB', cliBytes / KiB),
          target: { text: '—', met: null },
        },
      ],
      notMeasured: [],
      notes: [
        `Bundle: the repo's own \`node esbuild.js --production\`, run on a snapshot copy of the sources (so dist/ in the work tree is left alone; build took ${(build.buildMs / 1000).toFixed(1)} s). KiB = 1,024 bytes. Require time: ${runs} fresh \`node -e\` processes, each installs the vscode stub (bench/lib/vscodeStub.ts) and times \`require('dist/extension.js')\` with performance.now().`,
      ],
      raw: { extensionBytes: extBytes, cliBytes, requireMs: samples, requireMsNode22: samples22, node22, buildMs: build.buildMs, buildDir: build.dir, attribution: parts },
    };
  },
};
