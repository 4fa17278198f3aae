/**
 * @module store/tenant/drift-reads
 * The recorded requests of a flow's window for the drift comparison
 * (services/drift.ts): the request attributes as stored on each trace, at most
 * `limit` traces per window. Over the cap the window is sampled with the same
 * seeded systematic key as the evaluation's request sample (window-reads.ts,
 * Fibonacci hashing of seq), so the sample covers the window evenly and the same
 * window always gives the same sample; memory stays bounded by the cap.
 *
 * `checkedOn` reads the audit log for the daily drift check's stored result of a day.
 *
 * Only the trace's own attributes are read: in privacy mode the protected
 * attributes are not on the trace and are not part of the drift comparison.
 */
import type { Attributes } from "../../domain/flow.js";
import { type Client, read } from "../sql.js";

const SAMPLE_KEY = "(((seq & 2147483647) * 2654435769 + ?) & 4294967295)";

/** Drift reads of one tenant. */
export function createDriftReads(db: Client, tenantId: string) {
  return {
    /** Traces of the flow in [fromMs, toMs): how many there are. */
    async countWindow(flowKey: string, fromMs: number, toMs: number): Promise<number> {
      const rs = await read(db, {
        sql: "SELECT COUNT(*) AS n FROM decision_traces WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ?",
        args: [tenantId, flowKey, fromMs, toMs],
      });
      return Number(rs.rows[0]?.n ?? 0);
    },
    /**
     * The request attributes of up to `limit` traces of [fromMs, toMs): all of them when the
     * window holds no more, else the seeded sample (the traces with the smallest sample keys).
     */
    async windowAttributes(flowKey: string, fromMs: number, toMs: number, limit: number, seed: number): Promise<Attributes[]> {
      if (limit <= 0) return [];
      const rs = await read(db, {
        sql: `WITH h AS (SELECT seq, ${SAMPLE_KEY} AS h FROM decision_traces
                         WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? ORDER BY h, seq LIMIT ?)
              SELECT t.attributes FROM h JOIN decision_traces t ON t.seq = h.seq ORDER BY h.h, h.seq`,
        args: [seed >>> 0, tenantId, flowKey, fromMs, toMs, limit],
      });
      return rs.rows.map((r) => JSON.parse(String(r.attributes)) as Attributes);
    },
    /** Whether the daily drift check already stored its result for the flow under `runKey` (its UTC day). */
    async checkedOn(flowId: string, runKey: string): Promise<boolean> {
      const rs = await read(db, {
        sql: `SELECT 1 FROM audit_log WHERE tenant_id = ? AND entity_type = 'drift_check' AND entity_id = ? AND json_extract(details, '$.runKey') = ? LIMIT 1`,
        args: [tenantId, flowId, runKey],
      });
      return rs.rows.length > 0;
    },
  };
}
export type DriftReads = ReturnType<typeof createDriftReads>;
