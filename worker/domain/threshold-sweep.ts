/**
 * @module domain/threshold-sweep
 * A threshold sweep: the gated metrics of one evaluation re-decided at each score
 * threshold of a range (selected = score >= threshold), the view TFMA's Fairness
 * Indicators give of a scoring model. Each point is a summary of a full decideGate
 * run on that threshold's tables — no metric is computed here, only copied out of the
 * gate's results — so a point at the evaluation's own threshold repeats its numbers.
 *
 * Carried as the evaluation's optional `thresholdSweep` (domain/evaluation), so the
 * one evaluation shape holds it and stored or printed sweeps are parsed like the rest.
 */
import { z } from "zod";
import type { GateResult } from "./gate.js";
import { METRIC_NAMES } from "./tiers.js";

/** More points than a chart or a CI log can show usefully; also bounds the CLI's per-threshold tables. */
export const MAX_SWEEP_POINTS = 201;

const rate = z.number().nullable();
const interval = z.object({ lower: z.number(), upper: z.number() }).nullable();
const status = z.enum(["pass", "warning", "critical", "block", "insufficient_evidence", "not_checked", "unavailable"]);

export const sweepPointSchema = z.object({
  threshold: z.number(),
  verdict: z.enum(["pass", "skip", "block", "bypass"]),
  /** Why the gate skipped, as in the evaluation's `reason`. */
  reason: z.string().nullable(),
  violations: z.array(z.string()),
  /** Warning and critical tier messages at this threshold. */
  warnings: z.array(z.string()),
  slices: z.array(
    z.object({
      slice: z.string(),
      groups: z.array(z.object({ value: z.string(), n: z.number().int(), selected: z.number().int(), selectionRate: rate, tpr: rate, fpr: rate })),
      /** The gated metrics only (those with a threshold in the policy); `block`: its block threshold, if it has one. */
      metrics: z.partialRecord(z.enum(METRIC_NAMES), z.object({ value: rate, interval, status, block: z.number().nullable() })),
    }),
  ),
});
export type SweepPoint = z.infer<typeof sweepPointSchema>;

export const thresholdSweepSchema = z.object({
  /** The score column; a row is selected at a point when its score >= the point's threshold. */
  column: z.string(),
  from: z.number(),
  to: z.number(),
  step: z.number(),
  points: z.array(sweepPointSchema).max(MAX_SWEEP_POINTS),
});
export type ThresholdSweep = z.infer<typeof thresholdSweepSchema>;

export interface SweepRange {
  from: number;
  to: number;
  step: number;
}

/**
 * The thresholds from..to (inclusive) every `step`. Each is from + i·step rounded to 12
 * significant digits, so 0.1:0.3:0.1 gives 0.3 rather than 0.30000000000000004 and the
 * last point is not lost to accumulated error. Throws RangeError for an empty or huge range.
 */
export function sweepThresholds({ from, to, step }: SweepRange): number[] {
  if (![from, to, step].every(Number.isFinite)) throw new RangeError("from, to and step must be finite numbers");
  if (step <= 0) throw new RangeError("step must be positive");
  if (to < from) throw new RangeError("to must not be below from");
  const count = Math.floor((to - from) / step + 1e-9) + 1;
  if (count > MAX_SWEEP_POINTS) throw new RangeError(`${count} thresholds; at most ${MAX_SWEEP_POINTS}`);
  return Array.from({ length: count }, (_, i) => Number((from + i * step).toPrecision(12)));
}

/** The point of `threshold` from the gate's decision on that threshold's tables (observed slices only). */
export function sweepPointOf(threshold: number, gate: GateResult): SweepPoint {
  return {
    threshold,
    verdict: gate.verdict,
    reason: gate.reason,
    violations: gate.violations,
    warnings: gate.warnings.map((w) => w.message),
    slices: gate.results
      .filter((r) => r.source === "observed")
      .map((r) => ({
        slice: r.slice,
        groups: r.groups.map((g) => ({ value: g.value, n: g.n, selected: g.selected, selectionRate: g.selectionRate, tpr: g.tpr, fpr: g.fpr })),
        metrics: Object.fromEntries(
          METRIC_NAMES.filter((m) => r.metrics[m].threshold !== null).map((m) => {
            const e = r.metrics[m];
            return [m, { value: e.value, interval: e.interval, status: e.status, block: e.threshold?.block ?? null }];
          }),
        ),
      })),
  };
}
