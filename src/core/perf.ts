/**
 * Phase timings for the benchmark and for profiling, OFF unless the process was started with
 * CF_ROTATE_PERF=1 (then `perfOn` is true and the hosts wrap their ports with `timed`). When off,
 * nothing is wrapped and `phase` is one branch: no cost in normal use.
 *
 * The table lives on globalThis under a registered symbol, so a benchmark module loaded in the
 * same process (the VS Code extension host, bench/vscode/host.ts) can read and reset it.
 * Phases record time in flight: with concurrent rotations, the sum of a phase can exceed the wall time.
 */

export interface PhaseStat {
  /** Calls. */
  n: number;
  /** Milliseconds in flight, summed over the calls. */
  ms: number;
}

export type PhaseTable = Record<string, PhaseStat>;

export const PERF_TABLE = Symbol.for('cf-rotate.perf.phases');

export const perfOn: boolean = typeof process !== 'undefined' && process.env.CF_ROTATE_PERF === '1';

export function phaseTable(): PhaseTable {
  const g = globalThis as { [PERF_TABLE]?: PhaseTable };
  return (g[PERF_TABLE] ??= {});
}

export function recordPhase(name: string, ms: number): void {
  const t = phaseTable();
  const s = (t[name] ??= { n: 0, ms: 0 });
  s.n++;
  s.ms += ms;
}

/** Time `fn` as `name` (only when perfOn). */
export function phase<T>(name: string, fn: () => T): T {
  if (!perfOn) return fn();
  const t0 = performance.now();
  let out: T;
  try {
    out = fn();
  } catch (e) {
    recordPhase(name, performance.now() - t0);
    throw e;
  }
  if (out instanceof Promise) {
    return out.finally(() => recordPhase(name, performance.now() - t0)) as T;
  }
  recordPhase(name, performance.now() - t0);
  return out;
}

/** `target` with every method timed as `name` (a Proxy; the methods run on the target itself). Returns `target` when perf is off. */
export function timed<T extends object>(name: string, target: T): T {
  if (!perfOn) return target;
  return new Proxy(target, {
    get(t, p) {
      const v: unknown = Reflect.get(t, p, t);
      if (typeof v !== 'function' || p === 'constructor') return v;
      return (...args: unknown[]) => phase(name, () => (v as (...a: unknown[]) => unknown).apply(t, args));
    },
  });
}

/**
 * A performance mark (for the benchmark and profiling) whose detail is this process's CPU time so
 * far (user + system, every thread, in ms): the benchmark compares it with the wall time between
 * two marks (was the process running, or waiting for a core?).
 */
export function markWithCpu(name: string): void {
  const u = process.cpuUsage();
  performance.mark(name, { detail: { cpuMs: (u.user + u.system) / 1000 } });
}
