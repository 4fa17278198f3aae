/**
 * @module store/tenant/segment-merge
 * Compaction: a complete day packed in pieces (the 15-minute sweep packs the current day as
 * it goes) is packed anew in fewer segments. A run of the day's consecutive segments whose
 * rows fit one segment is replaced, in one atomic batch, by one segment encoded from their
 * traces: the traces move to it and the old segments go. Nothing is ever unpacked on the
 * way, so a gate reading meanwhile sees the day packed one way or the other (and the
 * packing generation bump makes a read that straddled the commit read again).
 */
import type { InStatement } from "../sql.js";
import { type Client, read, writeBatch } from "../sql.js";
import { PACK_ROW, packRowOf, type SegmentToStore } from "./pack-rows.js";

type SealStmts = (id: string, flowKey: string, rowCount: number, snapshotIso: string, protectedRows?: number, settledOutcomes?: number) => { guards: InStatement[]; closing: InStatement[] };

/** A segment's position in its day, for compaction. */
export interface DaySegment {
  id: string;
  rowCount: number;
}

/** The segment's lowest seq (its position 0): orders a day's segments. */
const FIRST_SEQ = "(SELECT d.seq FROM decision_traces d WHERE d.segment_id = s.id AND d.segment_pos = 0)";

export function createSegmentMerge(db: Client, tenantId: string, insertStmts: (id: string, flowKey: string, seg: SegmentToStore, now: string) => InStatement[], sealStmts: SealStmts) {
  const marks = (ids: readonly string[]) => ids.map(() => "?").join(", ");
  return {
    /**
     * Complete days (before `beforeDay`) with two consecutive segments (in seq order) that fit
     * one `maxRows`-row segment together — what a merge can improve — oldest first, at most `limit`.
     */
    async mergeableDays(beforeDay: number, maxRows: number, limit: number) {
      const rs = await read(db, {
        sql: `SELECT DISTINCT flow_key, day FROM (
                SELECT s.flow_key, s.day, s.row_count + lag(s.row_count) OVER (PARTITION BY s.flow_key, s.day ORDER BY ${FIRST_SEQ}) AS pair
                FROM trace_segments s WHERE s.tenant_id = ? AND s.day < ?
              ) WHERE pair <= ? ORDER BY day, flow_key LIMIT ?`,
        args: [tenantId, beforeDay, maxRows, limit],
      });
      return rs.rows.map((r) => ({ flowKey: String(r.flow_key), day: Number(r.day) }));
    },
    /** A (flow, day)'s segments in seq order. */
    async daySegments(flowKey: string, day: number): Promise<DaySegment[]> {
      const rs = await read(db, {
        sql: `SELECT s.id, s.row_count FROM trace_segments s WHERE s.tenant_id = ? AND s.flow_key = ? AND s.day = ? ORDER BY ${FIRST_SEQ}`,
        args: [tenantId, flowKey, day],
      });
      return rs.rows.map((r) => ({ id: String(r.id), rowCount: Number(r.row_count) }));
    },
    /** The traces of segments `ids`, in seq order, as the packer encodes them. */
    async segmentRows(ids: readonly string[]) {
      const rs = await read(db, { sql: `SELECT ${PACK_ROW} FROM decision_traces WHERE tenant_id = ? AND segment_id IN (${marks(ids)}) ORDER BY seq`, args: [tenantId, ...ids] });
      return rs.rows.map(packRowOf);
    },
    /**
     * Replaces segments `ids` (consecutive in their day) by `seg`, encoded from their traces as
     * read at `snapshotIso`, in one batch: the traces are marked as the new segment's in seq
     * order, the old segments with their columns, statistics, summaries and deltas deleted
     * (their outcomes are on the trace rows, so in the new columns). Guarded like a pack: it
     * aborts (409 segment_pack_conflict) if the traces moved meanwhile (another compaction, an
     * erasure), one lost its protected attributes, or an outcome would be missed.
     */
    async merge(ids: readonly string[], id: string, flowKey: string, seg: SegmentToStore, snapshotIso: string, now: string, protectedRows?: number, settledOutcomes?: number): Promise<void> {
      const seal = sealStmts(id, flowKey, seg.rowCount, snapshotIso, protectedRows, settledOutcomes);
      const old = [tenantId, ...ids];
      await writeBatch(
        db,
        [
          ...insertStmts(id, flowKey, seg, now),
          {
            sql: `UPDATE decision_traces SET segment_id = ?, segment_pos = p.pos
                  FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS pos FROM decision_traces WHERE tenant_id = ? AND segment_id IN (${marks(ids)})) AS p
                  WHERE decision_traces.seq = p.seq`,
            args: [id, ...old],
          },
          ...seal.guards,
          { sql: `DELETE FROM segment_outcome_deltas WHERE tenant_id = ? AND segment_id IN (${marks(ids)})`, args: old },
          { sql: `DELETE FROM segment_columns WHERE tenant_id = ? AND segment_id IN (${marks(ids)})`, args: old },
          { sql: `DELETE FROM segment_summaries WHERE tenant_id = ? AND segment_id IN (${marks(ids)})`, args: old },
          { sql: `DELETE FROM segment_stats WHERE tenant_id = ? AND segment_id IN (${marks(ids)})`, args: old },
          { sql: `DELETE FROM trace_segments WHERE tenant_id = ? AND id IN (${marks(ids)})`, args: old },
          ...seal.closing,
        ],
        "segment_pack_conflict",
      );
    },
  };
}
