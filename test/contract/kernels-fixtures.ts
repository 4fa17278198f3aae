/**
 * @module test/contract/kernels-fixtures
 * Test-only helpers for the kernel contract: seeded column generators and naive, independently
 * written oracles (object-per-group counting, clamp-then-bin histograms).
 */

import { expect } from "vitest";
import { seededRandom } from "../../scripts/seeded-random.js";
import { CONFUSION_FIELDS, type TraceColumns } from "../../worker/engine/kernels/types.js";

/** Seeded PRNG (mulberry32) so large fixtures are reproducible without fast-check. */
export { seededRandom };

/** Options for generated columns; outcome mix is [P(0), P(1)], the rest unknown (255). */
export interface ColumnSpec {
  rows: number;
  groupCount: number;
  seed: number;
  selectedRate?: number;
  outcomeMix?: [number, number];
  /** Use arbitrary non-zero selected bytes and stray outcome codes (2..254) too. */
  noisyBytes?: boolean;
}

/** Generates columns with every group code < groupCount. */
export function makeColumns(spec: ColumnSpec): TraceColumns {
  const rnd = seededRandom(spec.seed);
  const { rows, groupCount } = spec;
  const [p0, p1] = spec.outcomeMix ?? [0.4, 0.3];
  const selRate = spec.selectedRate ?? 0.5;
  const group = new Uint16Array(rows);
  const selected = new Uint8Array(rows);
  const outcome = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    group[i] = Math.floor(rnd() * groupCount);
    const s = rnd() < selRate;
    selected[i] = s ? (spec.noisyBytes ? 1 + Math.floor(rnd() * 255) : 1) : 0;
    const u = rnd();
    if (spec.noisyBytes && u < 0.05) outcome[i] = 2 + Math.floor(rnd() * 253);
    else outcome[i] = u < p0 ? 0 : u < p0 + p1 ? 1 : 255;
  }
  return { group, selected, outcome };
}

/** Builds columns from row tuples (what fast-check generates). */
export function columnsFromRows(rows: ReadonlyArray<readonly [number, number, number]>): TraceColumns {
  return {
    group: Uint16Array.from(rows, (r) => r[0]),
    selected: Uint8Array.from(rows, (r) => r[1]),
    outcome: Uint8Array.from(rows, (r) => r[2]),
  };
}

/** The definition of each field, literally, one object per group. */
export function naiveConfusion(columns: TraceColumns, groupCount: number): Uint32Array {
  const rows = Array.from({ length: groupCount }, () => ({
    n: 0, selected: 0, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0,
  }));
  for (let i = 0; i < columns.group.length; i++) {
    const r = rows[columns.group[i]!]!;
    const sel = columns.selected[i] !== 0;
    const o = columns.outcome[i];
    r.n += 1;
    if (sel) r.selected += 1;
    if (o !== 255) r.labeled += 1;
    if (o === 1) r.positives += 1;
    if (sel && o === 1) r.tp += 1;
    if (sel && o === 0) r.fp += 1;
    if (!sel && o === 1) r.fn += 1;
    if (!sel && o === 0) r.tn += 1;
  }
  const out = new Uint32Array(groupCount * CONFUSION_FIELDS);
  rows.forEach((r, g) => out.set([r.n, r.selected, r.labeled, r.positives, r.tp, r.fp, r.fn, r.tn], g * CONFUSION_FIELDS));
  return out;
}

/** Histogram oracle: clamp the score into [0, 1] first, then bin; NaN rows skipped. */
export function naiveHistogram(
  group: Uint16Array,
  score: Float32Array,
  outcome: Uint8Array,
  groupCount: number,
  bins: number,
): { count: number[]; positives: number[] } {
  const count: number[] = new Array<number>(groupCount * bins).fill(0);
  const positives: number[] = new Array<number>(groupCount * bins).fill(0);
  for (let i = 0; i < group.length; i++) {
    const s = score[i]!;
    if (Number.isNaN(s)) continue;
    const clamped = Math.min(1, Math.max(0, s));
    const bin = Math.min(bins - 1, Math.floor(clamped * bins));
    const idx = group[i]! * bins + bin;
    count[idx]! += 1;
    if (outcome[i] === 1) positives[idx]! += 1;
  }
  return { count, positives };
}

/** Mean and variance of column `cell` across replicate-major bootstrap output. */
export function cellMoments(out: Uint32Array, width: number, cell: number): { mean: number; variance: number } {
  const reps = out.length / width;
  let sum = 0;
  let sq = 0;
  for (let r = 0; r < reps; r++) {
    const v = out[r * width + cell]!;
    sum += v;
    sq += v * v;
  }
  const mean = sum / reps;
  return { mean, variance: sq / reps - mean * mean };
}

/**
 * Fast equality for large count arrays: vitest's deep toEqual is slow on millions of
 * entries, so compare in a loop and only hand a small window around the first mismatch to
 * expect() for a readable failure.
 */
export function expectSameCounts(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      const from = Math.max(0, i - 4);
      const window = (a: ArrayLike<number>) => ({ from, values: Array.from(a).slice(from, i + 5) });
      expect(window(actual)).toEqual(window(expected));
    }
  }
}

/**
 * Pearson χ² statistic of samples against Poisson(λ), pooling outcomes into bins with an
 * expected count ≥ 5; returns the statistic and its degrees of freedom.
 */
export function poissonChiSquare(samples: ArrayLike<number>, lambda: number): { chi2: number; df: number } {
  const n = samples.length;
  const observed = new Map<number, number>();
  for (let i = 0; i < n; i++) observed.set(samples[i]!, (observed.get(samples[i]!) ?? 0) + 1);
  // pmf by recurrence in log space (test-side; platform Math is fine here).
  const pmf = (k: number) => Math.exp(-lambda + k * Math.log(lambda) - logGamma(k + 1));
  const lo = Math.max(0, Math.floor(lambda - 8 * Math.sqrt(lambda) - 5));
  const hi = Math.ceil(lambda + 8 * Math.sqrt(lambda) + 5);
  let chi2 = 0;
  let bins = 0;
  let accE = 0;
  let accO = 0;
  for (let k = 0; k <= hi; k++) {
    accE += n * pmf(k);
    accO += observed.get(k) ?? 0;
    if (k >= lo && accE >= 5) {
      chi2 += (accO - accE) ** 2 / accE;
      bins++;
      accE = 0;
      accO = 0;
    }
  }
  let rest = 0;
  for (const [k, c] of observed) if (k > hi) rest += c;
  accO += rest;
  accE += n - Array.from({ length: hi + 1 }, (_, k) => n * pmf(k)).reduce((a, b) => a + b, 0);
  if (accE > 0) {
    chi2 += (accO - accE) ** 2 / accE;
    bins++;
  }
  return { chi2, df: bins - 1 };
}

/** Upper χ² critical value at p ≈ 1e-4 (Wilson–Hilferty approximation). */
export function chiSquareCritical(df: number): number {
  const z = 3.719;
  const t = 2 / (9 * df);
  return df * (1 - t + z * Math.sqrt(t)) ** 3;
}

/** ln Γ(x) by Lanczos (g = 7, n = 9), test-side oracle only. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
