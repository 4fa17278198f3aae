/**
 * @module store/tenant/protected-attributes
 * Privacy mode storage (migration 0009): the tenant's pseudonymisation secret,
 * the per-person protected attributes keyed by customer key, and erasure. Erasing
 * a person also returns every packed segment of the (flow, UTC day)s holding their
 * traces to the unpacked tail (segments carry attribute codes; the next pack run
 * re-encodes those days without the erased values), so later evaluations no longer
 * count the person by any read path. Stored evaluations keep their aggregates.
 */
import { bumpForSegmentsStmt } from "./packing-generation.js";
import { type Client, type InStatement, read, writeBatch } from "../sql.js";

/** The SQL expression of a trace's protected attribute `?` (a JSON path argument) as JSON text, or NULL. */
export const PROTECTED_VALUE = `(SELECT p.attributes -> ? FROM protected_attributes p WHERE p.tenant_id = decision_traces.tenant_id AND p.customer_key = decision_traces.customer_key)`;
/** The SQL expression of a trace's protected attributes as a JSON object text, or NULL. */
export const PROTECTED_OBJECT = `(SELECT p.attributes FROM protected_attributes p WHERE p.tenant_id = decision_traces.tenant_id AND p.customer_key = decision_traces.customer_key)`;

/** Protected-attribute queries and statements for one tenant. */
export function createProtectedAttributeStore(db: Client, tenantId: string) {
  return {
    /** The tenant's secret, created (random, 32 bytes hex) on first use; concurrent creators agree on the first. */
    async secret(nowIso: string): Promise<string> {
      const existing = await read(db, { sql: "SELECT secret FROM privacy_secrets WHERE tenant_id = ?", args: [tenantId] });
      if (existing.rows[0]) return String(existing.rows[0].secret);
      const fresh = [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("");
      await writeBatch(db, [{ sql: "INSERT OR IGNORE INTO privacy_secrets (tenant_id, secret, created_at) VALUES (?, ?, ?)", args: [tenantId, fresh, nowIso] }]);
      const rs = await read(db, { sql: "SELECT secret FROM privacy_secrets WHERE tenant_id = ?", args: [tenantId] });
      return String(rs.rows[0]!.secret);
    },
    /** Upserts: the latest value of each attribute wins (json_patch merges objects; a null value removes it). */
    upsertStmts(rows: { customerKey: string; attributes: Record<string, unknown> }[], nowIso: string): InStatement[] {
      return rows.map((r) => ({
        sql: `INSERT INTO protected_attributes (tenant_id, customer_key, attributes, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (tenant_id, customer_key) DO UPDATE SET attributes = json_patch(attributes, excluded.attributes), updated_at = excluded.updated_at`,
        args: [tenantId, r.customerKey, JSON.stringify(r.attributes), nowIso],
      }));
    },
    async upsert(rows: { customerKey: string; attributes: Record<string, unknown> }[], nowIso: string): Promise<void> {
      if (rows.length) await writeBatch(db, this.upsertStmts(rows, nowIso));
    },
    /** Whether a person has protected attributes stored, and how many traces carry their key. */
    async describe(customerKey: string): Promise<{ stored: boolean; traces: number; segments: number }> {
      const p = await read(db, { sql: "SELECT 1 FROM protected_attributes WHERE tenant_id = ? AND customer_key = ?", args: [tenantId, customerKey] });
      const t = await read(db, {
        sql: `SELECT COUNT(*) AS n, COUNT(DISTINCT segment_id) AS s FROM decision_traces WHERE tenant_id = ? AND customer_key = ?`,
        args: [tenantId, customerKey],
      });
      return { stored: p.rows.length > 0, traces: Number(t.rows[0]?.n ?? 0), segments: Number(t.rows[0]?.s ?? 0) };
    },
    /**
     * Erasure statements: the person's row, and every segment of the (flow, day)s holding
     * their packed traces — columns, deltas (their outcomes are on the trace rows too) and the
     * segment — with those traces marked unpacked again. Whole days, so a day never mixes
     * segments and an unpacked middle (the dataset hash's (day, seq) order stays the reader's).
     */
    eraseStmts(customerKey: string): InStatement[] {
      const days = `SELECT s.id FROM trace_segments s WHERE s.tenant_id = ? AND EXISTS (
                      SELECT 1 FROM trace_segments k JOIN decision_traces d ON d.segment_id = k.id
                      WHERE d.tenant_id = ? AND d.customer_key = ? AND k.flow_key = s.flow_key AND k.day = s.day)`;
      const a = [tenantId, tenantId, customerKey];
      return [
        { sql: "DELETE FROM protected_attributes WHERE tenant_id = ? AND customer_key = ?", args: [tenantId, customerKey] },
        bumpForSegmentsStmt(tenantId, days, a),
        { sql: `DELETE FROM segment_outcome_deltas WHERE tenant_id = ? AND segment_id IN (${days})`, args: [tenantId, ...a] },
        { sql: `DELETE FROM segment_columns WHERE tenant_id = ? AND segment_id IN (${days})`, args: [tenantId, ...a] },
        { sql: `DELETE FROM segment_summaries WHERE tenant_id = ? AND segment_id IN (${days})`, args: [tenantId, ...a] },
        { sql: `DELETE FROM segment_stats WHERE tenant_id = ? AND segment_id IN (${days})`, args: [tenantId, ...a] },
        // The IN list is computed before the UPDATE changes any row.
        { sql: `UPDATE decision_traces SET segment_id = NULL, segment_pos = NULL WHERE tenant_id = ? AND segment_id IN (${days})`, args: [tenantId, ...a] },
        // Those segments now hold no trace; a segment always holds its traces otherwise (pack marks exactly row_count).
        { sql: `DELETE FROM trace_segments WHERE tenant_id = ? AND NOT EXISTS (SELECT 1 FROM decision_traces d WHERE d.segment_id = trace_segments.id)`, args: [tenantId] },
      ];
    },
  };
}
