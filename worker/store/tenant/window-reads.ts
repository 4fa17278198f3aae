/**
 * @module store/tenant/window-reads
 * The tenant's window source (the engine's `WindowSource` port, engine/ports.ts,
 * implemented here without importing the engine): row pages projected to every
 * requested attribute plus score (the row path), the unpacked tail in (day, seq)
 * order, segment metadata, columns and late-outcome deltas, a segment's rows (the
 * columnar fallback), and a seeded sample of recorded requests (the candidate
 * replay and the counterfactual).
 */
import { SegmentChangedError } from "../../domain/errors.js";
import { type Client, read } from "../sql.js";
import { PROTECTED_VALUE } from "./protected-attributes.js";
import { createSegmentSummaryStore } from "./segment-summaries.js";
import { readGeneration } from "./packing-generation.js";
import { createSegmentList } from "./segment-list.js";
import { createTailPageReader } from "./tail-page.js";
import { createWindowSample } from "./window-sample.js";
import { attributePath } from "./traces.js";

const USABLE = `NOT IN ('null', '""')`;

function sliceRowFrom(r: Record<string, unknown>, k: number) {
  const groups: (string | null)[] = [];
  for (let j = 0; j < k; j++) {
    const g = r[`g${j}`];
    groups.push(g === null || g === undefined ? null : String(g));
  }
  return {
    seq: Number(r.seq),
    createdAt: Number(r.created_at),
    groups,
    selected: Number(r.selected),
    converted: r.converted === null ? null : Number(r.converted),
    score: r.score === null ? null : Number(r.score),
  };
}

/**
 * `attributes -> ? AS g0, …` and "carries at least one of them" for a validated attribute list.
 * A value not on the trace is looked up in its protected attributes (privacy mode; the lookup
 * only runs when the trace lacks the attribute), so each path is bound twice, in a row.
 */
function value(): string {
  return `COALESCE(attributes -> ?, ${PROTECTED_VALUE})`;
}
function projection(attributes: readonly string[]) {
  const paths = attributes.flatMap((a) => [attributePath(a), attributePath(a)]);
  return {
    select: attributes.map((_, j) => `${value()} AS g${j}`).join(", "),
    anyUsable: `(${attributes.map(() => `${value()} ${USABLE}`).join(" OR ")})`,
    paths,
  };
}

