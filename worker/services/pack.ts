/**
 * @module services/pack
 * Packs complete past days of traces into columnar segments. Idempotent (only
 * unpacked traces are taken) and crash-safe (each segment and the marking of its
 * traces commit in one guarded batch), so it can run from the recheck job, on
 * demand, or be killed at any point without a trace being lost or counted twice.
 * Each segment is stored with its content hashes and the summaries of the slices the
 * tenant's policy evaluates (engine/segment-summary.ts), in the same batch.
 */
import { ConflictError } from "../domain/errors.js";
import { resolvePolicy } from "../domain/policy.js";
import { slicesOf } from "../domain/slices.js";
import { DAY_MS, type EncodedSegment, encodeSegment } from "../engine/segment-codec.js";
import { segmentColumnHash, segmentContentHash, summariseSegment } from "../engine/segment-summary.js";
import type { SegmentToStore } from "../store/tenant/segments.js";
import type { TenantStore } from "../store/tenant-store.js";

export interface PackReport {
  segments: number;
  traces: number;
  /** Complete days whose consecutive small segments were merged (compaction). */
  compactedDays: number;
  /**
   * Packs and merges that lost a race — another packer (the sweep, the daily job and the
   * route can overlap), a late outcome or an erasure committing while their rows were
   * encoded — and changed nothing: their traces are left as they were, for the next run.
   */
  conflicts: number;
}

/** Outcomes recorded this close to the snapshot are re-read as deltas (clock-skew margin). */
const SNAPSHOT_MARGIN_MS = 5_000;
/** How old a trace must be before the day it belongs to is over to be packed (late writers, clock skew). */
export const INTRADAY_LAG_MS = 5 * 60_000;
/** Today's packable traces are left in the tail until there are this many (no segment of a handful of rows). */
export const INTRADAY_MIN_ROWS = 1_024;
/** Complete days compacted per run: bounded work; a backlog takes several runs. */
const COMPACT_DAYS_PER_RUN = 4;

export interface PackOptions {
  /** Rows per segment at most (memory per batch); a busy day becomes several segments. */
  maxRowsPerSegment?: number;
  /**
   * Also pack the current day: its traces older than `lagMs`, once there are `minRows` of
   * them (the 15-minute sweep runs this, so the tail the gate scans row by row is minutes of
   * traffic, not up to a day). Off: only complete past days.
   */
  intraday?: { lagMs?: number; minRows?: number } | false;
}

/**
 * Packs every unpacked trace created before the start of the current UTC day (and, with
 * `intraday`, the current day's older traces), then merges the runs of consecutive small
 * segments of complete days that were packed in pieces (store/tenant/segment-merge).
 * Idempotent and crash-safe: every step is one guarded batch, nothing is unpacked on the way.
 */
