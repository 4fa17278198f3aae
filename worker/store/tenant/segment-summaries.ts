/**
 * @module store/tenant/segment-summaries
 * SQL for the per-segment sufficient statistics and Merkle leaf inputs (migration 0011):
 * slice summaries, content and column hashes, the delta count and digest. Written at
 * pack (store/tenant/segments.ts), memoised by the first read of a segment packed
 * without them (guarded on the delta count, so a summary never misses a delta that
 * committed meanwhile), and updated by each outcome delta in the delta's own commit.
 * Bodies are built by engine/segment-summary.ts and stored in domain/summary-codec's
 * binary form; a delta's counts are added by decoding, adding and re-encoding the body
 * in the delta's batch, guarded on the body read (a concurrent delta makes it retry).
 */
import { scoreBin, scoreUnits } from "../../domain/calibration.js";
import { DELTA_LANES, deltaElement } from "../../domain/delta-digest.js";
import { groupLabel, intersectionValue } from "../../domain/slices.js";
import { decodeSummary, encodeSummary, type SummaryCounts } from "../../domain/summary-codec.js";
import { type Client, type InStatement, guard, read, type SqlValue, writeBatch } from "../sql.js";

/** A slice summary's counts (engine/segment-summary.ts SliceSummary), stored as domain/summary-codec encodes them. */
export type StoredSummary = SummaryCounts;

/** What a reader may memoise for one segment (everything optional; existing values win). */
export interface SegmentMemo {
  contentHash?: string;
  /** null: the segment has no column for the attribute. */
  columnHashes?: { attribute: string; hash: string | null }[];
  deltaDigest?: number[];
  summaries?: { attributes: readonly string[]; bins: number; body: StoredSummary }[];
}

/** Guard code of an outcome write whose snapshot (packing state, summaries) changed: retried. */
export const OUTCOME_RETRY = "outcome_snapshot_changed";

const WINDOW_SEGMENTS = `SELECT id FROM trace_segments WHERE tenant_id = ? AND flow_key = ? AND day >= ? AND day <= ? AND created_max >= ? AND created_min < ?`;

/** `delta_digest` plus one delta's lanes (mod 2^32 each), as SQL. NULL stays NULL (unknown). */
function digestAdd(lanes: readonly number[]): { sql: string; args: number[] } {
  const paths = lanes.map((_, i) => `'$[${i}]', (json_extract(delta_digest, '$[${i}]') + ?) % 4294967296`);
  return { sql: `json_set(delta_digest, ${paths.join(", ")})`, args: [...lanes] };
}

/** Summary statements for a segment (INSERT OR IGNORE: a stored summary already has every delta). */
export function summaryStmts(tenantId: string, segmentId: string, summaries: SegmentMemo["summaries"], condition?: { sql: string; args: (string | number)[] }): InStatement[] {
  return (summaries ?? []).map((m) => ({
    sql: `INSERT OR IGNORE INTO segment_summaries (tenant_id, segment_id, attributes, bins, body) SELECT ?, ?, ?, ?, ? ${condition ? `WHERE ${condition.sql}` : ""}`,
    args: [tenantId, segmentId, JSON.stringify(m.attributes), m.bins, encodeSummary(m.body, m.bins), ...(condition?.args ?? [])],
  }));
}

