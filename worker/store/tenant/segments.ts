/**
 * @module store/tenant/segments
 * SQL for columnar trace segments: finding what to pack, packing atomically
 * (segment + columns + marking the traces, guarded), reading segments for a
 * window, and the outcome deltas that keep late outcomes visible.
 */
import { emptyDeltaDigest } from "../../domain/delta-digest.js";
import { type Client, type InStatement, guard, read, writeBatch } from "../sql.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";
import { type SegmentMemo, summaryStmts } from "./segment-summaries.js";

/** A day's traces encoded as columns (engine/segment-codec.ts builds it): what `pack` stores. */
export interface SegmentToStore {
  day: number;
  rowCount: number;
  createdMin: number;
  createdMax: number;
  time: Uint32Array;
  selected: Uint8Array;
  outcome: Uint8Array;
  score: Float32Array;
  columns: { attribute: string; dict: string[]; codes: Uint16Array }[];
  unpackedAttributes: string[];
  /** SHA-256 of the shared columns as packed (engine/segment-summary.ts); computed later when absent. */
  contentHash?: string;
  /** Per attribute, its column's hash, or null: the segment has no column for it. */
  columnHashes?: Record<string, string | null>;
  /** Slice summaries computed at pack (the policy's slices). */
  summaries?: SegmentMemo["summaries"];
}

/** A typed array's bytes, as a BLOB argument. */
const toBlob = (a: Uint8Array | Uint16Array | Uint32Array | Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const UNPACKED_SELECT = `FROM decision_traces WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? AND segment_id IS NULL`;

/** Segment queries and packing for one tenant. */
export function createSegmentStore(db: Client, tenantId: string) {
  /** A segment with its hashes and summaries, its traces unmarked (see `pack`). */
  const insertStmts = (id: string, flowKey: string, seg: SegmentToStore, now: string): InStatement[] => [
    {
      sql: `INSERT INTO trace_segments (tenant_id, id, flow_key, day, row_count, created_min, created_max, packed_at, unpacked_attributes,
              time_col, selected_col, outcome_col, score_col) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [tenantId, id, flowKey, seg.day, seg.rowCount, seg.createdMin, seg.createdMax, now, JSON.stringify(seg.unpackedAttributes),
        toBlob(seg.time), toBlob(seg.selected), toBlob(seg.outcome), toBlob(seg.score)],
    },
    ...seg.columns.map((c) => ({
      sql: "INSERT INTO segment_columns (tenant_id, segment_id, attribute, dict, codes) VALUES (?, ?, ?, ?, ?)",
      args: [tenantId, id, c.attribute, JSON.stringify(c.dict), toBlob(c.codes)],
    })),
    {
      sql: "INSERT INTO segment_stats (tenant_id, segment_id, content_hash, column_hashes, delta_count, delta_digest) VALUES (?, ?, ?, ?, 0, ?)",
      args: [tenantId, id, seg.contentHash ?? null, JSON.stringify(seg.columnHashes ?? {}), JSON.stringify(emptyDeltaDigest())],
    },
    ...summaryStmts(tenantId, id, seg.summaries),
  ];
  return {
    /** (flow key, UTC day) pairs with unpacked traces created before `beforeMs`. */
    async packableDays(beforeMs: number): Promise<{ flowKey: string; day: number }[]> {
      const rs = await read(db, {
        sql: `SELECT DISTINCT flow_key, created_at / 86400000 AS day FROM decision_traces
              WHERE tenant_id = ? AND segment_id IS NULL AND created_at < ? ORDER BY flow_key, day`,
        args: [tenantId, beforeMs],
      });
      return rs.rows.map((r) => ({ flowKey: String(r.flow_key), day: Number(r.day) }));
    },
    /** Up to `limit` unpacked traces of one (flow, day), in seq order. */
    async unpackedRows(flowKey: string, dayStart: number, dayEnd: number, limit: number) {
      const rs = await read(db, {
        sql: `SELECT seq, created_at, attributes, ${PROTECTED_OBJECT} AS protected, selected, converted, score ${UNPACKED_SELECT} ORDER BY seq LIMIT ?`,
        args: [tenantId, flowKey, dayStart, dayEnd, limit],
      });
      return rs.rows.map((r) => ({
        seq: Number(r.seq),
        createdAt: Number(r.created_at),
        // Privacy mode: protected attributes are encoded into the segment like trace attributes (erasure unpacks the day).
        attributes: { ...(r.protected === null || r.protected === undefined ? {} : (JSON.parse(String(r.protected)) as Record<string, unknown>)), ...(JSON.parse(String(r.attributes)) as Record<string, unknown>) },
        selected: Number(r.selected),
        converted: r.converted === null ? null : Number(r.converted),
        score: r.score === null ? null : Number(r.score),
      }));
    },
    /**
     * The statements storing a segment with its hashes and summaries (no trace is marked:
     * `pack` adds that; tools that generate segments directly, bench:gate, use these alone).
     */
    insertStmts(id: string, flowKey: string, seg: SegmentToStore, now: string): InStatement[] {
      return insertStmts(id, flowKey, seg, now);
    },
    /**
     * Writes a segment and marks exactly the traces it holds, in one atomic batch.
     * The guard aborts everything unless precisely `rowCount` traces were marked
     * (e.g. a concurrent packer got there first). Outcomes recorded since
     * `snapshotIso` (while the rows were being encoded) become deltas.
     */
    async pack(id: string, flowKey: string, seg: SegmentToStore, dayStart: number, dayEnd: number, maxSeq: number, snapshotIso: string, now: string): Promise<void> {
      const stmts: InStatement[] = [
        ...insertStmts(id, flowKey, seg, now),
        {
          sql: `UPDATE decision_traces SET segment_id = ?, segment_pos = p.pos
                FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS pos ${UNPACKED_SELECT} AND seq <= ? ORDER BY seq LIMIT ?) AS p
                WHERE decision_traces.seq = p.seq`,
          args: [id, tenantId, flowKey, dayStart, dayEnd, maxSeq, seg.rowCount],
        },
        guard("segment_pack_conflict", "(SELECT count(*) FROM decision_traces WHERE segment_id = ?) = ?", [id, seg.rowCount]),
        {
          sql: `INSERT OR REPLACE INTO segment_outcome_deltas (tenant_id, segment_id, pos, outcome)
                SELECT tenant_id, segment_id, segment_pos, converted FROM decision_traces
                WHERE segment_id = ? AND converted IS NOT NULL AND outcome_at >= ?`,
          args: [id, snapshotIso],
        },
        // Outcomes that arrived while the rows were encoded may or may not be in the encoded
        // column: the summaries and delta digest computed from it are then dropped (recomputed,
        // with the deltas, by the first read). Normally there are none and this changes nothing.
        {
          sql: `UPDATE segment_stats SET delta_count = (SELECT count(*) FROM segment_outcome_deltas WHERE segment_id = ?), delta_digest = NULL
                WHERE segment_id = ? AND EXISTS (SELECT 1 FROM segment_outcome_deltas WHERE segment_id = ?)`,
          args: [id, id, id],
        },
        { sql: "DELETE FROM segment_summaries WHERE segment_id = ? AND EXISTS (SELECT 1 FROM segment_outcome_deltas WHERE segment_id = ?)", args: [id, id] },
      ];
      await writeBatch(db, stmts, "segment_pack_conflict");
    },
  };
}
export type SegmentStore = ReturnType<typeof createSegmentStore>;
