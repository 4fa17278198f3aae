/**
 * @module engine/columnar-window
 * The columnar path: a window is its packed segments (BLOB columns fed straight
 * to the kernels, one segment at a time so memory stays bounded) plus the
 * not-yet-packed tail read row-wise. Late outcomes are merged from deltas.
 * Several attributes are read in one pass: each segment's column per attribute,
 * and for the intersection the attributes' codes combined row by row.
 * Must give exactly the row path's tables on the same data (contract-tested).
 */
import type { ConfusionTable } from "../domain/confusion.js";
import { intersectionValue } from "../domain/slices.js";
import type { SegmentMeta, SegmentStore } from "../store/tenant/segments.js";
import type { TraceStore } from "../store/tenant/traces.js";
import type { Kernels } from "./kernels/types.js";
import { blobBytes, blobView, DAY_MS } from "./segment-codec.js";
import { addSliceRows, createSliceAccumulators, readRowsInto, type WindowReader } from "./window.js";

type Accumulators = ReturnType<typeof createSliceAccumulators>;
/** Kernel group codes are u16 and code dict.length means "absent": at most 65,535 values. */
const MAX_CODES = 65_535;

/** Positions of the entries whose time lies in [from, to). */
function keptPositions(time: Uint32Array, dayStart: number, from: number, to: number): Uint32Array {
  const keep = new Uint32Array(time.length);
  let n = 0;
  for (let i = 0; i < time.length; i++) {
    const t = dayStart + time[i]!;
    if (t >= from && t < to) keep[n++] = i;
  }
  return keep.subarray(0, n);
}

function pick<T extends Uint8Array | Uint16Array | Float32Array>(a: T, at: Uint32Array | null): T {
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
  const raw = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let key = 0;
    let mult = 1;
    let absent = false;
    for (let j = 0; j < cols.length; j++) {
      const c = cols[j]!.codes[i]!;
      if (c >= sizes[j]!) {
        absent = true;
        break;
      }
      key += c * mult;
      mult *= sizes[j]!;
    }
    if (absent) {
      raw[i] = -1;
      continue;
    }
    let code = flat ? flat[key]! : (map!.get(key) ?? -1);
    if (code < 0) {
      if (dict.length >= MAX_CODES) return null;
      code = dict.length;
      dict.push(intersectionValue(cols.map((c) => c.dict[c.codes[i]!]!)));
      if (flat) flat[key] = code;
      else map!.set(key, code);
    }
    raw[i] = code;
  }
  const codes = new Uint16Array(n);
  for (let i = 0; i < n; i++) codes[i] = raw[i]! < 0 ? dict.length : raw[i]!;
  return { dict, codes };
}

/** Creates the columnar window reader over a tenant's segment and trace stores. */
export function createColumnarWindowReader(stores: { traces: TraceStore; segments: SegmentStore }, kernels: Kernels): WindowReader {
  /** Adds one segment to every slice; false when it must be read row-wise instead. */
  async function addSegment(s: Accumulators, meta: SegmentMeta, attributes: readonly string[], from: number, to: number): Promise<boolean> {
    // An attribute too diverse to pack in this segment: its rows are the only source.
    if (attributes.some((a) => meta.unpackedAttributes.includes(a))) return false;
    const data = await stores.traces.loadSegmentColumns(meta, attributes);
    // Copy: late outcomes are patched in without touching the stored bytes.
    let outcome = new Uint8Array(blobBytes(data.outcome));
    for (const d of await stores.segments.deltas(meta.id)) outcome[d.pos] = d.outcome;
    const at = meta.createdMin < from || meta.createdMax >= to ? keptPositions(blobView(data.time, Uint32Array), meta.day * DAY_MS, from, to) : null;
    outcome = pick(outcome, at);
    const selected = pick(blobBytes(data.selected), at);
    const score = pick(blobView(data.score, Float32Array), at);
    // A missing column means no trace of the segment carries the attribute: every code is "absent".
    const cols = data.columns.map((c) => (c ? { dict: c.dict, codes: pick(blobView(c.codes, Uint16Array), at) } : { dict: [] as string[], codes: new Uint16Array(selected.length) }));
    const inter = cols.length > 1 ? combineCodes(cols) : null;
    if (cols.length > 1 && !inter) return false;
    s.specs.forEach((spec, i) => {
      const c = spec.attributes.length === 1 ? cols[i]! : inter!;
      s.accs[i]!.addEncoded(c.dict, c.codes, selected, outcome, score);
    });
    return true;
  }

  const reader: WindowReader = {
    async confusionTable(flowKey, attribute, from, to): Promise<ConfusionTable> {
      return (await reader.sliceTables(flowKey, [attribute], from, to))[0]!.table;
    },
    async sliceTables(flowKey, attributes, from, to, o = {}) {
      const f = from.getTime();
      const t = to.getTime();
      const s = createSliceAccumulators(kernels, attributes, o);
      for (const meta of await stores.segments.listForWindow(flowKey, f, t)) {
        if (await addSegment(s, meta, attributes, f, t)) continue;
        addSliceRows(s, (await stores.traces.segmentSliceRows(meta.id, attributes)).filter((r) => r.createdAt >= f && r.createdAt < t));
      }
      await readRowsInto(s, stores.traces, flowKey, attributes, f, t, { unpackedOnly: true });
      return s.tables();
    },
  };
  return reader;
}
