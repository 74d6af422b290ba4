/**
 * Instructions a Node process executes, counted by valgrind's callgrind: a figure that does not
 * move with the machine's speed or load, so two runs of the same code agree and a change in the code
 * shows however busy the machine is (its times moved 2.4× in two days on the same code).
 *
 * V8 runs with `--predictable`: no concurrent compiler or GC threads, fixed hash seed. Without it
 * the count of one worker moved by ~3.5 % from run to run (background threads); with it, by
 * ~0.001 %. That mode compiles on the main thread, so the counts are of that mode, not of a normal
 * run: compare them with each other (this code against an older commit), never with times.
 *
 * A job's count is the difference of two processes that do the same up to the job, one of them
 * stopping before it: module loading and Node's own start cancel out. valgrind is optional: where it
 * is missing the figures are reported as not measured.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from './proc';

/** The reason given for the instruction figures on a machine without valgrind. */
export const VALGRIND_MISSING = 'valgrind is not installed (Debian package valgrind)';

/** The valgrind executable, if this machine has one. */
export async function findValgrind(): Promise<string | undefined> {
  const r = await runProcess('valgrind', ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
  return r?.code === 0 && /^valgrind-/.test(r.stdout.trim()) ? 'valgrind' : undefined;
}

/** The total of callgrind's output file: its `totals:` line (or `summary:` in older versions). */
export function callgrindTotal(text: string): number {
  const m = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (!m) throw new Error('callgrind output has no totals line');
  return Number(m[1]);
}

/**
 * Each function's own instructions (callgrind's "self" cost), by name, from callgrind's output
 * (format: valgrind.org/docs/manual/cl-format.html): `fn=` names the function the cost lines that
 * follow belong to; names are compressed (`fn=(12) name` once, `fn=(12)` after, shared with
 * `cfn=`); the cost line after a `calls=` line is the call's inclusive cost, not the caller's own.
 */
export function selfCosts(text: string): Map<string, number> {
  const names = new Map<string, string>();
  const name = (spec: string): string => {
    const m = /^\((\d+)\)(?:\s+(.*))?$/.exec(spec.trim());
    if (!m) return spec.trim();
    if (m[2] !== undefined) names.set(m[1] as string, m[2]);
    return names.get(m[1] as string) ?? spec.trim();
  };
  const costs = new Map<string, number>();
  let fn = '';
  let callCost = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) fn = name(line.slice(3));
    else if (line.startsWith('cfn=')) name(line.slice(4));
    else if (line.startsWith('calls=')) callCost = true;
    else if (/^[-+*\d]/.test(line)) {
      if (callCost) callCost = false;
      else {
        const ir = Number(line.trim().split(/\s+/)[1] ?? 0);
        if (ir > 0) costs.set(fn, (costs.get(fn) ?? 0) + ir);
      }
    }
  }
  return costs;
}

/** What a count is made of, beside running the code: work a normal run does on other threads, which --predictable brings onto the main one. */
export interface Counted {
  total: number;
  /** V8's optimising compiler (TurboFan, `v8::internal::compiler::`): a background thread in a normal run. */
  turbofan: number;
  /** The garbage collector (scavenges of the young generation, mostly): partly on helper threads in a normal run. */
  gc: number;
}

const GC_FUNCTION = /Scaveng|v8::internal::Heap::|heap::base::|MarkCompact|Sweeper|Marking|Evacuat|IteratePointers|Pretenuring/;

/** The count of a callgrind output: its total, and the shares of TurboFan and the GC. */
export function countedOf(text: string): Counted {
  let turbofan = 0;
  let gc = 0;
  for (const [fn, ir] of selfCosts(text)) {
    if (fn.includes('v8::internal::compiler::')) turbofan += ir;
    else if (GC_FUNCTION.test(fn)) gc += ir;
  }
  return { total: callgrindTotal(text), turbofan, gc };
}

/** b − a, field by field: a job's count as the difference of two runs. */
export function minus(b: Counted, a: Counted): Counted {
  return { total: b.total - a.total, turbofan: b.turbofan - a.turbofan, gc: b.gc - a.gc };
}

/**
 * Instructions executed by `node --predictable <args>` (every thread of the process), under
 * callgrind. Throws if the process fails. Slow: ~50× the process's own time. `--smc-check=all-non-file`:
 * V8 writes its compiled code into anonymous memory, which valgrind must watch for changes.
 */
export async function countInstructions(valgrind: string, nodeBin: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Counted> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rotate-cg-'));
  const out = path.join(dir, 'callgrind.out');
  try {
    const r = await runProcess(valgrind, ['-q', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, nodeBin, '--predictable', ...args], {
      env: opts.env,
      timeoutMs: opts.timeoutMs ?? 600_000,
    });
    if (r.code !== 0) throw new Error(`callgrind run failed (${r.code ?? r.signal}): ${r.stderr.slice(0, 800)}`);
    return countedOf(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the jobs side by side, one per core, at most two (the counts do not depend on timing; the bench machine has two cores). */
export async function inPairs<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(2, Math.max(1, os.cpus().length)) }, lane));
  return results;
}

/** Millions, for the reports: 412.3 M. */
export function millions(n: number): string {
  return `${(n / 1e6).toFixed(1)} M`;
}
