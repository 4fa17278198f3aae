/**
 * @module engine/calibration-accumulator
 * Calibration bins per group, accumulated across batches: labeled-trace counts and
 * positive outcomes per (group, score bin) from Kernels.histogram, and score sums
 * alongside in JS. The sums stay out of the kernels on purpose: the kernel contract
 * is exact integer counts, identical bit for bit across Wasm and TS; the sums are
 * kept exact here instead, in integer score units (domain/calibration.ts).
 */
import { type CalibrationTable, emptyCalibrationGroup, scoreBin, scoreUnits } from "../domain/calibration.js";
import type { Kernels } from "./kernels/types.js";

/** Outcomes 0 and 1 are labels; anything else (255 = unknown) is left out of calibration. */
const isLabel = (o: number) => o <= 1;

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
     */
    add(group: Uint16Array, score: Float32Array, outcome: Uint8Array, groupCount: number, map: readonly number[] | null): void {
      const n = group.length;
      const masked = new Float32Array(n);
      const part = new Float64Array(groupCount * bins);
      for (let i = 0; i < n; i++) {
        const s = isLabel(outcome[i]!) ? score[i]! : NaN;
        masked[i] = s;
        const b = scoreBin(s, bins);
        if (b >= 0) part[group[i]! * bins + b]! += scoreUnits(s);
      }
      const h = kernels.histogram(group, masked, outcome, groupCount, bins);
      const kept = map ? map.length : groupCount;
      ensure(map ? Math.max(0, ...map) + 1 : groupCount);
      for (let g = 0; g < kept; g++) {
        const to = (map ? map[g]! : g) * bins;
        const from = g * bins;
        for (let b = 0; b < bins; b++) {
          count[to + b]! += h.count[from + b]!;
          positives[to + b]! += h.positives[from + b]!;
          sums[to + b]! += part[from + b]!;
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
