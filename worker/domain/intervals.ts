/**
 * @module domain/intervals
 * 95% intervals. Per-group rates: Wilson score interval (closed form). Aggregates:
 * Poisson bootstrap on the confusion-table cells — each replicate redraws every
 * cell count as Poisson(count) and recomputes the metric with the very function
 * used for the point estimate; the interval is the 2.5th–97.5th percentile of the
 * replicates. The work is O(cells × replicates), independent of the row count.
 *
 * The domain does no random number generation itself: replicates come from a
 * Resampler (Kernels.bootstrap — Wasm in production, identical bits in the TS
 * reference) keyed by a seed that the evaluation records, so an interval can be
 * reproduced exactly.
 */
import { type CalibrationGroup, expectedCalibrationError, meanScores } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import { aggregateValues, countColumns, TABLE_METRICS, type TableMetric } from "./metrics.js";
import { quantilesOf } from "./order-statistics.js";
import { beyond, type Interval, intervalSide, type MetricName, METRICS } from "./tiers.js";

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;
export const INTERVAL_LEVEL = 0.95;

/**
 * Poisson replicates of `cells` (a multiple of 6 counts): replicates × cells.length,
 * replicate-major, a pure function of (cells, replicates, seed). Kernels.bootstrap.
 */
export type Resampler = (cells: Uint32Array, replicates: number, seed: number) => Uint32Array;

/**
 * Cells per group, disjoint, in Kernels.bootstrap order: TP, FP, selected∧unknown,
 * FN, TN, unselected∧unknown. Every table field is a sum of these.
 */
export const CELLS_PER_GROUP = 6;

