/**
 * @module domain/calibration
 * Calibration per group: equal-width score bins over [0, 1], and per bin the
 * number of labeled traces, their positive outcomes and the sum of their scores.
 * From these: mean score vs observed outcome rate per bin, and the expected
 * calibration error ECE_g = Σ_b (n_b / N_g) · |observedRate_b − meanScore_b|.
 *
 * Only traces with a known outcome (0/1) and a score count. Scores are f32 (as
 * stored in segments) and their sums are kept in integer units of 2^-24, so a sum
 * is exact and independent of the order rows were added in — the row path, the
 * columnar path and the replay agree bit for bit.
 */
/** Units per 1.0 of score in `scoreSum` (2^24: f32 scores in [0, 1] lose nothing that matters). */
export const SCORE_UNIT = 16_777_216;
export const DEFAULT_CALIBRATION_BINS = 10;

/** Per-bin sufficient statistics of one group (arrays of length `bins`). */
export interface CalibrationGroup {
  value: string;
  count: number[];
  positives: number[];
  /** Σ score over the bin's traces, in units of 1/SCORE_UNIT. */
  scoreSum: number[];
}

/** One slice's calibration statistics; `groups` sorted by value like a ConfusionTable. */
export interface CalibrationTable {
  bins: number;
  groups: CalibrationGroup[];
}

/**
 * The bin of a score: the same rule as Kernels.histogram (score·bins floored,
 * below 0 → first bin, ≥ 1 → last bin). Returns −1 for NaN (no score).
 */
export function scoreBin(score: number, bins: number): number {
  if (score !== score) return -1;
  const x = score * bins;
  return x < 0 ? 0 : x >= bins ? bins - 1 : Math.floor(x);
}

/** A score (clamped to [0, 1] like the bin rule) in units of 1/SCORE_UNIT. */
export function scoreUnits(score: number): number {
  return Math.round((score < 0 ? 0 : score > 1 ? 1 : score) * SCORE_UNIT);
}

/** An empty group entry for accumulation. */
export function emptyCalibrationGroup(value: string, bins: number): CalibrationGroup {
  return { value, count: new Array<number>(bins).fill(0), positives: new Array<number>(bins).fill(0), scoreSum: new Array<number>(bins).fill(0) };
}

/** One non-empty bin as reported. */
export interface CalibrationBin {
  lower: number;
  upper: number;
  n: number;
  meanScore: number;
  observedRate: number;
}

/** A group's calibration as reported: labeled scored traces, ECE and the non-empty bins. */
export interface GroupCalibration {
  n: number;
  /** Expected calibration error; null when the group has no labeled scored trace. */
  ece: number | null;
  bins: CalibrationBin[];
}

/**
 * ECE from per-bin arrays. Σ_b (n_b/N)·|pos_b/n_b − sum_b/n_b| simplifies to
 * Σ_b |pos_b − sum_b| / N, which needs no per-bin division. `scoreSum` is in score units.
 */
export function expectedCalibrationError(count: ArrayLike<number>, positives: ArrayLike<number>, meanScore: ArrayLike<number>): number | null {
  let n = 0;
  let err = 0;
  for (let b = 0; b < count.length; b++) {
    const c = count[b]!;
    if (c === 0) continue;
    n += c;
    err += Math.abs(positives[b]! - meanScore[b]! * c);
  }
  return n === 0 ? null : err / n;
}

/** Mean score per bin (0 for empty bins, which carry no weight). */
export function meanScores(g: CalibrationGroup): number[] {
  return g.count.map((c, b) => (c === 0 ? 0 : g.scoreSum[b]! / SCORE_UNIT / c));
}

/** The reported calibration of one group. */
export function groupCalibration(g: CalibrationGroup, bins: number): GroupCalibration {
  const mean = meanScores(g);
  const out: CalibrationBin[] = [];
  let n = 0;
  for (let b = 0; b < bins; b++) {
    const c = g.count[b]!;
    if (c === 0) continue;
    n += c;
    out.push({ lower: b / bins, upper: (b + 1) / bins, n: c, meanScore: mean[b]!, observedRate: g.positives[b]! / c });
  }
  return { n, ece: expectedCalibrationError(g.count, g.positives, mean), bins: out };
}