/** The window source of one tenant. */
export function createWindowReads(db: Client, tenantId: string) {
  const summaries = createSegmentSummaryStore(db, tenantId);
  const segmentList = createSegmentList(db, tenantId);
  return {
    /**
     * One page of the window [fromMs, toMs) projected to `attributes`, ordered by
     * (created_at, seq) after the given position (the row path, packed or not).
     * Traces carrying none of them are skipped.
     */
    async readSliceWindowPage(
      flowKey: string,
      attributes: readonly string[],
      fromMs: number,
      toMs: number,
      after: { createdAt: number; seq: number } | null,
      limit: number,
    ) {
      const p = projection(attributes);
      const rs = await read(db, {
        sql: `SELECT seq, created_at, ${p.select}, selected, converted, score FROM decision_traces
              WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ?
                AND (created_at, seq) > (?, ?) AND ${p.anyUsable}
              ORDER BY created_at, seq LIMIT ?`,
        args: [...p.paths, tenantId, flowKey, fromMs, toMs, after?.createdAt ?? -1, after?.seq ?? -1, ...p.paths, limit],
      });
      return rs.rows.map((r) => sliceRowFrom(r, attributes.length));
    },
    /**
     * One page of the not-yet-packed traces of [fromMs, toMs) projected to `attributes`, in
     * (UTC day, seq) order — the dataset hash's order — after the given (day, seq) position
     * (store/tenant/tail-page.ts). Traces carrying none of the attributes are skipped.
     */
    readTailPage: createTailPageReader(db, tenantId),
    /** Every trace of one segment carrying one of `attributes`, in segment order. */
    async segmentSliceRows(segmentId: string, attributes: readonly string[]) {
      const p = projection(attributes);
      const rs = await read(db, {
        sql: `SELECT seq, created_at, ${p.select}, selected, converted, score FROM decision_traces
              WHERE tenant_id = ? AND segment_id = ? AND ${p.anyUsable} ORDER BY segment_pos`,
        args: [...p.paths, tenantId, segmentId, ...p.paths],
      });
      return rs.rows.map((r) => sliceRowFrom(r, attributes.length));
    },
    /** A seeded sample of up to `limit` recorded requests of the window, in sample order (store/tenant/window-sample.ts). */
    sampleWindow: createWindowSample(db, tenantId),
    /**
     * One page of every trace of [fromMs, toMs) with its customerId, in (created_at, seq) order
     * after the given position (packed traces keep their rows, so this is the whole window): the
     * trace join of POST /fairness/evaluate, which takes the groups from the caller's lookup
     * instead of the trace's attributes, so no attribute is read here.
     */
    async customerPage(flowKey: string, fromMs: number, toMs: number, after: { createdAt: number; seq: number } | null, limit: number) {
      const rs = await read(db, {
        sql: `SELECT seq, created_at, customer_id, selected, converted, score FROM decision_traces
              WHERE tenant_id = ? AND flow_key = ? AND created_at >= ? AND created_at < ? AND (created_at, seq) > (?, ?)
              ORDER BY created_at, seq LIMIT ?`,
        args: [tenantId, flowKey, fromMs, toMs, after?.createdAt ?? -1, after?.seq ?? -1, limit],
      });
      return rs.rows.map((r) => ({
        seq: Number(r.seq),
        createdAt: Number(r.created_at),
        customerId: String(r.customer_id),
        selected: Number(r.selected),
        converted: r.converted === null ? null : Number(r.converted),
        score: r.score === null ? null : Number(r.score),
      }));
    },
    /** A segment's shared columns plus the packed columns of `attributes` (two reads, no BLOB repeated). */
    async loadSegmentColumns(meta: { id: string }, attributes: readonly string[]) {
      // Asked for together: the store answers both before whatever was asked for after them.
      const [seg, cols] = await Promise.all([
        read(db, { sql: "SELECT time_col, selected_col, outcome_col, score_col FROM trace_segments WHERE tenant_id = ? AND id = ?", args: [tenantId, meta.id] }),
        read(db, {
          sql: `SELECT attribute, dict, codes FROM segment_columns WHERE tenant_id = ? AND segment_id = ? AND attribute IN (${attributes.map(() => "?").join(", ")})`,
          args: [tenantId, meta.id, ...attributes],
        }),
      ]);
      const byName = new Map(cols.rows.map((r) => [String(r.attribute), { dict: JSON.parse(String(r.dict)) as string[], codes: r.codes as ArrayBuffer }]));
      const r = seg.rows[0];
      // Listed, then repacked or unpacked before this read: the reader reads the window again.
      if (!r) throw new SegmentChangedError(meta.id);
      return {
        time: r.time_col as ArrayBuffer,
        selected: r.selected_col as ArrayBuffer,
        outcome: r.outcome_col as ArrayBuffer,
        score: r.score_col as ArrayBuffer,
        columns: attributes.map((a) => byName.get(a) ?? null),
      };
    },
    /**
     * Segments of a flow overlapping [fromMs, toMs), metadata only, in (day, seq) order, with the
     * flow's packing generation (store/tenant/packing-generation) from the same statement: a
     * reader compares it with packingGeneration after its last read (store/tenant/segment-list).
     */
    segmentList,
    /** The flow's packing generation now (store/tenant/packing-generation). */
    packingGeneration: (flowKey: string) => readGeneration(db, tenantId, flowKey),
    /** Column hashes and stored slice summaries of the window's segments (store/tenant/segment-summaries.ts). */
    windowStatistics: summaries.windowStatistics,
    /** Stores what a reader computed for a segment packed without it (guarded on its delta count). */
    memoiseSegment: summaries.memoise,
    /** Outcome deltas for a segment (late outcomes of packed traces). */
    async segmentDeltas(segmentId: string) {
      const rs = await read(db, { sql: "SELECT pos, outcome FROM segment_outcome_deltas WHERE tenant_id = ? AND segment_id = ?", args: [tenantId, segmentId] });
      return rs.rows.map((r) => ({ pos: Number(r.pos), outcome: Number(r.outcome) }));
    },
  };
}
export type WindowReads = ReturnType<typeof createWindowReads>;
