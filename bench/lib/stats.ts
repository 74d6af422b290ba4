/** Summary statistics for benchmark samples. Spread is min–max; p10/p90 are kept in results.json too. */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
  mean: number;
}

/** Linear-interpolated percentile of sorted values (q in [0, 1]). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  return {
    n,
    median: percentile(sorted, 0.5),
    min: n ? (sorted[0] as number) : Number.NaN,
    max: n ? (sorted[n - 1] as number) : Number.NaN,
    p10: percentile(sorted, 0.1),
    p90: percentile(sorted, 0.9),
    mean: n ? sorted.reduce((s, x) => s + x, 0) / n : Number.NaN,
  };
}

/** A number with a sensible number of significant digits for a table. */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** "12.3 ms (10.1–15.0, n=5)". */
export function fmtSummary(s: Summary, unit: string): string {
  const u = unit ? ` ${unit}` : '';
  if (s.n === 1) return `${fmtNum(s.median)}${u} (n=1)`;
  return `${fmtNum(s.median)}${u} (${fmtNum(s.min)}–${fmtNum(s.max)}, n=${s.n})`;
}