/** Wilson score interval for k successes in n trials; null when n = 0. */
export function wilson(k: number, n: number, z = Z95): Interval | null {
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/** Wilson intervals for every rate of a group. */
export function groupIntervals(g: GroupCounts, z = Z95): Record<"selectionRate" | "tpr" | "fpr" | "fnr" | "ppv", Interval | null> {
  return {
    selectionRate: wilson(g.selected, g.n, z),
    tpr: wilson(g.tp, g.tp + g.fn, z),
    fpr: wilson(g.fp, g.fp + g.tn, z),
    fnr: wilson(g.fn, g.tp + g.fn, z),
    ppv: wilson(g.tp, g.tp + g.fp, z),
  };
}

/**
 * The central `level` percentile interval of replicate values; null when fewer than half are
 * defined. values[0..defined) are the defined ones: no NaN among them (quantilesOf's precondition).
 */
export function percentileInterval(values: Float64Array, defined: number, replicates: number, level = INTERVAL_LEVEL): Interval | null {
  if (defined === 0 || defined * 2 < replicates) return null;
  const q = quantilesOf(values.slice(0, defined));
  return { lower: q((1 - level) / 2), upper: q(1 - (1 - level) / 2) };
}

/** A group's six cells (see CELLS_PER_GROUP). */
export function cellsOf(g: GroupCounts): number[] {
  return [g.tp, g.fp, g.selected - g.tp - g.fp, g.fn, g.tn, g.n - g.selected - g.fn - g.tn];
}

/** Rebuilds group counts from six cells at `o` in `c`. */
export function groupFromCells(value: string, c: Uint32Array, o: number): GroupCounts {
  const tp = c[o]!, fp = c[o + 1]!, su = c[o + 2]!, fn = c[o + 3]!, tn = c[o + 4]!, uu = c[o + 5]!;
  const selected = tp + fp + su;
  return { value, n: selected + fn + tn + uu, selected, labeled: tp + fp + fn + tn, positives: tp + fn, tp, fp, fn, tn };
}

function compareNumbers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The order in which groups take bootstrap cells: by their counts, not their names.
 * A replicate stream is keyed by cell position, so ordering by counts makes every
 * interval invariant under renaming groups (ties have identical data and are
 * interchangeable, because every aggregate is symmetric in the groups).
 */
export function canonicalOrder(groups: readonly GroupCounts[], calibration: readonly (CalibrationGroup | null)[] | null): number[] {
  const key = groups.map((g, i) => {
    const c = calibration?.[i];
    return [...cellsOf(g), ...(c ? [...c.count, ...c.positives, ...c.scoreSum] : [])];
  });
  return groups.map((_, i) => i).sort((a, b) => compareNumbers(key[a]!, key[b]!));
}

export interface BootstrapSpec {
  resample: Resampler;
  replicates: number;
  seed: number;
}

/** The calibration replicates use their own stream, derived from the recorded seed. */
export const calibrationSeed = (seed: number) => (seed ^ 0x5bd1e995) >>> 0;

/**
 * Bootstrap intervals for every table metric over `groups` (already filtered by size).
 * Calibration: per (group, bin) the positive and negative counts are redrawn, the bin's
 * mean score held at its observed value. `calibration[i]` aligns with groups[i].
 */
export function bootstrapAggregates(
  groups: readonly GroupCounts[],
  calibration: readonly (CalibrationGroup | null)[] | null,
  spec: BootstrapSpec,
): Record<TableMetric, Interval | null> {
  const samples = bootstrapSamples(groups, calibration, spec);
  return Object.fromEntries(TABLE_METRICS.map((m) => [m, sampleInterval(samples[m], INTERVAL_LEVEL)])) as Record<TableMetric, Interval | null>;
}

/** A metric's bootstrap replicates, kept so intervals can be read at any level (multiplicity). */
export interface BootstrapSample {
  /** The replicates' defined values, in no particular order (`quantile` rearranges them: read only). */
  values: Float64Array;
  replicates: number;
  /** Quantiles of `values` (domain/order-statistics). */
  quantile: (q: number) => number;
}

/** The central `level` percentile interval of kept replicates; null when fewer than half are defined. */
export function sampleInterval(s: BootstrapSample, level: number): Interval | null {
  if (s.values.length === 0 || s.values.length * 2 < s.replicates) return null;
  return { lower: s.quantile((1 - level) / 2), upper: s.quantile(1 - (1 - level) / 2) };
}

/** The Poisson-bootstrap replicates of every table metric (see bootstrapAggregates). */
export function bootstrapSamples(
  groups: readonly GroupCounts[],
  calibration: readonly (CalibrationGroup | null)[] | null,
  spec: BootstrapSpec,
): Record<TableMetric, BootstrapSample> {
  const B = spec.replicates;
  const order = canonicalOrder(groups, calibration);
  const width = groups.length * CELLS_PER_GROUP;
  const cells = new Uint32Array(width);
  order.forEach((gi, k) => cells.set(cellsOf(groups[gi]!), k * CELLS_PER_GROUP));
  const conf = spec.resample(cells, B, spec.seed);

  // Calibration cells: [positives, negatives] per (group, bin), padded to a multiple of 6.
  let cal: { reps: Uint32Array; width: number; bins: number; means: number[][] } | null = null;
  if (calibration) {
    const bins = calibration.find((c) => c !== null)?.count.length ?? 0;
    const raw = order.length * bins * 2;
    const w = Math.ceil(raw / CELLS_PER_GROUP) * CELLS_PER_GROUP;
    const calCells = new Uint32Array(w);
    const means: number[][] = [];
    order.forEach((gi, k) => {
      const c = calibration[gi];
      means.push(c ? meanScores(c) : new Array<number>(bins).fill(0));
      for (let b = 0; b < bins && c; b++) {
        calCells[(k * bins + b) * 2] = c.positives[b]!;
        calCells[(k * bins + b) * 2 + 1] = c.count[b]! - c.positives[b]!;
      }
    });
    cal = { reps: spec.resample(calCells, B, calibrationSeed(spec.seed)), width: w, bins, means };
  }

  const M = TABLE_METRICS.length;
  const values = TABLE_METRICS.map(() => new Float64Array(B));
  const defined = new Array<number>(M).fill(0);
  const cols = countColumns(order.length);
  const out = new Float64Array(M);
  const ece: (number | null)[] | null = cal ? new Array<number | null>(order.length).fill(null) : null;
  const count = new Float64Array(cal?.bins ?? 0);
  const pos = new Float64Array(cal?.bins ?? 0);
  for (let r = 0; r < B; r++) {
    for (let k = 0; k < order.length; k++) {
      const o = r * width + k * CELLS_PER_GROUP;
      const tp = conf[o]!, fp = conf[o + 1]!, su = conf[o + 2]!, fn = conf[o + 3]!, tn = conf[o + 4]!, uu = conf[o + 5]!;
      cols.tp[k] = tp;
      cols.fp[k] = fp;
      cols.fn[k] = fn;
      cols.tn[k] = tn;
      cols.selected[k] = tp + fp + su;
      cols.n[k] = tp + fp + su + fn + tn + uu;
      cols.labeled[k] = tp + fp + fn + tn;
      if (cal && ece) {
        for (let b = 0; b < cal.bins; b++) {
          const c = r * cal.width + (k * cal.bins + b) * 2;
          pos[b] = cal.reps[c]!;
          count[b] = cal.reps[c]! + cal.reps[c + 1]!;
        }
        ece[k] = expectedCalibrationError(count, pos, cal.means[k]!);
      }
    }
    aggregateValues(cols, ece, out);
    for (let m = 0; m < M; m++) {
      const v = out[m]!;
      if (v === v) values[m]![defined[m]!++] = v;
    }
  }
  // Not sorted: an interval reads its two quantiles by selection (domain/order-statistics), in
  // place — the replicate buffers are this call's own.
  return Object.fromEntries(
    TABLE_METRICS.map((m, i) => {
      const own = values[i]!.subarray(0, defined[i]!);
      return [m, { values: own, replicates: B, quantile: quantilesOf(own) }];
    }),
  ) as Record<TableMetric, BootstrapSample>;
}

/** How many more traces per group would let the interval decide; see docs/metrics.md. */
export interface SampleSizeHint {
  /** Factor by which every group's sample must grow (interval width ∝ 1/√n); null when no size decides. */
  factor: number | null;
  additionalPerGroup: { value: string; n: number; additional: number | null }[];
  note: string;
}

/**
 * For an interval that straddles threshold t: the interval must narrow until the side
 * facing t is shorter than the distance |value − t|. Widths shrink as 1/√n, so every
 * group needs (width / distance)² times its traces, assuming the estimate holds.
 */
export function sampleSizeHint(metric: MetricName, value: number, iv: Interval, t: number, groups: { value: string; n: number }[]): SampleSizeHint | null {
  if (intervalSide(metric, iv, t) !== "straddles") return null;
  const distance = Math.abs(value - t);
  // The half of the interval that reaches across the threshold.
  const towardsLower = beyond(metric, value, t) !== METRICS[metric].lowerIsWorse;
  const width = towardsLower ? value - iv.lower : iv.upper - value;
  if (distance === 0 || width <= 0) {
    return { factor: null, additionalPerGroup: groups.map((g) => ({ value: g.value, n: g.n, additional: null })), note: "the estimate sits on the threshold: no sample size decides" };
  }
  const factor = (width / distance) ** 2;
  return {
    factor,
    // The 1e-9 keeps float noise (a factor of 4.000000000000002) from adding a trace.
    additionalPerGroup: groups.map((g) => ({ value: g.value, n: g.n, additional: Math.max(0, Math.ceil(g.n * (factor - 1) - 1e-9)) })),
    note: "assumes the estimate holds and the interval narrows as 1/√n",
  };
}
