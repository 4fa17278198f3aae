/**
 * @module engine/calibration-accumulator
 * Calibration bins per group, accumulated across batches: labeled-trace counts and
 * positive outcomes per (group, score bin) from Kernels.histogram, and score sums
 * alongside in JS. The sums stay out of the kernels on purpose: the kernel contract
 * is exact integer counts, identical bit for bit across Wasm and TS; the sums are
 * kept exact here instead, in integer score units (domain/calibration.ts).
 *
 * A batch's scores are prepared once (createCalibrationBatch) for every slice it is added
 * to: which traces are labelled, their bins and score units do not depend on the slice's
 * groups, and a window's cut segment is added to three or more slices.
 */
import { type CalibrationTable, emptyCalibrationGroup, scoreBin, scoreUnits } from "../domain/calibration.js";
import type { Kernels } from "./kernels/types.js";

/** Outcomes 0 and 1 are labels; anything else (255 = unknown) is left out of calibration. */
const isLabel = (o: number) => o <= 1;

/** A batch's scores as calibration reads them, for every slice the batch is added to. */
export interface CalibrationBatch {
  bins: number;
  /** Each trace's score when it is labelled, NaN otherwise: the histogram kernel's input. */
  masked: Float32Array;
  /** Positions of the labelled traces that have a score, in batch order, with their bins and score units. */
  at: Uint32Array;
  bin: Uint8Array;
  units: Float64Array;
}

/** Prepares a batch's scores and outcomes for `bins` bins (at most 255, the policy's bound is 100). */
export function createCalibrationBatch(score: Float32Array, outcome: Uint8Array, bins: number): CalibrationBatch {
  if (!(bins >= 1 && bins <= 255)) throw new RangeError("calibration bins must be 1–255");
  const n = score.length;
  const masked = new Float32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const s = isLabel(outcome[i]!) ? score[i]! : NaN;
    masked[i] = s;
    if (s === s) m++;
  }
  const at = new Uint32Array(m);
  const bin = new Uint8Array(m);
  const units = new Float64Array(m);
  for (let i = 0, k = 0; i < n; i++) {
    const s = masked[i]!;
    if (s !== s) continue;
    at[k] = i;
    bin[k] = scoreBin(s, bins);
    units[k++] = scoreUnits(s);
  }
  return { bins, masked, at, bin, units };
}

/** Accumulates calibration statistics for groups coded 0..groups−1 by the caller. */
export function createCalibrationAccumulator(kernels: Kernels, bins: number) {
  let count = new Float64Array(0);
  let positives = new Float64Array(0);
  let sums = new Float64Array(0);
  const ensure = (groups: number) => {
    if (count.length >= groups * bins) return;
    const grow = (a: Float64Array) => {
      const g = new Float64Array(groups * bins);
      g.set(a);
      return g;
    };
    count = grow(count);
    positives = grow(positives);
    sums = grow(sums);
  };
  return {
    /**
     * Adds a batch. `groupCount` bounds the codes in `group`; `map` (when given) sends batch
     * code c to accumulator code map[c], and codes ≥ map.length ("attribute absent") are dropped.
     * `sign` −1 takes the batch away (every value is an integer: exact).
     */
    add(group: Uint16Array, scores: Float32Array | CalibrationBatch, outcome: Uint8Array, groupCount: number, map: readonly number[] | null, sign: 1 | -1 = 1): void {
      const batch = scores instanceof Float32Array ? createCalibrationBatch(scores, outcome, bins) : scores;
      if (batch.bins !== bins || batch.masked.length !== group.length) throw new RangeError("calibration batch does not match the accumulator or the batch");
      const { at, bin, units } = batch;
      const part = new Float64Array(groupCount * bins);
      // In batch order, as the kernel counts: the sums are integers (score units), exact in any order anyway.
      for (let k = 0; k < at.length; k++) part[group[at[k]!]! * bins + bin[k]!]! += units[k]!;
      const h = kernels.histogram(group, batch.masked, outcome, groupCount, bins);
      const kept = map ? map.length : groupCount;
      ensure(map ? Math.max(0, ...map) + 1 : groupCount);
      for (let g = 0; g < kept; g++) {
        const to = (map ? map[g]! : g) * bins;
        const from = g * bins;
        for (let b = 0; b < bins; b++) {
          count[to + b]! += sign * h.count[from + b]!;
          positives[to + b]! += sign * h.positives[from + b]!;
          sums[to + b]! += sign * part[from + b]!;
        }
      }
    },
    /**
     * Adds precomputed bins (a segment summary): group i of `k`/`p`/`s` (each groups × bins)
     * goes to accumulator code map[i].
     */
    addBins(map: readonly number[], k: ArrayLike<number>, p: ArrayLike<number>, s: ArrayLike<number>): void {
      ensure(map.length ? Math.max(...map) + 1 : 0);
      map.forEach((to, g) => {
        for (let b = 0; b < bins; b++) {
          count[to * bins + b]! += k[g * bins + b]!;
          positives[to * bins + b]! += p[g * bins + b]!;
          sums[to * bins + b]! += s[g * bins + b]!;
        }
      });
    },
    /** The table for accumulator codes named by `values` (groups without a labeled scored trace omitted). */
    table(values: readonly string[]): CalibrationTable {
      const groups = [];
      for (let g = 0; g < values.length && g * bins < count.length; g++) {
        const c = emptyCalibrationGroup(values[g]!, bins);
        let any = false;
        for (let b = 0; b < bins; b++) {
          c.count[b] = count[g * bins + b]!;
          c.positives[b] = positives[g * bins + b]!;
          c.scoreSum[b] = sums[g * bins + b]!;
          any ||= c.count[b]! > 0;
        }
        if (any) groups.push(c);
      }
      return { bins, groups: groups.sort((x, y) => (x.value < y.value ? -1 : x.value > y.value ? 1 : 0)) };
    },
  };
}
