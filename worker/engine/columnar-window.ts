/**
 * @module engine/columnar-window
 * The columnar path: a window is its packed segments (BLOB columns fed straight
 * to the kernels, one segment at a time so memory stays bounded) plus the
 * not-yet-packed tail read row-wise. Late outcomes are merged from deltas.
 * The dataset hash is computed in the same pass: segments and tail merged by day
 * into the canonical (day, seq) order (engine/dataset-hash.ts).
 * Several attributes are read in one pass: each segment's column per attribute,
 * and for the intersection the attributes' codes combined row by row.
 * Must give exactly the row path's tables on the same data (contract-tested).
 */
import { type Accumulators, addBatch, type ColumnBatch, combineCodes } from "./column-batch.js";
import type { Kernels } from "./kernels/types.js";
import type { OutcomeDelta, SegmentColumns, SegmentMeta, WindowSource } from "./ports.js";
import { createDatasetHasher, type DatasetHasher } from "./dataset-hash.js";
import { blobBytes, blobView, DAY_MS } from "./segment-codec.js";
import { closeRead, consistentRead, type GenerationRead } from "./consistent-read.js";
import { addSliceRows, createSliceAccumulators, rowLabels, type SliceTableOptions, type WindowRead, type WindowReader, windowReaderOver } from "./window.js";
import { direct, hashSliceRows } from "./window-hash.js";
import { mergeSegmentsAndTail } from "./window-merge.js";

/**
 * The rows of a segment in [from, to) as one run [lo, hi) when they are contiguous (rows
 * recorded in time order, the usual case: then the columns are viewed, not copied); null
 * when back-filled rows interleave.
 */
function keptRun(time: Uint32Array, dayStart: number, from: number, to: number): { lo: number; hi: number } | null {
  let lo = -1;
  let hi = -1;
  let n = 0;
  for (let i = 0; i < time.length; i++) {
    const t = dayStart + time[i]!;
    if (t >= from && t < to) {
      if (lo < 0) lo = i;
      hi = i + 1;
      n++;
    }
  }
  if (lo < 0) return { lo: 0, hi: 0 };
  return n === hi - lo ? { lo, hi } : null;
}

/** Positions of the entries whose time lies in [from, to) — or, `inside` false, outside it. */
function positionsOf(time: Uint32Array, dayStart: number, from: number, to: number, inside = true): Uint32Array {
  const out = new Uint32Array(time.length);
  let n = 0;
  for (let i = 0; i < time.length; i++) {
    const t = dayStart + time[i]!;
    if ((t >= from && t < to) === inside) out[n++] = i;
  }
  return out.subarray(0, n);
}

function pick<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(a: T, at: Uint32Array | null): T {
  if (!at) return a;
  const out = new (a.constructor as new (n: number) => T)(at.length);
  for (let j = 0; j < at.length; j++) out[j] = a[at[j]!]!;
  return out;
}

/** Whether the segment holds one of `attributes` unpacked (too diverse to pack): only its rows have those values. */
export const unpacksAny = (meta: SegmentMeta, attributes: readonly string[]) => attributes.some((a) => meta.unpackedAttributes.includes(a));

/**
 * The segment's rows [lo, hi) (`at` null: viewed, not copied) or at positions `at` (copied),
 * with late outcomes patched in; null when the intersection has more combinations than u16
 * codes name (the caller reads rows).
 */
function segmentBatch(data: SegmentColumns, deltas: readonly OutcomeDelta[], lo: number, hi: number, at: Uint32Array | null): ColumnBatch | null {
  const view = <T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(a: T): T => (at ? pick(a, at) : (a.subarray(lo, hi) as T));
  // A copy: late outcomes are patched in without touching the stored bytes.
  const packed = blobBytes(data.outcome);
  let outcome: Uint8Array;
  if (!at) {
    outcome = packed.slice(lo, hi);
    for (const d of deltas) if (d.pos >= lo && d.pos < hi) outcome[d.pos - lo] = d.outcome;
  } else {
    const all = deltas.length ? new Uint8Array(packed) : packed;
    for (const d of deltas) all[d.pos] = d.outcome;
    outcome = pick(all, at);
  }
  const selected = view(blobBytes(data.selected));
  // A missing column means no trace of the segment carries the attribute: every code is "absent".
  const cols = data.columns.map((c) => (c ? { dict: c.dict, codes: view(blobView(c.codes, Uint16Array)) } : { dict: [] as string[], codes: new Uint16Array(selected.length) }));
  const inter = cols.length > 1 ? combineCodes(cols) : null;
  if (cols.length > 1 && !inter) return null;
  return { time: view(blobView(data.time, Uint32Array)), selected, outcome, score: view(blobView(data.score, Float32Array)), cols, inter };
}

