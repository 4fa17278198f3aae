/**
 * @module scripts/cli/sweep
 * `fairgate check --sweep FROM:TO:STEP`: while the file streams, every row is also
 * counted into one set of slice tables per threshold (selected = score >= threshold);
 * afterwards the gate is decided once per threshold by the same decideGate call the
 * main evaluation makes, and each decision is summarised as a point
 * (domain/threshold-sweep). No metric is computed here.
 */
import { decideGate } from "../../worker/domain/gate.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import { type SweepRange, sweepPointOf, sweepThresholds, type ThresholdSweep } from "../../worker/domain/threshold-sweep.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { createSlices, type Slice } from "./encode.js";

/**
 * Rows per kernel call for the per-threshold tables. Smaller than the main batch: with
 * up to 201 thresholds × slices, 65,536-row buffers (8 bytes a row) would take ~100 MiB
 * per slice; 4,096 rows keep it near 7 MiB while still amortising each kernel call.
 */
const SWEEP_BATCH_ROWS = 4096;

export interface Sweep {
  /** Counts a row at every threshold; `values` are the row's parsed sensitive values. */
  add(values: (string | null)[], outcome: number, score: number): void;
  /** Decides the gate at every threshold. */
  result(policy: FairnessPolicy, opts: { resample: Kernels["bootstrap"]; counterfactualNote: string }): ThresholdSweep;
}

export function createSweep(column: string, range: SweepRange, attributes: string[], kernels: Kernels, calibrationBins?: number): Sweep {
  const thresholds = sweepThresholds(range);
  const sets: Slice[][] = thresholds.map(() => createSlices(attributes, kernels, SWEEP_BATCH_ROWS, calibrationBins));
  return {
    add(values, outcome, score) {
      for (let t = 0; t < thresholds.length; t++) {
        const selected = score >= thresholds[t]! ? 1 : 0;
        for (const s of sets[t]!) s.add(values, selected, outcome, score);
      }
    },
    result(policy, { resample, counterfactualNote }) {
      // No baseline and no sequential state: a point is a plain look at that threshold's tables.
      const points = thresholds.map((threshold, t) =>
        sweepPointOf(threshold, decideGate(policy, { observed: sets[t]!.map((s) => s.sliceTable()), baseline: null, counterfactualNote, sequential: null }, null, { resample })),
      );
      return { column, ...range, points };
    },
  };
}
