/**
 * Summary statistics of benchmark samples. Percentiles use the nearest-rank method (the value at
 * rank ⌈p × n⌉ of the sorted samples): every reported percentile is a latency that was observed.
 */

/** The p-th percentile (0 < p ≤ 100) of `values` by nearest rank; NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The median: the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds for printing: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value);
  if (abs === 0) return 0;
  const digits = 3 - Math.ceil(Math.log10(abs));
  const factor = 10 ** Math.max(0, digits);
  return Math.round(value * factor) / factor;
}
