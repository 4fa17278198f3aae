/**
 * @module domain/remediation-record
 * The remediation record: opened by a block or auto-pause, worked on until a
 * later passing evaluation resolves it or an approved override waives it.
 */
import type { FailureClass } from "./failure-class.js";

export const ROOT_CAUSES = ["data", "feature", "label", "threshold", "model"] as const;
export type RootCause = (typeof ROOT_CAUSES)[number];
export type RemediationStatus = "open" | "in_progress" | "resolved" | "waived";

/** A failing slice: which group of which attribute fell short, and by how much. */
export interface FailingSlice {
  attribute: string | null;
  group: string;
  selectionRate: number | null;
}

export interface RemediationRecord {
  /** The class of the failure that opened it (domain/failure-class); null on records opened before classes existed. */
  failureClass: FailureClass | null;
  /** The tenant's playbook for that class when it was opened (a copy: later playbook edits do not rewrite it). */
  playbook: string[];
  id: string;
  flowId: string;
  flowKey: string | null;
  evaluationId: string;
  openedByAction: string;
  failingMetrics: string[];
  failingSlices: FailingSlice[];
  status: RemediationStatus;
  owner: string | null;
  dueAt: string | null;
  rootCause: RootCause | null;
  notes: string | null;
  resolvingEvaluationId: string | null;
  overrideId: string | null;
  revision: number;
  createdAt: string;
  updatedAt: string;
}
