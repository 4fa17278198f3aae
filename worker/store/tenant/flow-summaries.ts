/**
 * @module store/tenant/flow-summaries
 * Overview reads for the console: each flow's latest evaluation (verdict and time)
 * in one statement, so a list of hundreds of flows costs one query, not one per flow,
 * and parses no evaluation bodies; an entity's newest audit rows.
 */
import { type Client, read } from "../sql.js";
import { type AuditRow, auditRowFrom } from "./evidence.js";

export interface LatestVerdict {
  evaluationId: string;
  verdict: string;
  trigger: string;
  createdAt: string;
}

export function createFlowSummaryReads(db: Client, tenantId: string) {
  return {
    /** Flow id → its most recent evaluation (latest created_at). */
    async latestVerdicts(): Promise<Map<string, LatestVerdict>> {
      const rs = await read(db, {
        // SQLite's documented bare-column rule: with one MAX() aggregate, the other columns come from the row holding the max.
        sql: `SELECT flow_id, id, verdict, trigger, MAX(created_at) AS created_at FROM fairness_evaluations
              WHERE tenant_id = ? AND flow_id IS NOT NULL GROUP BY flow_id`,
        args: [tenantId],
      });
      const out = new Map<string, LatestVerdict>();
      for (const r of rs.rows) {
        const flowId = String(r.flow_id);
        out.set(flowId, { evaluationId: String(r.id), verdict: String(r.verdict), trigger: String(r.trigger), createdAt: String(r.created_at) });
      }
      return out;
    },
    /** The newest `limit` audit rows of one entity, newest first (the audit_log_entity index, read backwards). */
    async latestAudit(entityType: string, entityId: string, limit: number): Promise<AuditRow[]> {
      const rs = await read(db, {
        sql: "SELECT * FROM audit_log WHERE tenant_id = ? AND entity_type = ? AND entity_id = ? ORDER BY seq DESC LIMIT ?",
        args: [tenantId, entityType, entityId, limit],
      });
      return rs.rows.map(auditRowFrom);
    },
  };
}
export type FlowSummaryReads = ReturnType<typeof createFlowSummaryReads>;
