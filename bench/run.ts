/**
 * `npm run bench` = `node out/bench/run.js [--only a,b] [--quick] [--list]`.
 * Runs the benchmarks, then merges their outcomes into bench/results.json and rewrites
 * bench/RESULTS.md. Benchmarks report figures; they never fail: the exit code is 0 unless the
 * runner itself breaks (a benchmark that throws is reported under "Not measured").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { batchBench } from './benches/batch';
import { bundleBench } from './benches/bundle';
import { patchBench } from './benches/patch';
import { rateLimitBench, rotateBench } from './benches/rotate';
import { treeBench } from './benches/tree';
import { activationBench, memoryBench } from './benches/vscode';
import { cpuTicks, machineInfo, machineLine, referenceJobMs, stealShare } from './lib/machine';
import { BENCH_ORDER, loadResults, renderMarkdown, writeJsonAtomic, type ResultsFile } from './lib/report';
import type { Bench, BenchContext, BenchOutcome } from './lib/types';
import { fmtNum } from './lib/stats';

const BENCHES: Bench[] = [activationBench, bundleBench, rotateBench, rateLimitBench, patchBench, treeBench, batchBench, memoryBench];

const USAGE = `usage: node out/bench/run.js [--only NAME,NAME] [--quick] [--list]
  --only   run a subset: ${BENCH_ORDER.join(', ')}
  --quick  fewer runs and smaller scale (a smoke check of the benchmarks, not figures to quote)
  --list   print the benchmarks and exit
Writes bench/results.json and bench/RESULTS.md (a subset replaces only its own rows).`;

function repoRoot(): string {
  // out/bench/run.js → the repository root.
  return path.resolve(__dirname, '..', '..');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.list) {
    for (const b of BENCHES) process.stdout.write(`${b.name.padEnd(11)} ${b.title}\n`);
    return 0;
  }
  const wanted = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : BENCHES.map((b) => b.name);
  const unknown = wanted.filter((w) => !BENCHES.some((b) => b.name === w));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const root = repoRoot();
  const tmp = path.join(root, 'bench', 'tmp');
  fs.mkdirSync(tmp, { recursive: true });
  const machine = machineInfo();
  const runStartedAt = new Date().toISOString();
  const log = (m: string): void => {
    process.stdout.write(`[bench] ${m}\n`);
  };
  log(`machine: ${machineLine(machine)}`);
  const ctx: BenchContext = { quick: values.quick ?? false, root, tmp, log };
  const outcomes: BenchOutcome[] = [];
  const t0 = performance.now();
  for (const bench of BENCHES.filter((b) => wanted.includes(b.name))) {
    log(`${bench.name}: ${bench.title}`);
    const referenceMs = await referenceJobMs();
    if (referenceMs !== undefined) log(`  machine speed: the reference job took ${referenceMs.toFixed(0)} ms`);
    const started = performance.now();
    const loadBefore = os.loadavg();
    const ticksBefore = cpuTicks();
    let outcome: BenchOutcome;
    try {
      outcome = await bench.run(ctx);
    } catch (e) {
      const reason = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`${bench.name} failed: ${reason}`);
      outcome = {
        bench: bench.name,
        ranAt: new Date().toISOString(),
        quick: ctx.quick,
        durationMs: performance.now() - started,
        figures: [],
        notMeasured: [{ name: bench.title, reason: `the benchmark failed: ${reason.split('\n')[0] ?? reason}` }],
        notes: [],
        raw: { error: reason },
      };
    }
    outcome.load = { before: loadBefore, after: os.loadavg() };
    const steal = stealShare(ticksBefore, cpuTicks());
    outcome.speed = { ...(referenceMs !== undefined ? { referenceMs } : {}), ...(steal !== undefined ? { steal } : {}) };
    for (const f of outcome.figures) {
      const s = f.cf.summary;
      log(`  ${f.name}: ${fmtNum(s.median)} ${f.cf.unit}${f.baseline ? ` vs ${fmtNum(f.baseline.summary.median)} ${f.baseline.unit}` : ''}${f.ratio ? ` (${f.ratio.text})` : ''} — target ${f.target.text}: ${f.target.met === null ? 'n/a' : f.target.met ? 'met' : 'NOT met'}`);
    }
    for (const n of outcome.notMeasured) log(`  not measured: ${n.name}: ${n.reason}`);
    log(`${bench.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    outcomes.push(outcome);
  }

  const jsonFile = path.join(root, 'bench', 'results.json');
  const previous = loadResults(jsonFile);
  const results: ResultsFile = {
    format: 1,
    updatedAt: new Date().toISOString(),
    runStartedAt,
    machine,
    command: `node out/bench/run.js${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    benches: { ...(previous?.benches ?? {}) },
  };
  for (const o of outcomes) results.benches[o.bench] = { ...o, machine };
  writeJsonAtomic(jsonFile, results);
  fs.writeFileSync(path.join(root, 'bench', 'RESULTS.md'), renderMarkdown(results));
  log(`wrote bench/results.json and bench/RESULTS.md (${((performance.now() - t0) / 1000).toFixed(1)} s in all)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
