/**
 * @module store/tenant/evidence
 * Evidence a regulator reads: stored evaluations, the append-only audit log
 * (UPDATE/DELETE refused by triggers) and recheck run markers.
 */
import type { Evaluation } from "../../domain/evaluation.js";
import { type Client, type InStatement, json, read } from "../sql.js";

/** What a state change records. */
export interface AuditEntry {
  entityType: string;
  entityId: string;
  action: string;
  actor: string;
  reason?: string | null;
  before?: unknown;
  after?: unknown;
  violations?: string[] | null;
  details?: unknown;
}

export interface AuditRow extends Required<Omit<AuditEntry, "violations">> {
  id: string;
  seq: number;
  violations: string[] | null;
  createdAt: string;
}

const nullableJson = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** Evidence queries and statement builders for one tenant. */
export function createEvidenceStore(db: Client, tenantId: string) {
  return {
    auditStmt(id: string, e: AuditEntry, now: string): InStatement {
      return {
        sql: `INSERT INTO audit_log (id, tenant_id, entity_type, entity_id, action, actor, reason, before, after, violations, details, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [
          id,
          tenantId,
          e.entityType,
          e.entityId,
          e.action,
          e.actor,
          e.reason ?? null,
          nullableJson(e.before),
          nullableJson(e.after),
          nullableJson(e.violations),
          nullableJson(e.details),
          now,
        ],
      };
    },
    /** Audit rows in append order, after the `afterSeq` cursor. */
    async listAudit(filter: { entityType?: string; entityId?: string; afterSeq?: number; limit: number }): Promise<AuditRow[]> {
      const rs = await read(db, {
        sql: `SELECT * FROM audit_log WHERE tenant_id = ? AND (? IS NULL OR entity_type = ?) AND (? IS NULL OR entity_id = ?) AND seq > ?
              ORDER BY seq LIMIT ?`,
        args: [
          tenantId,
          filter.entityType ?? null,
          filter.entityType ?? null,
          filter.entityId ?? null,
          filter.entityId ?? null,
          filter.afterSeq ?? 0,
          filter.limit,
        ],
      });
      return rs.rows.map((r) => ({
        seq: Number(r.seq),
        id: String(r.id),
        entityType: String(r.entity_type),
        entityId: String(r.entity_id),
        action: String(r.action),
        actor: String(r.actor),
        reason: r.reason === null ? null : String(r.reason),
        before: json(r.before),
        after: json(r.after),
        violations: json<string[]>(r.violations),
        details: json(r.details),
        createdAt: String(r.created_at),
      }));
    },
    evaluationStmt(e: Evaluation): InStatement {
      return {
        sql: `INSERT INTO fairness_evaluations (tenant_id, id, flow_id, flow_key, version, trigger, verdict, body, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        args: [tenantId, e.id, e.flowId, e.flowKey, e.version, e.trigger, e.verdict, JSON.stringify(e), e.createdAt],
      };
    },
    async getEvaluation(id: string): Promise<Evaluation | null> {
      const rs = await read(db, { sql: "SELECT body FROM fairness_evaluations WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      return rs.rows[0] ? json<Evaluation>(rs.rows[0].body) : null;
    },
    async listEvaluations(filter: { flowId?: string; limit: number }): Promise<Evaluation[]> {
      const rs = await read(db, {
        sql: `SELECT body FROM fairness_evaluations WHERE tenant_id = ? AND (? IS NULL OR flow_id = ?) ORDER BY created_at DESC, id LIMIT ?`,
        args: [tenantId, filter.flowId ?? null, filter.flowId ?? null, filter.limit],
      });
      return rs.rows.map((r) => json<Evaluation>(r.body)!);
    },
    async getRecheckRun(runKey: string): Promise<unknown | null> {
      const rs = await read(db, { sql: "SELECT summary FROM recheck_runs WHERE tenant_id = ? AND run_key = ?", args: [tenantId, runKey] });
      return rs.rows[0] ? json(rs.rows[0].summary) : null;
    },
    recheckRunStmt(runKey: string, summary: unknown, now: string): InStatement {
      return {
        sql: "INSERT INTO recheck_runs (tenant_id, run_key, completed_at, summary) VALUES (?, ?, ?, ?)",
        args: [tenantId, runKey, now, JSON.stringify(summary)],
      };
    },
  };
}
export type EvidenceStore = ReturnType<typeof createEvidenceStore>;
