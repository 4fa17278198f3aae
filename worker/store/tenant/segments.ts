/**
 * @module store/tenant/segments
 * SQL for columnar trace segments: finding what to pack, packing atomically
 * (segment + columns + marking the traces, guarded), reading segments for a
 * window, and the outcome deltas that keep late outcomes visible.
 */
import { emptyDeltaDigest } from "../../domain/delta-digest.js";
import { type Client, type InStatement, guard, read, writeBatch } from "../sql.js";
import { PACK_ROW, packRowOf, type SegmentToStore } from "./pack-rows.js";
import { PROTECTED_OBJECT } from "./protected-attributes.js";
import { bumpStmt } from "./packing-generation.js";
import { createSegmentMerge } from "./segment-merge.js";
import { summaryStmts } from "./segment-summaries.js";

export type { SegmentToStore } from "./pack-rows.js";

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
  /**
   * What a batch giving traces to the new segment `id` carries after marking them: its guards —
   * exactly `rowCount` traces marked; as many of them still with protected attributes as were
   * encoded (an erasure that committed since the rows were read found them elsewhere, so only
   * this keeps its values out; undefined: none was encoded, no per-row lookup); no outcome
   * stamped before the snapshot recorded since the rows were read (it is in no encoded column
   * and would not become a delta) — then, closing it, the flow's generation bump and the
   * outcomes recorded since `snapshotIso` as deltas (the summaries and delta digest computed
   * without them are dropped, recomputed by the first read; normally there are none).
   */
  const sealStmts = (id: string, flowKey: string, rowCount: number, snapshotIso: string, protectedRows?: number, settledOutcomes?: number) => ({
    guards: [
      guard("segment_pack_conflict", "(SELECT count(*) FROM decision_traces WHERE segment_id = ?) = ?", [id, rowCount]),
      ...(protectedRows === undefined ? [] : [guard("segment_pack_conflict", `(SELECT count(*) FROM decision_traces WHERE segment_id = ? AND ${PROTECTED_OBJECT} IS NOT NULL) = ?`, [id, protectedRows])]),
      ...(settledOutcomes === undefined ? [] : [guard("segment_pack_conflict", "(SELECT count(*) FROM decision_traces WHERE segment_id = ? AND converted IS NOT NULL AND (outcome_at IS NULL OR outcome_at < ?)) = ?", [id, snapshotIso, settledOutcomes])]),
    ],
    closing: [
      bumpStmt(tenantId, flowKey),
      {
        sql: `INSERT OR REPLACE INTO segment_outcome_deltas (tenant_id, segment_id, pos, outcome)
              SELECT tenant_id, segment_id, segment_pos, converted FROM decision_traces
              WHERE segment_id = ? AND converted IS NOT NULL AND outcome_at >= ?`,
        args: [id, snapshotIso],
      },
      {
        sql: `UPDATE segment_stats SET delta_count = (SELECT count(*) FROM segment_outcome_deltas WHERE segment_id = ?), delta_digest = NULL
              WHERE segment_id = ? AND EXISTS (SELECT 1 FROM segment_outcome_deltas WHERE segment_id = ?)`,
        args: [id, id, id],
      },
      { sql: "DELETE FROM segment_summaries WHERE segment_id = ? AND EXISTS (SELECT 1 FROM segment_outcome_deltas WHERE segment_id = ?)", args: [id, id] },
    ] as InStatement[],
  });
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
    /**
     * The day's unpacked traces that may be packed while the day is still going on: the
     * longest run, in seq order, of traces created before `cutoffMs` — it stops at the first
     * trace (by seq) created at or after it, so every trace left unpacked has a higher seq
     * than every packed one (the day's segments come before its tail in the hash's order).
     */
    async intradayPrefix(flowKey: string, dayStart: number, cutoffMs: number): Promise<{ rows: number; maxSeq: number | null }> {
      const dayEnd = dayStart + 86_400_000;
      const rs = await read(db, {
        sql: `SELECT count(*) AS n, max(seq) AS max_seq ${UNPACKED_SELECT}
                AND seq < COALESCE((SELECT min(seq) ${UNPACKED_SELECT}), 9223372036854775807)`,
        args: [tenantId, flowKey, dayStart, dayEnd, tenantId, flowKey, cutoffMs, dayEnd],
      });
      const r = rs.rows[0];
      return { rows: Number(r?.n ?? 0), maxSeq: r?.max_seq === null || r?.max_seq === undefined ? null : Number(r.max_seq) };
    },
    /** Up to `limit` unpacked traces of one (flow, day), in seq order (with seq ≤ `maxSeq` when given). */
    async unpackedRows(flowKey: string, dayStart: number, dayEnd: number, limit: number, maxSeq?: number) {
      const rs = await read(db, {
        sql: `SELECT ${PACK_ROW} ${UNPACKED_SELECT} AND seq <= ? ORDER BY seq LIMIT ?`,
        args: [tenantId, flowKey, dayStart, dayEnd, maxSeq ?? Number.MAX_SAFE_INTEGER, limit],
      });
      return rs.rows.map(packRowOf);
    },
    /** Compaction (store/tenant/segment-merge.ts): mergeable days, their segments, their rows, the merge. */
    ...createSegmentMerge(db, tenantId, insertStmts, sealStmts),
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
     * `snapshotIso` (while the rows were being encoded) become deltas. The traces marked are
     * the unpacked ones in [minSeq, maxSeq] (the encoded rows' first and last seq), and it aborts
     * if any trace of the day below minSeq is unpacked: an unpack committed since the rows were
     * read (an erasure) makes earlier traces unpacked again, and "the first rowCount
     * up to maxSeq" would mark those instead (or a segment would sit above part of the tail).
     */
    async pack(id: string, flowKey: string, seg: SegmentToStore, dayStart: number, dayEnd: number, maxSeq: number, snapshotIso: string, now: string, minSeq = 0, protectedRows?: number, settledOutcomes?: number): Promise<void> {
      const seal = sealStmts(id, flowKey, seg.rowCount, snapshotIso, protectedRows, settledOutcomes);
      const stmts: InStatement[] = [
        ...insertStmts(id, flowKey, seg, now),
        {
          sql: `UPDATE decision_traces SET segment_id = ?, segment_pos = p.pos
                FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS pos ${UNPACKED_SELECT} AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?) AS p
                WHERE decision_traces.seq = p.seq`,
          args: [id, tenantId, flowKey, dayStart, dayEnd, minSeq, maxSeq, seg.rowCount],
        },
        ...seal.guards,
        // ...and none of the day's traces below them is unpacked (the day's packed seqs stay below its tail's).
        guard("segment_pack_conflict", `NOT EXISTS (SELECT 1 ${UNPACKED_SELECT} AND seq < ?)`, [tenantId, flowKey, dayStart, dayEnd, minSeq]),
        ...seal.closing,
      ];
      await writeBatch(db, stmts, "segment_pack_conflict");
    },
  };
}
export type SegmentStore = ReturnType<typeof createSegmentStore>;
