/**
 * @module scripts/cli/sweep
 * `fairgate check --sweep FROM:TO:STEP`: while the file streams, every row is also
 * counted at each threshold (selected = score >= threshold) into that threshold's
 * confusion tables; afterwards the gate is decided once per threshold by the same
 * decideGate call the main evaluation makes, and each decision is summarised as a
 * point (domain/threshold-sweep). No metric is computed here.
 *
 * Per slice the rows are buffered once (group code, outcome, score) and, per batch,
 * each threshold's selected column is derived and handed to the kernels — so a row
 * costs one dictionary lookup whatever the number of thresholds, and the counting
 * stays in the Wasm kernels. Every threshold's accumulator is given the same values
 * in the same order, so one code means one group in all of them. Calibration does
 * not depend on the threshold: it is accumulated once and shared by every point.
 */
import type { CalibrationTable } from "../../worker/domain/calibration.js";
import { decideGate } from "../../worker/domain/gate.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import { type SliceTable, slicesOf } from "../../worker/domain/slices.js";
import { type SweepRange, sweepPointOf, sweepThresholds, type ThresholdSweep } from "../../worker/domain/threshold-sweep.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { createTableAccumulator } from "../../worker/engine/window.js";
import { BATCH_ROWS, sliceValue, TooManyGroupsError } from "./encode.js";

export interface Sweep {
  /** Counts a row at every threshold; `values` are the row's parsed sensitive values. */
  add(values: (string | null)[], outcome: number, score: number): void;
  /** Decides the gate at every threshold. */
  result(policy: FairnessPolicy, opts: { resample: Kernels["bootstrap"]; counterfactualNote: string }): ThresholdSweep;
}

interface SweepSlice {
  add(values: (string | null)[], outcome: number, score: number): void;
  /** The gate's input for this slice at threshold index `t`. */
  sliceTable(t: number): SliceTable;
}

function createSweepSlice(name: string, attributes: string[], parts: number[], thresholds: number[], kernels: Kernels, calibrationBins?: number): SweepSlice {
  const opts = calibrationBins === undefined ? {} : { calibrationBins };
  const accs = thresholds.map(() => createTableAccumulator(kernels, opts));
  const codes = new Map<string, number>();
  const group = new Uint16Array(BATCH_ROWS);
  const outcome = new Uint8Array(BATCH_ROWS);
  const selected = new Uint8Array(BATCH_ROWS);
  // The comparison uses the exact score, as the main path's `score >= threshold` does; calibration takes f32 as everywhere.
  const exact = new Float64Array(BATCH_ROWS);
  const scores = new Float32Array(BATCH_ROWS);
  let unitScores = true;
  let len = 0;
  const code = (value: string): number => {
    let c = codes.get(value);
    if (c === undefined) {
      try {
        for (const acc of accs) c = acc.code(value);
      } catch (err) {
        if (err instanceof RangeError) throw new TooManyGroupsError(`more than 65,535 distinct values for ${JSON.stringify(name)}`);
        throw err;
      }
      codes.set(value, c!);
    }
    return c!;
  };
  const flush = () => {
    if (len === 0) return;
    const g = group.subarray(0, len);
    const o = outcome.subarray(0, len);
    const s = selected.subarray(0, len);
    for (let t = 0; t < thresholds.length; t++) {
      const threshold = thresholds[t]!;
      for (let i = 0; i < len; i++) s[i] = exact[i]! >= threshold ? 1 : 0;
      accs[t]!.add(g, s, o, t === 0 ? scores.subarray(0, len) : undefined);
    }
    len = 0;
  };
  let calibration: CalibrationTable | null | undefined;
  return {
    add(values, out, score) {
      // Unusable for this slice (a value missing), as in encode's slices.
      const value = sliceValue(values, parts);
      if (value === null) return;
      group[len] = code(value);
      outcome[len] = out;
      exact[len] = score;
      scores[len] = score;
      if (score < 0 || score > 1) unitScores = false;
      if (++len === BATCH_ROWS) flush();
    },
    sliceTable(t) {
      flush();
      // As encode's slices: scores outside [0, 1] are not probabilities, so no calibration.
      if (calibration === undefined) calibration = unitScores ? accs[0]!.calibration() : null;
      return { name, attributes, table: accs[t]!.table(), calibration };
    },
  };
}

export function createSweep(column: string, range: SweepRange, attributes: string[], kernels: Kernels, calibrationBins?: number): Sweep {
  const thresholds = sweepThresholds(range);
  const slices = slicesOf(attributes).map((spec) =>
    createSweepSlice(spec.name, spec.attributes, spec.attributes.map((a) => attributes.indexOf(a)), thresholds, kernels, calibrationBins),
  );
  return {
    add(values, outcome, score) {
      for (const s of slices) s.add(values, outcome, score);
    },
    result(policy, { resample, counterfactualNote }) {
      // No baseline and no sequential state: a point is a plain look at that threshold's tables.
      const points = thresholds.map((threshold, t) =>
        sweepPointOf(threshold, decideGate(policy, { observed: slices.map((s) => s.sliceTable(t)), baseline: null, counterfactualNote, sequential: null }, null, { resample })),
      );
      return { column, ...range, points };
    },
  };
}