export async function packTraces(deps: { clock: () => Date; newId: () => string }, store: TenantStore, opts: PackOptions = {}): Promise<PackReport> {
  const maxRows = opts.maxRowsPerSegment ?? 262_144;
  const now = deps.clock().getTime();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const intraday = opts.intraday ? { lagMs: opts.intraday.lagMs ?? INTRADAY_LAG_MS, minRows: opts.intraday.minRows ?? INTRADAY_MIN_ROWS } : null;
  const cutoff = intraday ? Math.max(today, now - intraday.lagMs) : today;
  const report: PackReport = { segments: 0, traces: 0, compactedDays: 0, conflicts: 0 };
  /** Runs one guarded step (true: it committed); one that lost a race is counted and the run goes on to the next. */
  const guarded = async (step: () => Promise<void>): Promise<boolean> => {
    try {
      await step();
      return true;
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === "segment_pack_conflict")) throw e;
      report.conflicts++;
      return false;
    }
  };
  const policy = await store.governance.getPolicy();
  const rp = policy ? resolvePolicy(policy) : null;
  const specs = rp ? slicesOf([...rp.attributes]).map((s) => s.attributes) : [];
  /** Taken before rows are read: outcomes stamped after it are re-read as deltas by the store. */
  const snapshotNow = () => new Date(deps.clock().getTime() - SNAPSHOT_MARGIN_MS).toISOString();
  const encode = (day: number, rows: Parameters<typeof encodeSegment>[1]) => withStatistics(encodeSegment(day, rows), specs, rp?.calibrationBins ?? 0);
  /** Packs the day's unpacked traces (with seq ≤ maxSeq when given) in segments of at most maxRows. */
  const packDay = async (flowKey: string, day: number, maxSeq?: number) => {
    const dayStart = day * DAY_MS;
    const dayEnd = dayStart + DAY_MS;
    for (;;) {
      const snapshot = snapshotNow();
      const rows = await store.segments.unpackedRows(flowKey, dayStart, dayEnd, maxRows, maxSeq);
      if (rows.length === 0) break;
      const seg = await encode(day, rows);
      const g = sealCounts(rows, snapshot);
      await store.segments.pack(deps.newId(), flowKey, seg, dayStart, dayEnd, rows[rows.length - 1]!.seq, snapshot, deps.clock().toISOString(), rows[0]!.seq, g.protectedRows, g.settledOutcomes);
      report.segments++;
      report.traces += rows.length;
      if (rows.length < maxRows) break;
    }
  };
  for (const { flowKey, day } of await store.segments.packableDays(cutoff)) {
    if (day * DAY_MS < today) {
      await guarded(() => packDay(flowKey, day));
      continue;
    }
    // The current day: only its seq-prefix of traces created before the cutoff, so every trace
    // left in its tail comes after its segments in seq order.
    const prefix = await store.segments.intradayPrefix(flowKey, day * DAY_MS, cutoff);
    if (intraday && prefix.maxSeq !== null && prefix.rows >= intraday.minRows) await guarded(() => packDay(flowKey, day, prefix.maxSeq!));
  }
  for (const { flowKey, day } of await store.segments.mergeableDays(today / DAY_MS, maxRows, COMPACT_DAYS_PER_RUN)) {
    // A day counts as compacted when at least one of its merges committed, not when all lost their race.
    let merged = false;
    for (const run of mergeRuns(await store.segments.daySegments(flowKey, day), maxRows)) {
      const committed = await guarded(async () => {
        const snapshot = snapshotNow();
        const rows = await store.segments.segmentRows(run);
        const seg = await encode(day, rows);
        const g = sealCounts(rows, snapshot);
        await store.segments.merge(run, deps.newId(), flowKey, seg, snapshot, deps.clock().toISOString(), g.protectedRows, g.settledOutcomes);
      });
      merged ||= committed;
    }
    if (merged) report.compactedDays++;
  }
  return report;
}

/**
 * What a pack's or merge's guards check its encoded rows against (store/tenant/segments
 * sealStmts): how many carried protected attributes (undefined: none, so no per-row lookup)
 * and how many had an outcome stamped before the snapshot (the ones not re-read as deltas).
 */
function sealCounts(rows: readonly { protected: boolean; converted: number | null; outcomeAt: string | null }[], snapshot: string) {
  return {
    protectedRows: rows.filter((r) => r.protected).length || undefined,
    settledOutcomes: rows.filter((r) => r.converted !== null && (r.outcomeAt === null || r.outcomeAt < snapshot)).length,
  };
}

/**
 * A day's segments (in seq order) grouped into runs of consecutive ones whose rows fit one
 * `maxRows`-row segment, greedily; only runs of two or more are worth merging.
 */
export function mergeRuns(segments: readonly { id: string; rowCount: number }[], maxRows: number): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let rows = 0;
  for (const s of segments) {
    if (run.length && rows + s.rowCount > maxRows) {
      runs.push(run);
      run = [];
      rows = 0;
    }
    run.push(s.id);
    rows += s.rowCount;
  }
  if (run.length) runs.push(run);
  return runs.filter((r) => r.length > 1);
}

/**
 * The segment with its content and column hashes and the summaries of `specs` (slices whose
 * attributes are all packed in it). Exported for tools that write segments directly (bench:gate).
 */
export async function withStatistics(seg: EncodedSegment, specs: readonly (readonly string[])[], bins: number): Promise<SegmentToStore> {
  const byName = new Map(seg.columns.map((c) => [c.attribute, c]));
  const packable = specs.filter((attrs) => attrs.every((a) => !seg.unpackedAttributes.includes(a)));
  const sums = bins > 0 ? summariseSegment(packable, byName, seg.selected, seg.outcome, seg.score, bins) : [];
  return {
    ...seg,
    contentHash: await segmentContentHash(seg.day, seg.time, seg.selected, seg.outcome, seg.score),
    // The policy's attributes without a column in this segment are recorded as such (null).
    columnHashes: Object.fromEntries([
      ...specs.flat().filter((a) => !byName.has(a) && !seg.unpackedAttributes.includes(a)).map((a) => [a, null] as const),
      ...(await Promise.all(seg.columns.map(async (c) => [c.attribute, await segmentColumnHash(c.attribute, c.dict, c.codes)] as const))),
    ]),
    summaries: packable.flatMap((attributes, i) => (sums[i] ? [{ attributes, bins, body: sums[i]! }] : [])),
  };
}
