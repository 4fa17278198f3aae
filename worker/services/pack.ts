/**
 * @module services/pack
 * Packs complete past days of traces into columnar segments. Idempotent (only
 * unpacked traces are taken) and crash-safe (each segment and the marking of its
 * traces commit in one guarded batch), so it can run from the recheck job, on
 * demand, or be killed at any point without a trace being lost or counted twice.
 */
import { DAY_MS, encodeSegment } from "../engine/segment-codec.js";
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
  for (const { flowKey, day } of await store.segments.packableDays(cutoff)) {
    const dayStart = day * DAY_MS;
    const dayEnd = Math.min(dayStart + DAY_MS, cutoff);
    for (;;) {
      const snapshot = new Date(deps.clock().getTime() - SNAPSHOT_MARGIN_MS).toISOString();
      const rows = await store.segments.unpackedRows(flowKey, dayStart, dayEnd, maxRows);
      if (rows.length === 0) break;
      const seg = encodeSegment(day, rows);
      await store.segments.pack(deps.newId(), flowKey, seg, dayStart, dayEnd, rows[rows.length - 1]!.seq, snapshot, deps.clock().toISOString());
      report.segments++;
      report.traces += rows.length;
      if (rows.length < maxRows) break;
    }
  }
  return report;
}
