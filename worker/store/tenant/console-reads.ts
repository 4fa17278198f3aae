/**
 * @module store/tenant/console-reads
 * Paged list reads for the console's Evaluations, Audit log and Remediations screens. Each page is
 * one keyset query (newest first, "older than this row" as the cursor), so the cost
 * of a page does not grow with the tenant's history, and no row outside the page has
 * its JSON body parsed: evaluation bodies are only touched for the page's own rows,
 * and audit rows are listed without their before/after documents.
 */
import { type Client, json, read } from "../sql.js";

/** An evaluation as a list shows it: the indexed columns plus a few fields of its body. */
export interface EvaluationListRow {
  id: string;
  flowId: string | null;
  flowKey: string | null;
  version: number | null;
  trigger: string;
  verdict: string;
  createdAt: string;
  sampleSize: number | null;
  violations: string[];
  approvedBy: string | null;
}

/** An audit row as the log lists it (before/after/details are left to the API and the export). */
export interface AuditListRow {
  seq: number;
  id: string;
  entityType: string;
  entityId: string;
  action: string;
  actor: string;
  reason: string | null;
  violations: string[] | null;
  createdAt: string;
}

/** A remediation as the list shows it (what failed, the playbook and notes are left to its own page). */
export interface RemediationListRow {
  id: string;
  flowId: string;
  flowKey: string | null;
  openedByAction: string;
  failureClass: string | null;
  status: string;
  owner: string | null;
  dueAt: string | null;
  createdAt: string;
}

export interface RemediationPageFilter {
  status?: string;
  /** Rows strictly older than this one (its created_at and id), newest first. */
  before?: { createdAt: string; id: string };
  limit: number;
}

export interface EvaluationPageFilter {
  flowId?: string;
  verdict?: string;
  /** Rows strictly older than this one (its created_at and id), newest first. */
  before?: { createdAt: string; id: string };
  limit: number;
}

