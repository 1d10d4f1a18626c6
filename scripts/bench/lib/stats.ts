import os from "node:os";

// Small numeric helpers shared by the bench scripts.

/** The q-quantile (0–1) of samples, nearest-rank on a sorted copy. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

/** "1.23 / 0.98 / 0.75": the 1, 5 and 15 minute load averages, as `uptime` shows them. */
export function loadAvg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" / ");
}

/** Rounds for display: 3 significant digits below 100, integers above. */
export function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  if (Math.abs(n) >= 100) return Math.round(n);
  return Number(n.toPrecision(3));
}