/**
 * Adds one segment's rows in [from, to) to every slice (and the hash) from its columns;
 * false when it must be read row-wise instead (an attribute too diverse to pack, or an
 * intersection with more combinations than u16 codes name).
 */
export async function addSegmentColumns(
  source: WindowSource,
  s: Accumulators,
  h: DatasetHasher | null,
  meta: SegmentMeta,
  attributes: readonly string[],
  from: number,
  to: number,
  /** The segment's columns and deltas when the caller has read them already. */
  pre?: { data: SegmentColumns; deltas: readonly OutcomeDelta[] },
): Promise<boolean> {
  // An attribute too diverse to pack in this segment: its rows are the only source.
  if (unpacksAny(meta, attributes)) return false;
  const data = pre?.data ?? (await source.loadSegmentColumns(meta, attributes));
  const deltas = pre?.deltas ?? (await source.segmentDeltas(meta.id));
  const allTime = blobView(data.time, Uint32Array);
  const cut = meta.createdMin < from || meta.createdMax >= to;
  const run = cut ? keptRun(allTime, meta.day * DAY_MS, from, to) : { lo: 0, hi: allTime.length };
  const b = run ? segmentBatch(data, deltas, run.lo, run.hi, null) : segmentBatch(data, deltas, 0, 0, positionsOf(allTime, meta.day * DAY_MS, from, to));
  if (!b) return false;
  addBatch(s, b, 1);
  // Positions are in seq order: the segment's rows are already in the hash's canonical order.
  if (h) h.columns(meta.day, b.time, b.selected, b.outcome, b.score, b.cols);
  return true;
}

/**
 * For a segment the window's bounds cut whose whole-segment summaries the caller adds to the
 * tables: takes its rows outside [from, to) away again (counted from its columns, with the
 * same late outcomes the summaries hold), so the tables end up with exactly its rows inside.
 * Counts are integers (score sums in integer units), so adding and taking away is exact.
 * Worth it when the rows outside are the fewer — a window starting half an hour into its
 * first day leaves 2% of that day out — so the cost follows them, not the day's traffic.
 * False, with nothing changed, when they are not the fewer or cannot be counted from columns.
 */
export function subtractSegmentOutside(s: Accumulators, meta: SegmentMeta, attributes: readonly string[], from: number, to: number, pre: { data: SegmentColumns; deltas: readonly OutcomeDelta[] }): boolean {
  if (unpacksAny(meta, attributes)) return false;
  const allTime = blobView(pre.data.time, Uint32Array);
  const outside = positionsOf(allTime, meta.day * DAY_MS, from, to, false);
  if (outside.length * 2 >= allTime.length) return false;
  const b = segmentBatch(pre.data, pre.deltas, 0, 0, outside);
  if (!b) return false;
  addBatch(s, b, -1);
  return true;
}

/** Adds one segment's rows in [from, to) read row-wise (the fallback of addSegmentColumns). */
export async function addSegmentRows(source: WindowSource, s: Accumulators, h: DatasetHasher | null, meta: SegmentMeta, attributes: readonly string[], from: number, to: number): Promise<void> {
  const rows = (await source.segmentSliceRows(meta.id, attributes)).filter((r) => r.createdAt >= from && r.createdAt < to);
  const labels = rowLabels(rows, attributes.length);
  addSliceRows(s, rows, labels);
  if (h) hashSliceRows(direct(h), rows, labels);
}

/** Creates the columnar window reader over a tenant's window source. */
export function createColumnarWindowReader(source: WindowSource, kernels: Kernels, opts: { pageSize?: number } = {}): WindowReader {
  const pageSize = opts.pageSize ?? 20_000;

  async function read(flowKey: string, attributes: readonly string[], from: Date, to: Date, o: SliceTableOptions, hash: boolean): Promise<GenerationRead<WindowRead>> {
    const f = from.getTime();
    const t = to.getTime();
    const s = createSliceAccumulators(kernels, attributes, o);
    const h = hash ? createDatasetHasher(attributes, o.datasetChunkRows) : null;
    const { generation, segments } = await source.segmentList(flowKey, f, t);
    await mergeSegmentsAndTail({
      source, s, h, segments, generation, flowKey, attributes, from: f, to: t, pageSize,
      addSegment: async (meta) => {
        if (!(await addSegmentColumns(source, s, h, meta, attributes, f, t))) await addSegmentRows(source, s, h, meta, attributes, f, t);
      },
    });
    return closeRead(source, flowKey, generation, async () => ({ slices: s.tables(), datasetHash: h ? await h.digest() : "", rows: h?.rows ?? 0 }));
  }

  return windowReaderOver((flowKey, ...rest) => consistentRead(() => read(flowKey, ...rest), flowKey));
}
