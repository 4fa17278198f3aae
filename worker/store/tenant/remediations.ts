/**
 * @module store/tenant/remediations
 * Remediation records: opened with a block or auto-pause (same batch), then
 * worked on until resolved by a passing evaluation or waived by an approved
 * override. Updates are guarded by a revision (optimistic concurrency).
 */
import { z } from "zod";
import { StoredRecordError } from "../../domain/errors.js";
import { FAILURE_CLASSES } from "../../domain/failure-class.js";
import type { FailingSlice, RemediationRecord, RemediationStatus, RootCause } from "../../domain/remediation-record.js";
import { type Client, type InStatement, guard, json, read } from "../sql.js";

const s = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** The class and playbook columns, read back through zod (NULL on records opened before classes existed). */
const classSchema = z.enum(FAILURE_CLASSES).nullable();
const playbookSchema = z.array(z.string());

function classOf(r: Record<string, unknown>): Pick<RemediationRecord, "failureClass" | "playbook"> {
  const failureClass = classSchema.safeParse(r.failure_class ?? null);
  if (!failureClass.success) throw new StoredRecordError("remediation", ["failure_class is not a known class"]);
  if (r.playbook === null || r.playbook === undefined) return { failureClass: failureClass.data, playbook: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(String(r.playbook));
  } catch {
    throw new StoredRecordError("remediation", ["playbook is not JSON"]);
  }
  const steps = playbookSchema.safeParse(raw);
  if (!steps.success) throw new StoredRecordError("remediation", ["playbook is not a list of steps"]);
  return { failureClass: failureClass.data, playbook: steps.data };
}

function fromRow(r: Record<string, unknown>): RemediationRecord {
  return {
    id: String(r.id),
    flowId: String(r.flow_id),
    flowKey: s(r.flow_key),
    evaluationId: String(r.evaluation_id),
    openedByAction: String(r.opened_by_action),
    failingMetrics: json<string[]>(r.failing_metrics) ?? [],
    failingSlices: json<FailingSlice[]>(r.failing_slices) ?? [],
    status: String(r.status) as RemediationStatus,
    owner: s(r.owner),
    dueAt: s(r.due_at),
    rootCause: s(r.root_cause) as RootCause | null,
    notes: s(r.notes),
    resolvingEvaluationId: s(r.resolving_evaluation_id),
    overrideId: s(r.override_id),
    revision: Number(r.revision),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    ...classOf(r),
  };
}

/** Remediation queries and statement builders for one tenant. */
export function createRemediationStore(db: Client, tenantId: string) {
  return {
    insertStmt(r: RemediationRecord): InStatement {
      return {
        sql: `INSERT INTO remediations (tenant_id, id, flow_id, flow_key, evaluation_id, opened_by_action, failing_metrics, failing_slices, status, owner, due_at, root_cause, notes, revision, created_at, updated_at, failure_class, playbook)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
        args: [tenantId, r.id, r.flowId, r.flowKey, r.evaluationId, r.openedByAction, JSON.stringify(r.failingMetrics), JSON.stringify(r.failingSlices), r.status, r.owner, r.dueAt, r.rootCause, r.notes, r.createdAt, r.updatedAt, r.failureClass, JSON.stringify(r.playbook)],
      };
    },
    async get(id: string): Promise<RemediationRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM remediations WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      return rs.rows[0] ? fromRow(rs.rows[0]) : null;
    },
    async list(filter: { flowId?: string; status?: string; limit: number }): Promise<RemediationRecord[]> {
      const rs = await read(db, {
        sql: `SELECT * FROM remediations WHERE tenant_id = ? AND (? IS NULL OR flow_id = ?) AND (? IS NULL OR status = ?)
              ORDER BY created_at DESC, id LIMIT ?`,
        args: [tenantId, filter.flowId ?? null, filter.flowId ?? null, filter.status ?? null, filter.status ?? null, filter.limit],
      });
      return rs.rows.map(fromRow);
    },
    /** The open (or in-progress) remediation of a flow, if any: a repeated block joins it instead of opening another. */
    async activeFor(flowId: string): Promise<RemediationRecord | null> {
      const rs = await read(db, {
        sql: "SELECT * FROM remediations WHERE tenant_id = ? AND flow_id = ? AND status IN ('open', 'in_progress') ORDER BY created_at DESC LIMIT 1",
        args: [tenantId, flowId],
      });
      return rs.rows[0] ? fromRow(rs.rows[0]) : null;
    },
    /** Writes the new state; the batch aborts unless the record is still at `r.revision`. */
    updateStmts(r: RemediationRecord, now: string): InStatement[] {
      return [
        guard("remediation_modified", "EXISTS (SELECT 1 FROM remediations WHERE tenant_id = ? AND id = ? AND revision = ?)", [tenantId, r.id, r.revision]),
        {
          sql: `UPDATE remediations SET status = ?, owner = ?, due_at = ?, root_cause = ?, notes = ?, resolving_evaluation_id = ?, override_id = ?,
                revision = revision + 1, updated_at = ? WHERE tenant_id = ? AND id = ?`,
          args: [r.status, r.owner, r.dueAt, r.rootCause, r.notes, r.resolvingEvaluationId, r.overrideId, now, tenantId, r.id],
        },
      ];
    },
  };
}
export type RemediationStore = ReturnType<typeof createRemediationStore>;
