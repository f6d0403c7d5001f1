// What every benchmark hands to the harness (bench/run.ts): one row per measure. A benchmark run alone
// prints its own lines; under the harness (BENCH_REPORT set) it also appends its rows to that file.
import { appendFileSync } from 'node:fs';

export interface Measure {
  /** What was measured, e.g. "forwarder TCP throughput". */
  measure: string;
  unit: string;
  /** Our figure. */
  ours: number;
  /** The peer measured in the same run (socat, Debian's wireguard-go, the bare tunnel), when there is one. */
  peer?: number | undefined;
  peerName?: string | undefined;
  /** ours/peer, or the median of per-round ratios when the benchmark interleaves rounds. */
  ratio?: number | undefined;
  /** The goal as text ("ratio ≥ 0.9", "p50 ≤ peer"), and whether it was met; no goal: a figure to watch. */
  goal?: string | undefined;
  met?: boolean | undefined;
  /** The measured reason when a goal was missed, or what qualifies the figure. */
  note?: string | undefined;
}

export function report(rows: Measure[]): void {
  const file = process.env.BENCH_REPORT;
  if (file) for (const row of rows) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

/** --quick (or BENCH_QUICK=1): the two-minute version of every benchmark. */
export const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
