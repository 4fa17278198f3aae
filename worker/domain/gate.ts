/**
 * @module domain/gate
 * The gate decision: given a policy, the window's confusion table and the
 * overrides in force, decide pass / skip / block / bypass. Pure and deterministic.
 */
import type { ConfusionTable } from "./confusion.js";
import { computeMetrics, type MetricReport } from "./metrics.js";
import type { FairnessPolicy } from "./policy.js";

export type Verdict = "pass" | "skip" | "block" | "bypass";

/** An override as the gate sees it. */
export interface OverrideView {
  id: string;
  flowId: string | null;
  status: "pending" | "active" | "revoked";
  expiresAt: string;
  requestedBy: string;
  approvedBy: string | null;
  reason: string;
}

export interface GateResult {
  verdict: Verdict;
  /** Why the gate skipped or was bypassed; null for plain pass/block. */
  reason: string | null;
  /** Threshold breaches, as human-readable strings with 3-decimal values. */
  violations: string[];
  report: MetricReport;
  /** The override that turned a block into a bypass. */
  override: OverrideView | null;
}

export const BYPASS_REASON = "Fairness gate bypassed via active override";

/**
 * The override that applies to `flowId` at `now`, if any: approved (active),
 * unexpired, and either for this flow or tenant-wide. Pending, revoked and
 * expired overrides are ignored. Flow-specific overrides win over tenant-wide ones.
 */
export function applicableOverride(overrides: OverrideView[], flowId: string, now: Date): OverrideView | null {
  const live = overrides.filter(
    (o) => o.status === "active" && o.approvedBy !== null && Date.parse(o.expiresAt) > now.getTime() && (o.flowId === null || o.flowId === flowId),
  );
  live.sort((a, b) => (a.flowId === null ? 1 : 0) - (b.flowId === null ? 1 : 0) || Date.parse(b.expiresAt) - Date.parse(a.expiresAt));
  return live[0] ?? null;
}

const fmt = (x: number) => x.toFixed(3);

/** Threshold breaches of a metric report under `policy`. */
export function findViolations(report: MetricReport, policy: FairnessPolicy): string[] {
  const t = policy.thresholds;
  const m = report.metrics;
  const out: string[] = [];
  if (t.disparateImpactRatio !== undefined && m.disparateImpactRatio !== null && m.disparateImpactRatio < t.disparateImpactRatio)
    out.push(`disparate impact ratio ${fmt(m.disparateImpactRatio)} < threshold ${t.disparateImpactRatio}`);
  if (t.demographicParityGap !== undefined && m.demographicParityGap !== null && m.demographicParityGap > t.demographicParityGap)
    out.push(`demographic parity gap ${fmt(m.demographicParityGap)} > threshold ${t.demographicParityGap}`);
  if (t.equalOpportunityGap !== undefined && m.equalOpportunityGap !== null && m.equalOpportunityGap > t.equalOpportunityGap)
    out.push(`equal opportunity gap ${fmt(m.equalOpportunityGap)} > threshold ${t.equalOpportunityGap}`);
  return out;
}

/**
 * Decides the gate. `policy` null or disabled → skip. No usable traces → skip
 * ("no usable samples"); fewer than minSampleSize → skip ("insufficient samples")
 * or block, per `onInsufficientSamples`. A breach with an applicable override → bypass.
 */
export function decideGate(policy: FairnessPolicy | null, table: ConfusionTable, override: OverrideView | null): GateResult {
  const report = computeMetrics(table);
  const n = report.metrics.sampleSize;
  const result = (verdict: Verdict, reason: string | null, violations: string[] = []): GateResult => ({
    verdict,
    reason,
    violations,
    report,
    override: verdict === "bypass" ? override : null,
  });
  if (!policy) return result("skip", "no fairness policy configured");
  if (!policy.enabled) return result("skip", "fairness policy disabled");

  let violations: string[];
  if (n === 0 || n < policy.minSampleSize) {
    const reason = n === 0 ? "no usable samples" : "insufficient samples";
    if (policy.onInsufficientSamples === "skip") return result("skip", reason);
    violations = [`${reason}: ${n} < minimum sample size ${policy.minSampleSize}`];
  } else {
    violations = findViolations(report, policy);
    if (violations.length === 0) return result("pass", null);
  }
  if (override) return result("bypass", BYPASS_REASON, violations);
  return result("block", null, violations);
}
