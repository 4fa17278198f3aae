/**
 * @module store/tenant/retention
 * Trace retention: what a deletion of the traces decided before a cutoff would
 * remove (per flow), which stored dataset hashes those traces contributed to, and
 * the DELETE statements — traces, and the packed segments (with their columns and
 * outcome deltas) of the UTC days before the cutoff. Evaluations and audit rows are
 * never touched (their tables refuse DELETE by trigger anyway). The cutoff must be
 * a UTC midnight, so every segment (one UTC day) is wholly before or after it.
 */
import { type Client, type InStatement, read } from "../sql.js";
import { bumpForSegmentsStmt } from "./packing-generation.js";

const DAY = 86_400_000;
/**
 * A protected-attributes row (alias p) whose person has no trace from the cutoff on, and that was not
 * written since the cutoff (recommend writes it just before its trace; a fresh row is never taken).
 * Evaluated in the delete batch after the traces are gone, it is exactly "no trace left".
 */
const ORPHANED = `p.tenant_id = ? AND p.updated_at < ?
  AND NOT EXISTS (SELECT 1 FROM decision_traces d WHERE d.tenant_id = p.tenant_id AND d.customer_key = p.customer_key AND d.created_at >= ?)`;
/** Dataset hashes listed in one retention audit row at most (the count is always exact). */
export const MAX_LISTED_HASHES = 1000;

export interface RetentionPlan {
  cutoffMs: number;
  traces: number;
  byFlow: { flowKey: string; traces: number; oldest: number }[];
  segments: number;
  /** Privacy mode: people whose protected attributes no trace will reference any more (not updated since the cutoff). */
  protectedPeople: number;
  /** Dataset hashes of evaluations whose window reached before the cutoff on an affected flow. */
  datasetHashes: string[];
  datasetHashCount: number;
}

/** Retention reads and deletes for one tenant. */
export function createRetentionStore(db: Client, tenantId: string) {
  const segmentsBefore = "SELECT id FROM trace_segments WHERE tenant_id = ? AND day < ?";
  return {
    async plan(cutoffMs: number): Promise<RetentionPlan> {
      if (cutoffMs % DAY !== 0) throw new Error("retention cutoff must be a UTC midnight");
      const flows = await read(db, {
        sql: `SELECT flow_key, COUNT(*) AS n, MIN(created_at) AS oldest FROM decision_traces WHERE tenant_id = ? AND created_at < ? GROUP BY flow_key ORDER BY flow_key`,
        args: [tenantId, cutoffMs],
      });
      const byFlow = flows.rows.map((r) => ({ flowKey: String(r.flow_key), traces: Number(r.n), oldest: Number(r.oldest) }));
      const seg = await read(db, { sql: `SELECT COUNT(*) AS n FROM trace_segments WHERE tenant_id = ? AND day < ?`, args: [tenantId, cutoffMs / DAY] });
      const orphans = await read(db, { sql: `SELECT COUNT(*) AS n FROM protected_attributes p WHERE ${ORPHANED}`, args: [tenantId, new Date(cutoffMs).toISOString(), cutoffMs] });
      const hashes: string[] = [];
      let hashCount = 0;
      for (const f of byFlow) {
        // Windows that overlap [oldest deleted trace, cutoff): they counted some of these traces.
        const rs = await read(db, {
          sql: `SELECT DISTINCT dataset_hash FROM fairness_evaluations
                WHERE tenant_id = ? AND flow_key = ? AND dataset_hash IS NOT NULL
                  AND json_extract(body, '$.window.from') < ? AND json_extract(body, '$.window.to') > ?
                ORDER BY dataset_hash`,
          args: [tenantId, f.flowKey, new Date(cutoffMs).toISOString(), new Date(f.oldest).toISOString()],
        });
        hashCount += rs.rows.length;
        for (const r of rs.rows) if (hashes.length < MAX_LISTED_HASHES) hashes.push(String(r.dataset_hash));
      }
      return {
        cutoffMs,
        traces: byFlow.reduce((s, f) => s + f.traces, 0),
        byFlow,
        segments: Number(seg.rows[0]?.n ?? 0),
        protectedPeople: Number(orphans.rows[0]?.n ?? 0),
        datasetHashes: hashes,
        datasetHashCount: hashCount,
      };
    },
    /** The deletes for `cutoffMs` (commit them in one batch with their audit row). */
    deleteStmts(cutoffMs: number): InStatement[] {
      const day = cutoffMs / DAY;
      return [
        bumpForSegmentsStmt(tenantId, segmentsBefore, [tenantId, day]),
        { sql: `DELETE FROM segment_outcome_deltas WHERE tenant_id = ? AND segment_id IN (${segmentsBefore})`, args: [tenantId, tenantId, day] },
        { sql: `DELETE FROM segment_columns WHERE tenant_id = ? AND segment_id IN (${segmentsBefore})`, args: [tenantId, tenantId, day] },
        { sql: `DELETE FROM segment_summaries WHERE tenant_id = ? AND segment_id IN (${segmentsBefore})`, args: [tenantId, tenantId, day] },
        { sql: `DELETE FROM segment_stats WHERE tenant_id = ? AND segment_id IN (${segmentsBefore})`, args: [tenantId, tenantId, day] },
        { sql: `DELETE FROM decision_traces WHERE tenant_id = ? AND created_at < ?`, args: [tenantId, cutoffMs] },
        { sql: `DELETE FROM trace_segments WHERE tenant_id = ? AND day < ?`, args: [tenantId, day] },
        // Privacy mode: protected attributes of people left without traces go with them (data minimisation).
        { sql: `DELETE FROM protected_attributes AS p WHERE ${ORPHANED}`, args: [tenantId, new Date(cutoffMs).toISOString(), cutoffMs] },
      ];
    },
  };
}
