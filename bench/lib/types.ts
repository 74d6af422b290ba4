/** The shape of benchmark results (results.json) shared by every benchmark. */
import type { Summary } from './stats';

export interface Series {
  /** Who produced the samples: "cf-rotate", "curl loop", "dotenvx set", … */
  label: string;
  unit: string;
  samples: number[];
  summary: Summary;
}

export interface Target {
  /** As written in the issue, e.g. "≤ 15 ms", "≥ 6× faster". */
  text: string;
  /** null: no target, or the figure could not be judged. */
  met: boolean | null;
}

/** One row of RESULTS.md. */
export interface Figure {
  id: string;
  name: string;
  /** What is measured, in one line. */
  measures: string;
  cf: Series;
  baseline?: Series;
  /** Baseline median / cf-rotate median (how many times faster), or another comparison. */
  ratio?: { value: number; text: string };
  target: Target;
  notes?: string;
}

export interface BenchOutcome {
  /** The benchmark's name as given to --only. */
  bench: string;
  ranAt: string;
  quick: boolean;
  durationMs: number;
  figures: Figure[];
  /** Figures that could not be measured, with the reason. */
  notMeasured: { name: string; reason: string }[];
  /** Method notes for the report. */
  notes: string[];
  /** os.loadavg() (1, 5, 15 min) before and after: the machine may be shared with other work. */
  load?: { before: number[]; after: number[] };
  /** The machine's speed just before the benchmark (machine.ts referenceJobMs), and the share of CPU time stolen by the hypervisor while it ran. */
  speed?: { referenceMs?: number; steal?: number };
  /** Everything else worth keeping: raw samples, per-run details, configuration. */
  raw: Record<string, unknown>;
}

export interface BenchContext {
  quick: boolean;
  /** Repository root. */
  root: string;
  /** Scratch folder (git-ignored). */
  tmp: string;
  log(message: string): void;
}

export interface Bench {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchOutcome>;
}
