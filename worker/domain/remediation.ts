/**
 * @module domain/remediation
 * Remediation rules, pure: which slices failed in an evaluation, and which
 * status changes are allowed. `resolved` needs a later passing evaluation of the
 * same flow; `waived` needs an approved override covering the flow. Both end it.
 */
import { ConflictError, ValidationError } from "./errors.js";
import type { Evaluation } from "./evaluation.js";

/** Days from opening to the default due date. */
export const DEFAULT_DUE_DAYS = 14;

export interface SliceFailure {
  attribute: string | null;
  group: string;
  selectionRate: number | null;
}

/**
 * The failing slices of an evaluation: groups selected less often than the
 * policy's disparate-impact floor (ratio × highest rate), or, without that
 * threshold, the least-selected group. Groups left out of the aggregates do not
 * count; no evaluation (the event's evaluation is not at hand) names none.
 */
export function failingSlices(e: Evaluation | undefined): SliceFailure[] {
  if (!e) return [];
  const rated = e.groups.flatMap((g) => (!g.excluded && g.selectionRate !== null ? [{ group: g.value, rate: g.selectionRate }] : []));
  if (rated.length < 2) return [];
  const max = Math.max(...rated.map((g) => g.rate));
  const t = e.policy?.thresholds?.disparateImpactRatio;
  const ratio = typeof t === "number" ? t : (t?.block ?? null);
  const below = ratio === null ? [] : rated.filter((g) => g.rate < ratio * max);
  const picked = below.length > 0 ? below : [rated.reduce((a, b) => (b.rate < a.rate ? b : a))];
  return picked.map((g) => ({ attribute: e.sensitiveAttribute, group: g.group, selectionRate: g.rate }));
}

export type Status = "open" | "in_progress" | "resolved" | "waived";

const NEXT: Record<Status, Status[]> = { open: ["in_progress", "resolved", "waived"], in_progress: ["resolved", "waived"], resolved: [], waived: [] };

/** Throws unless `from → to` is allowed (a no-op change of status is allowed). */
export function checkTransition(from: Status, to: Status): void {
  if (from === to) return;
  if (!NEXT[from].includes(to)) throw new ConflictError("remediation_transition_invalid", `A remediation cannot go from ${from} to ${to}.`);
}

/** Checks the evidence for `resolved`: a passing evaluation of the same flow, after the one that opened it. */
export function checkResolution(r: { flowId: string; createdAt: string }, e: { flowId: string | null; verdict: string; createdAt: string } | null): void {
  if (!e) throw new ValidationError("resolvingEvaluationId does not name an evaluation of this tenant", {}, "remediation_evidence_missing");
  if (e.flowId !== r.flowId) throw new ConflictError("remediation_evidence_invalid", "The resolving evaluation is of another flow.");
  if (e.verdict !== "pass") throw new ConflictError("remediation_evidence_invalid", `The resolving evaluation did not pass (verdict ${e.verdict}).`);
  if (e.createdAt <= r.createdAt) throw new ConflictError("remediation_evidence_invalid", "The resolving evaluation is not later than the remediation.");
}

/** Checks the evidence for `waived`: an approved (active), unexpired override for this flow or tenant-wide. */
export function checkWaiver(r: { flowId: string }, o: { flowId: string | null; status: string; approvedBy: string | null; expiresAt: string } | null, now: Date): void {
  if (!o) throw new ValidationError("overrideId does not name an override of this tenant", {}, "remediation_evidence_missing");
  if (o.status !== "active" || o.approvedBy === null) throw new ConflictError("remediation_evidence_invalid", "Only an approved override can waive a remediation.");
  if (Date.parse(o.expiresAt) <= now.getTime()) throw new ConflictError("remediation_evidence_invalid", "The override has expired.");
  if (o.flowId !== null && o.flowId !== r.flowId) throw new ConflictError("remediation_evidence_invalid", "The override is for another flow.");
}