/** Per-segment statistics of one tenant. */
export function createSegmentSummaryStore(db: Client, tenantId: string) {
  return {
    /** For the flow's segments overlapping [fromMs, toMs): the stored summaries under `keys` (JSON attribute lists) with `bins` bins. */
    async windowStatistics(flowKey: string, fromMs: number, toMs: number, keys: readonly string[], bins: number) {
      const w = [tenantId, flowKey, Math.floor(fromMs / 86_400_000), Math.floor(toMs / 86_400_000), fromMs, toMs];
      const sums = await read(db, {
        // The delta count in the same statement: an outcome updates it and the bodies in one commit.
        sql: `SELECT segment_id, attributes, body, (SELECT st.delta_count FROM segment_stats st WHERE st.tenant_id = segment_summaries.tenant_id AND st.segment_id = segment_summaries.segment_id) AS delta_count
              FROM segment_summaries WHERE tenant_id = ? AND segment_id IN (${WINDOW_SEGMENTS})
              AND bins = ? AND attributes IN (${keys.map(() => "?").join(", ")})`,
        args: [tenantId, ...w, bins, ...keys],
      });
      return {
        summaries: sums.rows.map((r) => ({
          segmentId: String(r.segment_id),
          key: String(r.attributes),
          body: r.body as unknown,
          deltaCount: r.delta_count === null || r.delta_count === undefined ? -1 : Number(r.delta_count),
        })),
      };
    },
    /**
     * Stores what a reader computed for a segment, unless a delta committed since it read
     * `deltaCount` deltas (then nothing delta-dependent is written; the next read retries).
     * Hashes of packed bytes never change and are written whenever still missing.
     */
    async memoise(segmentId: string, deltaCount: number, m: SegmentMemo): Promise<void> {
      const same = { sql: "(SELECT delta_count FROM segment_stats WHERE tenant_id = ? AND segment_id = ?) = ?", args: [tenantId, segmentId, deltaCount] };
      const stmts: InStatement[] = [
        ...(m.contentHash ? [{ sql: "UPDATE segment_stats SET content_hash = ? WHERE tenant_id = ? AND segment_id = ? AND content_hash IS NULL", args: [m.contentHash, tenantId, segmentId] }] : []),
        // Attribute names are validated identifiers: safe inside a quoted JSON path.
        ...(m.columnHashes ?? []).map((c) => ({
          sql: `UPDATE segment_stats SET column_hashes = json_set(column_hashes, '$."${c.attribute}"', ${c.hash === null ? "json('null')" : "?"}) WHERE tenant_id = ? AND segment_id = ?`,
          args: [...(c.hash === null ? [] : [c.hash]), tenantId, segmentId],
        })),
        ...(m.deltaDigest
          ? [{ sql: "UPDATE segment_stats SET delta_digest = ? WHERE tenant_id = ? AND segment_id = ? AND delta_digest IS NULL AND delta_count = ?", args: [JSON.stringify(m.deltaDigest), tenantId, segmentId, deltaCount] }]
          : []),
        ...summaryStmts(tenantId, segmentId, m.summaries, same),
      ];
      if (stmts.length) await writeBatch(db, stmts);
    },
    /**
     * The statements recording a trace's outcome, read against the trace's current
     * packing state: for a packed trace, each stored summary of its segment gets the
     * outcome's counts (the trace's group in that slice, its score bin) and the segment
     * its delta count and digest — all conditioned on the trace still having no outcome,
     * in the same batch as the outcome itself. The first statement guards the snapshot
     * (packing state and the set of summaries): if either changed, the batch aborts with
     * OUTCOME_RETRY and the caller reads again. Null: the trace does not exist; otherwise
     * `current` is the outcome already recorded (then no statement is needed).
     * `drop` (a caller that keeps losing the race to other outcomes of the segment): the
     * segment's summaries are deleted instead of re-encoded, which no concurrent outcome can
     * invalidate — the next read recomputes them from the columns and deltas.
     */
    async outcomePlan(traceId: string, converted: boolean, drop = false): Promise<{ current: boolean | null; stmts: InStatement[] } | null> {
      const rs = await read(db, {
        sql: `SELECT segment_id, segment_pos, attributes, selected, score, converted,
                (SELECT p.attributes FROM protected_attributes p WHERE p.tenant_id = decision_traces.tenant_id AND p.customer_key = decision_traces.customer_key) AS protected
              FROM decision_traces WHERE tenant_id = ? AND id = ?`,
        args: [tenantId, traceId],
      });
      const t = rs.rows[0];
      if (!t) return null;
      if (t.converted !== null && t.converted !== undefined) return { current: Number(t.converted) === 1, stmts: [] };
      const segmentId = t.segment_id === null || t.segment_id === undefined ? null : String(t.segment_id);
      const pos = t.segment_pos === null || t.segment_pos === undefined ? null : Number(t.segment_pos);
      if (segmentId === null || pos === null) {
        return { current: null, stmts: [guard(OUTCOME_RETRY, "(SELECT segment_id IS NULL FROM decision_traces WHERE tenant_id = ? AND id = ?)", [tenantId, traceId])] };
      }
      const sums = drop ? { rows: [] } : await read(db, { sql: "SELECT attributes, bins, body FROM segment_summaries WHERE tenant_id = ? AND segment_id = ?", args: [tenantId, segmentId] });
      const attrs = {
        ...(t.protected === null || t.protected === undefined ? {} : (JSON.parse(String(t.protected)) as Record<string, unknown>)),
        ...(JSON.parse(String(t.attributes)) as Record<string, unknown>),
      };
      const o = converted ? 1 : 0;
      const sel = Number(t.selected) !== 0;
      // Segments store f32 scores: the bin and units of the rounded score, as every reader sees it.
      const score = t.score === null || t.score === undefined ? NaN : Math.fround(Number(t.score));
      const open = "EXISTS (SELECT 1 FROM decision_traces WHERE tenant_id = ? AND id = ? AND converted IS NULL)";
      const stmts: InStatement[] = drop
        ? [
            guard(OUTCOME_RETRY, "(SELECT segment_id = ? AND segment_pos = ? FROM decision_traces WHERE tenant_id = ? AND id = ?)", [segmentId, pos, tenantId, traceId]),
            { sql: `DELETE FROM segment_summaries WHERE tenant_id = ? AND segment_id = ? AND ${open}`, args: [tenantId, segmentId, tenantId, traceId] },
          ]
        : [
            guard(
              OUTCOME_RETRY,
              "(SELECT segment_id = ? AND segment_pos = ? FROM decision_traces WHERE tenant_id = ? AND id = ?) AND (SELECT count(*) FROM segment_summaries WHERE tenant_id = ? AND segment_id = ?) = ?",
              [segmentId, pos, tenantId, traceId, tenantId, segmentId, sums.rows.length],
            ),
          ];
      for (const r of sums.rows) {
        const key = String(r.attributes);
        const bins = Number(r.bins);
        const body = decodeSummary(r.body, bins);
        const parts = (JSON.parse(key) as string[]).map((a) => groupLabel(attrs[a]));
        if (parts.some((x) => x === null)) continue;
        const g = body ? body.v.indexOf(intersectionValue(parts as string[])) : -1;
        const where = { sql: `WHERE tenant_id = ? AND segment_id = ? AND attributes = ? AND bins = ? AND ${open}`, args: [tenantId, segmentId, key, bins, tenantId, traceId] };
        if (!body || g < 0) {
          // Not a summary (or the trace is not where it says its group is): drop it, the next read recomputes it.
          stmts.push({ sql: `DELETE FROM segment_summaries ${where.sql}`, args: where.args });
          continue;
        }
        const next = { v: body.v, c: Array.from(body.c), k: Array.from(body.k), p: Array.from(body.p), s: Array.from(body.s) };
        next.c[g * 8 + 2]!++;
        next.c[g * 8 + (o === 1 ? (sel ? 4 : 6) : sel ? 5 : 7)]!++;
        if (o === 1) next.c[g * 8 + 3]!++;
        const b = scoreBin(score, bins);
        if (b >= 0) {
          next.k[g * bins + b]!++;
          next.s[g * bins + b]! += scoreUnits(score);
          if (o === 1) next.p[g * bins + b]!++;
        }
        // The body this plan read must still be the stored one: another delta of the segment
        // committing meanwhile aborts this batch (the caller reads again), never lost.
        stmts.push(guard(OUTCOME_RETRY, "(SELECT body = ? FROM segment_summaries WHERE tenant_id = ? AND segment_id = ? AND attributes = ? AND bins = ?)", [r.body as SqlValue, tenantId, segmentId, key, bins]));
        stmts.push({ sql: `UPDATE segment_summaries SET body = ? ${where.sql}`, args: [encodeSummary(next, bins), ...where.args] });
      }
      const lanes = await deltaElement(pos, o);
      if (lanes.length !== DELTA_LANES) throw new Error("delta digest lanes");
      const add = digestAdd(lanes);
      stmts.push({
        sql: `UPDATE segment_stats SET delta_count = delta_count + 1, delta_digest = ${add.sql} WHERE tenant_id = ? AND segment_id = ? AND ${open}`,
        args: [...add.args, tenantId, segmentId, tenantId, traceId],
      });
      return { current: null, stmts };
    },
  };
}
export type SegmentSummaryStore = ReturnType<typeof createSegmentSummaryStore>;