export interface AuditPageFilter {
  entityType?: string;
  action?: string;
  actor?: string;
  /** created_at >= from (ISO). */
  from?: string;
  /** created_at < to (ISO). */
  to?: string;
  /** Rows with a smaller seq (older), newest first. */
  beforeSeq?: number;
  limit: number;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function createConsoleReads(db: Client, tenantId: string) {
  return {
    /** One page of evaluations, newest first; `limit + 1` rows are read so the caller knows whether more follow. */
    async evaluationPage(f: EvaluationPageFilter): Promise<EvaluationListRow[]> {
      const b = f.before ?? null;
      // The page's ids first (no body in the sort), then only those bodies' few fields.
      const rs = await read(db, {
        sql: `WITH page AS (
                SELECT id FROM fairness_evaluations
                WHERE tenant_id = ? AND (? IS NULL OR flow_id = ?) AND (? IS NULL OR verdict = ?)
                  AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?))
                ORDER BY created_at DESC, id DESC LIMIT ?)
              SELECT e.id, e.flow_id, e.flow_key, e.version, e.trigger, e.verdict, e.created_at,
                     e.body ->> '$.sampleSize' AS sample_size, e.body -> '$.violations' AS violations, e.body ->> '$.approvedBy' AS approved_by
              FROM page JOIN fairness_evaluations e ON e.id = page.id
              ORDER BY e.created_at DESC, e.id DESC`,
        args: [tenantId, f.flowId ?? null, f.flowId ?? null, f.verdict ?? null, f.verdict ?? null, b?.createdAt ?? null, b?.createdAt ?? null, b?.createdAt ?? null, b?.id ?? null, f.limit],
      });
      return rs.rows.map((r) => ({
        id: String(r.id),
        flowId: str(r.flow_id),
        flowKey: str(r.flow_key),
        version: r.version === null || r.version === undefined ? null : Number(r.version),
        trigger: String(r.trigger),
        verdict: String(r.verdict),
        createdAt: String(r.created_at),
        sampleSize: r.sample_size === null || r.sample_size === undefined ? null : Number(r.sample_size),
        violations: json<string[]>(r.violations) ?? [],
        approvedBy: str(r.approved_by),
      }));
    },
    /**
     * One page of audit rows, newest first. Only the filters given become conditions (a
     * `? IS NULL OR col = ?` term would keep SQLite from any index): unfiltered or by date,
     * the seq primary key is read backwards; by action or actor, that column's index in seq
     * order (audit_log_action, audit_log_actor, migration 0013); by entity type, audit_log_entity.
     */
    async auditPage(f: AuditPageFilter): Promise<AuditListRow[]> {
      // Without a column filter, `+tenant_id` keeps the planner off the tenant_id-led indexes (each would
      // mean sorting the whole log): the primary key is walked backwards and the walk stops at the page.
      const byColumn = f.entityType !== undefined || f.action !== undefined || f.actor !== undefined;
      const where = [byColumn ? "tenant_id = ?" : "+tenant_id = ?"];
      const args: (string | number)[] = [tenantId];
      const add = (cond: string, v: string | number | undefined) => {
        if (v === undefined) return;
        where.push(cond);
        args.push(v);
      };
      add("entity_type = ?", f.entityType);
      add("action = ?", f.action);
      add("actor = ?", f.actor);
      add("created_at >= ?", f.from);
      add("created_at < ?", f.to);
      add("seq < ?", f.beforeSeq);
      const rs = await read(db, {
        sql: `SELECT seq, id, entity_type, entity_id, action, actor, reason, violations, created_at FROM audit_log
              WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
        args: [...args, f.limit],
      });
      return rs.rows.map((r) => ({
        seq: Number(r.seq),
        id: String(r.id),
        entityType: String(r.entity_type),
        entityId: String(r.entity_id),
        action: String(r.action),
        actor: String(r.actor),
        reason: str(r.reason),
        violations: json<string[]>(r.violations),
        createdAt: String(r.created_at),
      }));
    },
    /** One page of remediations, newest first, by the same (created_at, id) keyset as the evaluations. */
    async remediationPage(f: RemediationPageFilter): Promise<RemediationListRow[]> {
      const b = f.before ?? null;
      const rs = await read(db, {
        sql: `SELECT id, flow_id, flow_key, opened_by_action, failure_class, status, owner, due_at, created_at FROM remediations
              WHERE tenant_id = ? AND (? IS NULL OR status = ?) AND (? IS NULL OR created_at < ? OR (created_at = ? AND id < ?))
              ORDER BY created_at DESC, id DESC LIMIT ?`,
        args: [tenantId, f.status ?? null, f.status ?? null, b?.createdAt ?? null, b?.createdAt ?? null, b?.createdAt ?? null, b?.id ?? null, f.limit],
      });
      return rs.rows.map((r) => ({
        id: String(r.id),
        flowId: String(r.flow_id),
        flowKey: str(r.flow_key),
        openedByAction: String(r.opened_by_action),
        failureClass: str(r.failure_class),
        status: String(r.status),
        owner: str(r.owner),
        dueAt: str(r.due_at),
        createdAt: String(r.created_at),
      }));
    },
    /** The entity types, actions and actors the tenant's log holds (the filter's choices), each sorted. */
    async auditFacets(): Promise<{ entityTypes: string[]; actions: string[]; actors: string[] }> {
      const distinct = (col: "entity_type" | "action" | "actor") => read(db, { sql: `SELECT DISTINCT ${col} AS v FROM audit_log WHERE tenant_id = ? ORDER BY 1 LIMIT 500`, args: [tenantId] });
      const [types, actions, actors] = await Promise.all([distinct("entity_type"), distinct("action"), distinct("actor")]);
      const values = (rs: Awaited<ReturnType<typeof read>>) => rs.rows.map((r) => String(r.v));
      return { entityTypes: values(types), actions: values(actions), actors: values(actors) };
    },
  };
}
export type ConsoleReads = ReturnType<typeof createConsoleReads>;
