/**
 * @module services/pack
 * Packs complete past days of traces into columnar segments. Idempotent (only
 * unpacked traces are taken) and crash-safe (each segment and the marking of its
 * traces commit in one guarded batch), so it can run from the recheck job, on
 * demand, or be killed at any point without a trace being lost or counted twice.
 * Each segment is stored with its content hashes and the summaries of the slices the
 * tenant's policy evaluates (engine/segment-summary.ts), in the same batch.
 */
import { resolvePolicy } from "../domain/policy.js";
import { slicesOf } from "../domain/slices.js";
import { DAY_MS, type EncodedSegment, encodeSegment } from "../engine/segment-codec.js";
import { segmentColumnHash, segmentContentHash, summariseSegment } from "../engine/segment-summary.js";
import type { SegmentToStore } from "../store/tenant/segments.js";
import type { TenantStore } from "../store/tenant-store.js";

export interface PackReport {
  segments: number;
  traces: number;
}

/** Outcomes recorded this close to the snapshot are re-read as deltas (clock-skew margin). */
const SNAPSHOT_MARGIN_MS = 5_000;

/**
 * Packs every unpacked trace created before the start of the current UTC day.
 * `maxRowsPerSegment` bounds memory per batch; a busy day becomes several segments.
 */
export async function packTraces(
  deps: { clock: () => Date; newId: () => string },
  store: TenantStore,
  opts: { maxRowsPerSegment?: number } = {},
): Promise<PackReport> {
  const maxRows = opts.maxRowsPerSegment ?? 262_144;
  const cutoff = Math.floor(deps.clock().getTime() / DAY_MS) * DAY_MS;
  const report: PackReport = { segments: 0, traces: 0 };
  const policy = await store.governance.getPolicy();
  const rp = policy ? resolvePolicy(policy) : null;
  const specs = rp ? slicesOf([...rp.attributes]).map((s) => s.attributes) : [];
  for (const { flowKey, day } of await store.segments.packableDays(cutoff)) {
    const dayStart = day * DAY_MS;
    const dayEnd = Math.min(dayStart + DAY_MS, cutoff);
    for (;;) {
      const snapshot = new Date(deps.clock().getTime() - SNAPSHOT_MARGIN_MS).toISOString();
      const rows = await store.segments.unpackedRows(flowKey, dayStart, dayEnd, maxRows);
      if (rows.length === 0) break;
      const seg = await withStatistics(encodeSegment(day, rows), specs, rp?.calibrationBins ?? 0);
      await store.segments.pack(deps.newId(), flowKey, seg, dayStart, dayEnd, rows[rows.length - 1]!.seq, snapshot, deps.clock().toISOString());
      report.segments++;
      report.traces += rows.length;
      if (rows.length < maxRows) break;
    }
  }
  return report;
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
