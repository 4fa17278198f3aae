/**
 * @module store/tenant/traces
 * Decision traces (one row per decision) and their outcomes, plus the row-path
 * window reader that feeds the metric kernels in bounded pages.
 */
import type { Attributes } from "../../domain/flow.js";
import { type Client, type InStatement, read, writeBatch } from "../sql.js";
import { createWindowReads } from "./window-reads.js";

export interface TraceRecord {
  id: string;
  flowKey: string;
  version: number;
  customerId: string;
  attributes: Attributes;
  selected: boolean;
  score: number | null;
  offers: { id: string; propensity: number }[] | null;
  converted: boolean | null;
  source: "recommend" | "bulk";
  /** Decision time, epoch milliseconds. */
  createdAt: number;
}

/** One page of the window, already projected to what the kernels need. */
export interface WindowRow {
  seq: number;
  createdAt: number;
  /** JSON text of the sensitive attribute value. */
  group: string;
  selected: number;
  converted: number | null;
}

const COLS = "(tenant_id, id, flow_key, version, customer_id, attributes, selected, score, offers, converted, source, created_at)";
const ROW_PARAMS = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// 12 parameters a row; 400 rows stays well under SQLite's bound-parameter limit.
const ROWS_PER_INSERT = 400;

function windowRowFrom(r: Record<string, unknown>): WindowRow {
  return {
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    group: String(r.g),
    selected: Number(r.selected),
    converted: r.converted === null ? null : Number(r.converted),
  };
}

/** JSON path for a validated identifier attribute name. */
export function attributePath(name: string): string {
  return `$."${name}"`;
}

/** Trace queries and writes for one tenant. */
export function createTraceStore(db: Client, tenantId: string) {
  const args = (t: TraceRecord) => [
    tenantId,
    t.id,
    t.flowKey,
    t.version,
    t.customerId,
    JSON.stringify(t.attributes),
    t.selected ? 1 : 0,
    t.score,
    t.offers ? JSON.stringify(t.offers) : null,
    t.converted === null ? null : t.converted ? 1 : 0,
    t.source,
    t.createdAt,
  ];
  return {
    // Multi-attribute window pages, segment columns and the seeded sample (window-reads.ts).
    ...createWindowReads(db, tenantId),
    /** Multi-row INSERT statements for `traces` (commit them in one batch). */
    insertStmts(traces: TraceRecord[]): InStatement[] {
      const out: InStatement[] = [];
      for (let i = 0; i < traces.length; i += ROWS_PER_INSERT) {
        const chunk = traces.slice(i, i + ROWS_PER_INSERT);
        out.push({
          sql: `INSERT INTO decision_traces ${COLS} VALUES ${chunk.map(() => ROW_PARAMS).join(", ")}`,
          args: chunk.flatMap(args),
        });
      }
      return out;
    },
    async insert(traces: TraceRecord[]): Promise<void> {
      if (traces.length) await writeBatch(db, this.insertStmts(traces));
    },
    async get(id: string): Promise<{ id: string; converted: boolean | null } | null> {
      const rs = await read(db, { sql: "SELECT id, converted FROM decision_traces WHERE tenant_id = ? AND id = ?", args: [tenantId, id] });
      const r = rs.rows[0];
      if (!r) return null;
      return { id: String(r.id), converted: r.converted === null ? null : Number(r.converted) === 1 };
    },
    /**
     * Records an outcome once. Returns "recorded", "unchanged" (same outcome
     * already there), "conflict" (a different one is) or "not_found".
     */
    async recordOutcome(id: string, converted: boolean, at: string): Promise<"recorded" | "unchanged" | "conflict" | "not_found"> {
      const [upd] = await writeBatch(db, [
        {
          sql: "UPDATE decision_traces SET converted = ?, outcome_at = ? WHERE tenant_id = ? AND id = ? AND converted IS NULL",
          args: [converted ? 1 : 0, at, tenantId, id],
        },
        // A packed trace's outcome also becomes a delta the columnar reader merges, in the same commit.
        {
          sql: `INSERT OR REPLACE INTO segment_outcome_deltas (tenant_id, segment_id, pos, outcome)
                SELECT tenant_id, segment_id, segment_pos, converted FROM decision_traces
                WHERE tenant_id = ? AND id = ? AND segment_id IS NOT NULL AND converted IS NOT NULL`,
          args: [tenantId, id],
        },
      ]);
      if (upd && upd.rowsAffected === 1) return "recorded";
      const cur = await this.get(id);
      if (!cur) return "not_found";
      return cur.converted === converted ? "unchanged" : "conflict";
    },
    /**
     * One page of the window [fromMs, toMs) for `flowKey`, ordered by (created_at, seq),
     * starting after the given position. Only traces carrying `attribute` (not null or "") are returned;
     * `group` is the attribute's JSON text (typed, so "1", 1 and true stay distinct).
     * With `unpackedOnly`, traces already packed into segments are skipped (the tail).
     */
    async readWindowPage(
      flowKey: string,
      attribute: string,
      fromMs: number,
      toMs: number,
      after: { createdAt: number; seq: number } | null,
      limit: number,
      unpackedOnly = false,
    ): Promise<WindowRow[]> {
      const path = attributePath(attribute);
      const rs = await read(db, {
        // The literal `segment_id IS NULL` lets SQLite use the partial index of unpacked traces.
        sql: `SELECT seq, created_at, attributes -> ? AS g, selected, converted
              FROM decision_traces
              WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? ${unpackedOnly ? "AND segment_id IS NULL" : ""}
                AND (created_at, seq) > (?, ?)
                AND attributes -> ? NOT IN ('null', '""')
              ORDER BY created_at, seq LIMIT ?`,
        args: [path, tenantId, flowKey, fromMs, toMs, after?.createdAt ?? -1, after?.seq ?? -1, path, limit],
      });
      return rs.rows.map(windowRowFrom);
    },
    /** Every trace of one segment, in segment order (fallback when an attribute was not packed). */
    async segmentRows(segmentId: string, attribute: string): Promise<WindowRow[]> {
      const path = attributePath(attribute);
      const rs = await read(db, {
        sql: `SELECT seq, created_at, attributes -> ? AS g, selected, converted FROM decision_traces
              WHERE tenant_id = ? AND segment_id = ? AND attributes -> ? NOT IN ('null', '""') ORDER BY segment_pos`,
        args: [path, tenantId, segmentId, path],
      });
      return rs.rows.map(windowRowFrom);
    },
  };
}
export type TraceStore = ReturnType<typeof createTraceStore>;
