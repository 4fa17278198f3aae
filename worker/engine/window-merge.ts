/**
 * @module engine/window-merge
 * The merge both segment paths (engine/columnar-window, engine/summary-window) share: a
 * window's packed segments and its unpacked tail, fed to the slice tables and the hash in
 * one pass. The readers differ only in what they do with one segment (`addSegment`).
 */
import type { DatasetHasher } from "./dataset-hash.js";
import type { SegmentMeta, SliceWindowRow, WindowSource } from "./ports.js";
import { addSliceRows, type createSliceAccumulators, rowLabels } from "./window.js";
import { dayOf, direct, hashSliceRows } from "./window-hash.js";

/** One window read's merge: what to read, where to add it, and the reader's per-segment step. */
export interface MergeWindow {
  source: Pick<WindowSource, "readTailPage">;
  s: ReturnType<typeof createSliceAccumulators>;
  h: DatasetHasher | null;
  /** The window's segments, in (day, first seq) order (WindowSource.segmentList). */
  segments: readonly SegmentMeta[];
  flowKey: string;
  attributes: readonly string[];
  from: number;
  to: number;
  pageSize: number;
  /** Adds segment `index` (of `segments`) to `s` and `h` (the hash is settled after each). */
  addSegment(meta: SegmentMeta, index: number): Promise<void>;
  /** The tail's first page, when the reader already asked for it (so it is read while other work runs). */
  firstPage?: ReturnType<WindowSource["readTailPage"]>;
}

/**
 * Adds the window's segments and its unpacked tail to the slice tables and the hash.
 * Why this order: the dataset hash is defined over rows in canonical (day, seq) order
 * (engine/dataset-hash.ts), and a day's segments (in seq order) come before its unpacked
 * tail (higher seqs; see WindowSource.segmentList). The tail arrives in (day, seq) order
 * from its index, paged by keyset `after`, so segments are merged in by day ahead of each
 * day's tail rows, which are hashed as they stream and never buffered.
 */
export async function mergeSegmentsAndTail(w: MergeWindow): Promise<void> {
  const { source, s, h, segments, flowKey, attributes, from, to, pageSize } = w;
  const k = attributes.length;
  let next = 0;
  const segmentsThrough = async (day: number) => {
    for (; next < segments.length && segments[next]!.day <= day; next++) {
      await w.addSegment(segments[next]!, next);
      await h?.settle();
    }
  };
  let after: { day: number; seq: number } | null = null;
  for (;;) {
    const rows: SliceWindowRow[] = after === null && w.firstPage ? await w.firstPage : await source.readTailPage(flowKey, attributes, from, to, after, pageSize);
    if (rows.length === 0) break;
    const labels = rowLabels(rows, k);
    addSliceRows(s, rows, labels);
    for (let i = 0; i < rows.length; ) {
      const day = dayOf(rows[i]!.createdAt);
      let end = i + 1;
      while (end < rows.length && dayOf(rows[end]!.createdAt) === day) end++;
      await segmentsThrough(day);
      if (h) hashSliceRows(direct(h), rows, labels, i, end);
      i = end;
    }
    await h?.settle();
    const last = rows[rows.length - 1]!;
    after = { day: dayOf(last.createdAt), seq: last.seq };
    if (rows.length < pageSize) break;
  }
  await segmentsThrough(Infinity);
}
