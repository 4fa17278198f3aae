/**
 * @module engine/window-merge
 * The merge both segment paths (engine/columnar-window, engine/summary-window) share: a
 * window's packed segments and its unpacked tail, fed to the slice tables and the hash in
 * one pass. The readers differ only in what they do with one segment (`addSegment`).
 */
import { SegmentChangedError } from "../domain/errors.js";
import { addBatch, MAX_CODES, tailBatch } from "./column-batch.js";
import type { DatasetHasher } from "./dataset-hash.js";
import type { SegmentMeta, TailPage, WindowSource } from "./ports.js";
import type { createSliceAccumulators } from "./window.js";
import { dayOf } from "./window-hash.js";

/** One window read's merge: what to read, where to add it, and the reader's per-segment step. */
export interface MergeWindow {
  source: Pick<WindowSource, "readTailPage">;
  s: ReturnType<typeof createSliceAccumulators>;
  h: DatasetHasher | null;
  /** The window's segments, in (day, first seq) order (WindowSource.segmentList). */
  segments: readonly SegmentMeta[];
  /** The packing generation they were listed at: every tail page must have been read at it too. */
  generation: number;
  flowKey: string;
  attributes: readonly string[];
  from: number;
  to: number;
  pageSize: number;
  /** Adds segment `index` (of `segments`) to `s` and `h` (the hash is settled after each). */
  addSegment(meta: SegmentMeta, index: number): Promise<void>;
  /** The tail's first page (of tailPageSize(pageSize)), when the reader already asked for it (so it is read while other work runs). */
  firstPage?: ReturnType<WindowSource["readTailPage"]>;
}

/** The tail page size for a requested one: a page's dictionaries must fit u16 codes (tailBatch), so fewer traces than codes. */
export const tailPageSize = (requested: number) => Math.min(requested, MAX_CODES - 1);

/**
 * Adds the window's segments and its unpacked tail to the slice tables and the hash.
 * Why this order: the dataset hash is defined over rows in canonical (day, seq) order
 * (engine/dataset-hash.ts), and a day's segments (in seq order) come before its unpacked
 * tail (higher seqs; see WindowSource.segmentList). The tail arrives in (day, seq) order
 * from its index, paged by keyset `after`, so segments are merged in by day ahead of each
 * day's tail rows, which are hashed as they stream and never buffered. A page is one column
 * batch (engine/column-batch tailBatch): counted by the kernels, hashed column-wise.
 */
export async function mergeSegmentsAndTail(w: MergeWindow): Promise<void> {
  const { source, s, h, segments, flowKey, attributes, from, to } = w;
  const pageSize = tailPageSize(w.pageSize);
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
    const page: TailPage = after === null && w.firstPage ? await w.firstPage : await source.readTailPage(flowKey, attributes, from, to, after, pageSize);
    // A page of another packing state than the list's would count traces the segments also
    // hold, or neither: the window is read again (whatever order a transport ran them in).
    if (page.generation !== w.generation) throw new SegmentChangedError(`flow ${flowKey}: packing changed between the segment list and a tail page`);
    const n = page.seq.length;
    if (n === 0) break;
    const b = tailBatch(page, k);
    addBatch(s, b, 1);
    for (let i = 0; i < n; ) {
      const day = dayOf(page.createdAt[i]!);
      let end = i + 1;
      while (end < n && dayOf(page.createdAt[end]!) === day) end++;
      await segmentsThrough(day);
      if (h) h.columns(day, b.time.subarray(i, end), b.selected.subarray(i, end), b.outcome.subarray(i, end), b.score.subarray(i, end), b.cols.map((c) => ({ dict: c.dict, codes: c.codes.subarray(i, end) })));
      i = end;
    }
    await h?.settle();
    after = { day: dayOf(page.createdAt[n - 1]!), seq: page.seq[n - 1]! };
    if (n < pageSize) break;
  }
  await segmentsThrough(Infinity);
}
