/**
 * @module store/tenant/segments
 * SQL for columnar trace segments: finding what to pack, packing atomically
 * (segment + columns + marking the traces, guarded), reading segments for a
 * window, and the outcome deltas that keep late outcomes visible.
 */
import type { EncodedSegment, PackRow } from "../../engine/segment-codec.js";
import { toBlob } from "../../engine/segment-codec.js";
import { type Client, type InStatement, guard, read, writeBatch } from "../sql.js";

export interface SegmentMeta {
  id: string;
  day: number;
  rowCount: number;
  createdMin: number;
  createdMax: number;
  unpackedAttributes: string[];
  /** The seq of the segment's first trace (position 0): orders a day's segments by seq. */
  firstSeq: number;
}

export interface SegmentData extends SegmentMeta {
  time: ArrayBuffer;
  selected: ArrayBuffer;
  outcome: ArrayBuffer;
  /** Null when the segment has no packed column for the requested attribute. */
  dict: string[] | null;
  codes: ArrayBuffer | null;
}

const UNPACKED_SELECT = `FROM decision_traces WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? AND segment_id IS NULL`;

/** Segment queries and packing for one tenant. */
export function createSegmentStore(db: Client, tenantId: string) {
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
    async unpackedRows(flowKey: string, dayStart: number, dayEnd: number, limit: number): Promise<PackRow[]> {
      const rs = await read(db, {
        sql: `SELECT seq, created_at, attributes, selected, converted, score ${UNPACKED_SELECT} ORDER BY seq LIMIT ?`,
        args: [tenantId, flowKey, dayStart, dayEnd, limit],
      });
      return rs.rows.map((r) => ({
        seq: Number(r.seq),
        createdAt: Number(r.created_at),
        attributes: JSON.parse(String(r.attributes)) as Record<string, unknown>,
        selected: Number(r.selected),
        converted: r.converted === null ? null : Number(r.converted),
        score: r.score === null ? null : Number(r.score),
      }));
    },
    /**
     * Writes a segment and marks exactly the traces it holds, in one atomic batch.
     * The guard aborts everything unless precisely `rowCount` traces were marked
     * (e.g. a concurrent packer got there first). Outcomes recorded since
     * `snapshotIso` (while the rows were being encoded) become deltas.
     */
    async pack(id: string, flowKey: string, seg: EncodedSegment, dayStart: number, dayEnd: number, maxSeq: number, snapshotIso: string, now: string): Promise<void> {
      const stmts: InStatement[] = [
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
      ];
      await writeBatch(db, stmts, "segment_pack_conflict");
    },
    /**
     * Segments of a flow overlapping [fromMs, toMs), metadata only, in (day, seq) order: the
     * dataset hash's order. A segment holds the lowest seqs of its day that were unpacked when
     * it was packed (unpackedRows: ORDER BY seq; the guarded UPDATE marks exactly those), and
     * a new trace always gets a higher seq than every existing one (seq is the rowid and
     * traces are never deleted) — so a day's segments cover disjoint, increasing seq ranges,
     * ordered by their first seq, and the day's unpacked tail comes after all of them.
     */
    async listForWindow(flowKey: string, fromMs: number, toMs: number): Promise<SegmentMeta[]> {
      const rs = await read(db, {
        // Position 0 holds the segment's lowest seq: one lookup in decision_traces_segment.
        sql: `SELECT s.id, s.day, s.row_count, s.created_min, s.created_max, s.unpacked_attributes,
                (SELECT d.seq FROM decision_traces d WHERE d.segment_id = s.id AND d.segment_pos = 0) AS first_seq
              FROM trace_segments s
              WHERE s.tenant_id = ? AND s.flow_key = ? AND s.day >= ? AND s.day <= ? AND s.created_max >= ? AND s.created_min < ?
              ORDER BY s.day, first_seq, s.id`,
        args: [tenantId, flowKey, Math.floor(fromMs / 86_400_000), Math.floor(toMs / 86_400_000), fromMs, toMs],
      });
      return rs.rows.map((r) => ({
        id: String(r.id),
        day: Number(r.day),
        rowCount: Number(r.row_count),
        createdMin: Number(r.created_min),
        createdMax: Number(r.created_max),
        unpackedAttributes: JSON.parse(String(r.unpacked_attributes)) as string[],
        firstSeq: Number(r.first_seq),
      }));
    },
    /** One segment's columns, with the requested attribute's dictionary column if it was packed. */
    async load(meta: SegmentMeta, attribute: string): Promise<SegmentData> {
      const rs = await read(db, {
        sql: `SELECT s.time_col, s.selected_col, s.outcome_col, c.dict, c.codes FROM trace_segments s
              LEFT JOIN segment_columns c ON c.segment_id = s.id AND c.attribute = ?
              WHERE s.tenant_id = ? AND s.id = ?`,
        args: [attribute, tenantId, meta.id],
      });
      const r = rs.rows[0]!;
      return {
        ...meta,
        time: r.time_col as ArrayBuffer,
        selected: r.selected_col as ArrayBuffer,
        outcome: r.outcome_col as ArrayBuffer,
        dict: r.dict === null ? null : (JSON.parse(String(r.dict)) as string[]),
        codes: r.codes === null ? null : (r.codes as ArrayBuffer),
      };
    },
    /** Outcome deltas for a segment (late outcomes of packed traces). */
    async deltas(segmentId: string): Promise<{ pos: number; outcome: number }[]> {
      const rs = await read(db, { sql: "SELECT pos, outcome FROM segment_outcome_deltas WHERE tenant_id = ? AND segment_id = ?", args: [tenantId, segmentId] });
      return rs.rows.map((r) => ({ pos: Number(r.pos), outcome: Number(r.outcome) }));
    },
    async countSegments(): Promise<number> {
      const rs = await read(db, { sql: "SELECT count(*) AS n FROM trace_segments WHERE tenant_id = ?", args: [tenantId] });
      return Number(rs.rows[0]!.n);
    },
  };
}
export type SegmentStore = ReturnType<typeof createSegmentStore>;
