/**
 * @module domain/failure-class
 * The class of a block or auto-pause, and the tenant's playbook for it (pure).
 *
 * Classes, decided in this order (the first that applies):
 *  1. insufficient_data — the block rests on no metric breach at all: too few samples,
 *     or (confident/sequential rule) intervals that straddle their thresholds;
 *  2. direct_use — a driver reads a sensitive attribute and widens the gap, or the
 *     counterfactual flip rate blocks (a flip is the version deciding differently when
 *     only the sensitive attribute changes: it reads it). Named before
 *     the weaker-evidence case below because direct use of a protected attribute has to be
 *     removed or justified whatever the sample says;
 *  3. insufficient_data — every blocking metric's interval straddles its threshold (a
 *     point-rule block the data cannot confirm);
 *  4. label_gap — outcome-based metrics block while no selection metric does;
 *  5. threshold — the largest driver is an offer's minPropensity;
 *  6. model — otherwise: weights (or rules) on other attributes dominate, or no single part
 *     of the flow explains the gap.
 */
import { z } from "zod";
import { SELECTION_METRICS } from "./drivers.js";
import type { Evaluation } from "./evaluation.js";
import { intervalSide, type MetricName } from "./tiers.js";

export const FAILURE_CLASSES = ["insufficient_data", "direct_use", "label_gap", "threshold", "model"] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

const step = z.string().trim().min(1).max(500);
/** The tenant's playbooks (PUT /tenant-settings `remediationPlaybooks`): steps per class; a class left out keeps the default. */
export const playbooksSchema = z.strictObject(
  Object.fromEntries(FAILURE_CLASSES.map((c) => [c, z.array(step).min(1).max(20).optional()])) as Record<FailureClass, z.ZodOptional<z.ZodArray<typeof step>>>,
);
export type Playbooks = z.infer<typeof playbooksSchema>;

/** Defaults drawn from the usual remediation guidance: fix the data, the use, the labels, the operating point, the model. */
export const DEFAULT_PLAYBOOKS: Record<FailureClass, string[]> = {
  insufficient_data: [
    "Collect more decisions for the small groups, or rebalance the sample, before drawing conclusions.",
    "Check that the sensitive attribute is recorded for every decision (missing values leave requests out of every group).",
    "Re-run the gate once each group has at least minGroupSize decisions.",
  ],
  direct_use: [
    "Remove the weight or eligibility rule that reads the sensitive attribute (see the drivers with directUse: true), or document a lawful justification for it.",
    "Check proxies: attributes strongly associated with the sensitive attribute can carry the same effect.",
    "Publish the corrected version through the gate.",
  ],
  label_gap: [
    "Review the outcome labels: how and when conversions are recorded per group, and whether some groups' outcomes are missing.",
    "Compare error rates per group (TPR, FPR, PPV) and look for label bias in the recorded outcomes.",
    "Retrain or recalibrate on corrected labels, then publish through the gate.",
  ],
  threshold: [
    "Recalibrate the operating point: a single, global minPropensity per offer (POST /decision-flows/{id}/what-if searches one).",
    "Check the utility cost of the new threshold in expected and observed conversions.",
    "Publish the new threshold through the gate.",
  ],
  model: [
    "Retrain the model with a constraint-aware objective (e.g. a demographic-parity or equalized-odds constraint).",
    "Inspect the top drivers: the weights on other attributes that widen the gap may act as proxies.",
    "Compare the what-if suggestions' utility cost before choosing a change, then publish through the gate.",
  ],
};

/** The playbook of `cls`: the tenant's steps for it, else the default. */
export function playbookFor(cls: FailureClass, tenant: Playbooks | null | undefined): string[] {
  return [...(tenant?.[cls] ?? DEFAULT_PLAYBOOKS[cls])];
}

/** Every class's effective playbook (the tenant's where set, else the default). */
export function effectivePlaybooks(tenant: Playbooks | null | undefined): Record<FailureClass, string[]> {
  return Object.fromEntries(FAILURE_CLASSES.map((c) => [c, playbookFor(c, tenant)])) as Record<FailureClass, string[]>;
}

const SELECTION: ReadonlySet<string> = new Set(SELECTION_METRICS);
const NO_DATA = /^(insufficient samples|no usable samples)/;

/** The class of a blocking evaluation (a block, or what a shadow block or bypass would have been). */
export function classifyFailure(e: Evaluation): FailureClass {
  const blocking = e.results.flatMap((r) => Object.entries(r.metrics).filter(([, ev]) => ev.status === "block").map(([metric, ev]) => ({ metric: metric as MetricName, ev })));
  const noBreach = e.violations.length > 0 && e.violations.every((v) => NO_DATA.test(v) || v.includes("insufficient evidence:"));
  // An upgraded v1 evaluation has no results; its violations are metric breaches unless they say otherwise.
  if (noBreach || (e.results.length > 0 && blocking.length === 0 && e.insufficientEvidence.length > 0)) return "insufficient_data";
  const drivers = e.drivers?.items ?? [];
  if (drivers.some((d) => d.directUse && d.contribution > 0)) return "direct_use";
  // Not an outcome metric: the flow re-run with only the sensitive value changed decides otherwise.
  if (blocking.some((b) => b.metric === "counterfactualFlipRate")) return "direct_use";
  const straddle = (m: MetricName, ev: (typeof blocking)[number]["ev"]) => ev.interval !== null && ev.value !== null && ev.threshold?.block !== undefined && intervalSide(m, ev.interval, ev.threshold.block) === "straddles";
  if (blocking.length > 0 && blocking.every((b) => straddle(b.metric, b.ev))) return "insufficient_data";
  if (blocking.length > 0 && !blocking.some((b) => SELECTION.has(b.metric))) return "label_gap";
  if (drivers[0]?.kind === "min_propensity") return "threshold";
  return "model";
}
