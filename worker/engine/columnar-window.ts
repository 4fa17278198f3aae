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
import { intersectionValue } from "../domain/slices.js";
import type { Kernels } from "./kernels/types.js";
import type { OutcomeDelta, SegmentColumns, SegmentMeta, WindowSource } from "./ports.js";
import { createDatasetHasher, type DatasetHasher } from "./dataset-hash.js";
import { createCalibrationBatch } from "./calibration-accumulator.js";
import { blobBytes, blobView, DAY_MS } from "./segment-codec.js";
import { closeRead, consistentRead, type GenerationRead } from "./consistent-read.js";
import { addSliceRows, createSliceAccumulators, rowLabels, type SliceTableOptions, type WindowRead, type WindowReader, windowReaderOver } from "./window.js";
import { direct, hashSliceRows } from "./window-hash.js";
import { mergeSegmentsAndTail } from "./window-merge.js";

export type Accumulators = ReturnType<typeof createSliceAccumulators>;
/** Kernel group codes are u16 and code dict.length means "absent": at most 65,535 values. */
const MAX_CODES = 65_535;
const ABSENT_MARK = 0xffff;

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

/**
 * Combines per-attribute codes into intersection codes: a row missing any attribute gets
 * the "absent" code; values are numbered in order of first appearance. Null when the
 * segment holds more combinations than a u16 code can name (the caller reads rows).
 */
export function combineCodes(cols: { dict: readonly string[]; codes: Uint16Array }[]): { dict: string[]; codes: Uint16Array } | null {
  const n = cols[0]?.codes.length ?? 0;
  const sizes = cols.map((c) => c.dict.length);
  const product = sizes.reduce((p, s) => p * s, 1);
  // A flat lookup when the key space is small; a Map otherwise (keys < 1025^4 are exact doubles).
  const flat = product <= 1 << 16 ? new Int32Array(product).fill(-1) : null;
  const map = flat ? null : new Map<number, number>();
  const dict: string[] = [];
  // Absent rows are marked 0xFFFF first (no real code reaches it: codes stay below
  // MAX_CODES) and renumbered to dict.length at the end, so no wider scratch array is needed.
  const codes = new Uint16Array(n);
  /** The code of combination `key` first seen at row i; -1 when there are too many. */
  const fresh = (key: number, i: number): number => {
    if (dict.length >= MAX_CODES) return -1;
    const code = dict.length;
    dict.push(intersectionValue(cols.map((c) => c.dict[c.codes[i]!]!)));
    if (flat) flat[key] = code;
    else map!.set(key, code);
    return code;
  };
  if (cols.length === 2 && flat) {
    // Two attributes (the usual intersection): one flat lookup per row, ~10× the general loop.
    const a = cols[0]!.codes;
    const b = cols[1]!.codes;
    const sa = sizes[0]!;
    const sb = sizes[1]!;
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x >= sa || y >= sb) {
        codes[i] = ABSENT_MARK;
        continue;
      }
      let code = flat[x + y * sa]!;
      if (code < 0 && (code = fresh(x + y * sa, i)) < 0) return null;
      codes[i] = code;
    }
  } else {
    const cs = cols.map((c) => c.codes);
    for (let i = 0; i < n; i++) {
      let key = 0;
      let mult = 1;
      let absent = false;
      for (let j = 0; j < cs.length; j++) {
        const c = cs[j]![i]!;
        if (c >= sizes[j]!) {
          absent = true;
          break;
        }
        key += c * mult;
        mult *= sizes[j]!;
      }
      if (absent) {
        codes[i] = ABSENT_MARK;
        continue;
      }
      let code = flat ? flat[key]! : (map!.get(key) ?? -1);
      if (code < 0 && (code = fresh(key, i)) < 0) return null;
      codes[i] = code;
    }
  }
  if (dict.length !== ABSENT_MARK) for (let i = 0; i < n; i++) if (codes[i] === ABSENT_MARK) codes[i] = dict.length;
  return { dict, codes };
}

/** Whether the segment holds one of `attributes` unpacked (too diverse to pack): only its rows have those values. */
export const unpacksAny = (meta: SegmentMeta, attributes: readonly string[]) => attributes.some((a) => meta.unpackedAttributes.includes(a));

/** Some of a segment's rows as the accumulators take them: columns, intersection codes, prepared scores. */
interface SegmentBatch {
  time: Uint32Array;
  selected: Uint8Array;
  outcome: Uint8Array;
  score: Float32Array;
  cols: { dict: readonly string[]; codes: Uint16Array }[];
  inter: { dict: string[]; codes: Uint16Array } | null;
}

/**
 * The segment's rows [lo, hi) (`at` null: viewed, not copied) or at positions `at` (copied),
 * with late outcomes patched in; null when the intersection has more combinations than u16
 * codes name (the caller reads rows).
 */
function segmentBatch(data: SegmentColumns, deltas: readonly OutcomeDelta[], lo: number, hi: number, at: Uint32Array | null): SegmentBatch | null {
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

/** Adds (sign 1) or takes away (−1) a batch in every slice. */
function addBatch(s: Accumulators, b: SegmentBatch, sign: 1 | -1): void {
  // Scores prepared once for every slice the segment is added to.
  const prepared = createCalibrationBatch(b.score, b.outcome, s.bins);
  s.specs.forEach((spec, i) => {
    const c = spec.attributes.length === 1 ? b.cols[i]! : b.inter!;
    s.accs[i]!.addEncoded(c.dict, c.codes, b.selected, b.outcome, prepared, sign);
  });
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
      source, s, h, segments, flowKey, attributes, from: f, to: t, pageSize,
      addSegment: async (meta) => {
        if (!(await addSegmentColumns(source, s, h, meta, attributes, f, t))) await addSegmentRows(source, s, h, meta, attributes, f, t);
      },
    });
    return closeRead(source, flowKey, generation, async () => ({ slices: s.tables(), datasetHash: h ? await h.digest() : "", rows: h?.rows ?? 0 }));
  }

  return windowReaderOver((flowKey, ...rest) => consistentRead(() => read(flowKey, ...rest), flowKey));
}
