/**
 * @module engine/segment-summary
 * A packed segment's sufficient statistics and content hashes, computed once (at pack
 * time, or on the first read of a segment packed without them) and stored next to it
 * (store/tenant/segment-summaries.ts, migration 0011).
 *
 * A slice summary holds exactly what the window readers would accumulate from the
 * segment's rows for that slice: the 8 confusion fields per group and the calibration
 * bins (labeled scored traces, positives, score sums in integer units). Plain loops, no
 * kernels: it runs once per segment, and being a second, independent count it is what
 * the contract test holds against the kernel paths. Outcome deltas are added to stored
 * summaries by the delta's own commit (the store), so a summary never needs recomputing.
 *
 * Content hashes (the Merkle leaf inputs of `fairgate-dataset/3`, docs/evidence.md):
 *   content = SHA-256(UTF-8 "fairgate-segment/1\n" ‖ u32 day ‖ u32 n ‖ u32[n] ms of day
 *             ‖ u8[n] selected ‖ u8[n] outcome as packed ‖ f32[n] score, NaN as 0x7fc00000)
 *   column  = SHA-256(UTF-8 "fairgate-column/1\n" + attribute + "\n" ‖ u32 label count
 *             ‖ each label as u32 byte length + UTF-8 ‖ u16[n] codes), all little-endian.
 */
import { scoreBin, scoreUnits } from "../domain/calibration.js";
import { sha256HexOfParts } from "../domain/hex.js";
import { combineCodes } from "./column-batch.js";
import type { CodedColumn } from "./dataset-hash.js";
import { OUTCOME_UNKNOWN } from "./kernels/types.js";

/** One slice's statistics over one segment (the stored JSON body). */
export interface SliceSummary {
  /** Group labels of the groups with at least one trace, sorted. */
  v: string[];
  /** Per group, in `v` order: n, selected, labeled, positives, tp, fp, fn, tn. */
  c: number[];
  /** Per group × bin: labeled traces with a score, their positives, their score sums (integer units). */
  k: number[];
  p: number[];
  s: number[];
}

/** The key a slice summary is stored under: its JSON attribute list. */
export const summaryKey = (attributes: readonly string[]) => JSON.stringify(attributes);

const encoder = new TextEncoder();
const NAN_BITS = 0x7fc00000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Counts one coded column (code dict.length = absent) into a summary. */
export function summariseCoded(col: CodedColumn, selected: Uint8Array, outcome: Uint8Array, score: Float32Array, bins: number): SliceSummary {
  const g = col.dict.length;
  const c = new Float64Array(g * 8);
  const k = new Float64Array(g * bins);
  const p = new Float64Array(g * bins);
  const s = new Float64Array(g * bins);
  for (let i = 0; i < col.codes.length; i++) {
    const x = col.codes[i]!;
    if (x >= g) continue;
    const o = outcome[i]!;
    const sel = selected[i]! !== 0;
    const f = x * 8;
    c[f]!++;
    if (sel) c[f + 1]!++;
    if (o === OUTCOME_UNKNOWN) continue;
    c[f + 2]!++;
    if (o === 1) c[f + 3]!++;
    if (o === 1) c[f + (sel ? 4 : 6)]!++;
    else if (o === 0) c[f + (sel ? 5 : 7)]!++;
    // Calibration counts labels 0 and 1 only, as the calibration accumulator does.
    if (o > 1) continue;
    const b = scoreBin(score[i]!, bins);
    if (b < 0) continue;
    k[x * bins + b]!++;
    if (o === 1) p[x * bins + b]!++;
    s[x * bins + b]! += scoreUnits(score[i]!);
  }
  const order = [...col.dict.keys()].filter((x) => c[x * 8]! > 0).sort((a, b) => (col.dict[a]! < col.dict[b]! ? -1 : col.dict[a]! > col.dict[b]! ? 1 : 0));
  const out: SliceSummary = { v: [], c: [], k: [], p: [], s: [] };
  for (const x of order) {
    out.v.push(col.dict[x]!);
    for (let f = 0; f < 8; f++) out.c.push(c[x * 8 + f]!);
    for (let b = 0; b < bins; b++) {
      out.k.push(k[x * bins + b]!);
      out.p.push(p[x * bins + b]!);
      out.s.push(s[x * bins + b]!);
    }
  }
  return out;
}

/**
 * Summaries of the slices `specs` (attribute lists) over a segment's columns: `columns`
 * maps an attribute to its coded column (missing: no trace carries it). Null for a slice
 * whose intersection has more combinations than u16 codes name (read row-wise instead).
 */
export function summariseSegment(
  specs: readonly (readonly string[])[],
  columns: ReadonlyMap<string, CodedColumn>,
  selected: Uint8Array,
  outcome: Uint8Array,
  score: Float32Array,
  bins: number,
): (SliceSummary | null)[] {
  const n = selected.length;
  const col = (a: string): CodedColumn => columns.get(a) ?? { dict: [], codes: new Uint16Array(n) };
  return specs.map((attrs) => {
    const c = attrs.length === 1 ? col(attrs[0]!) : combineCodes(attrs.map(col));
    return c ? summariseCoded(c, selected, outcome, score, bins) : null;
  });
}

function words(a: Uint16Array | Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const v = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a.BYTES_PER_ELEMENT === 2) v.setUint16(2 * i, a[i]!, true);
    else v.setUint32(4 * i, a[i]!, true);
  }
  return out;
}

/** The segment's content hash over its shared columns as packed (outcomes before any delta). */
export async function segmentContentHash(day: number, time: Uint32Array, selected: Uint8Array, outcome: Uint8Array, score: Float32Array): Promise<string> {
  const n = selected.length;
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, day, true);
  new DataView(head.buffer).setUint32(4, n, true);
  const bits = new Uint32Array(n);
  bits.set(new Uint32Array(score.buffer, score.byteOffset, n));
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) bits[i] = NAN_BITS;
  }
  return sha256HexOfParts([encoder.encode("fairgate-segment/1\n"), head, words(time), selected, outcome, words(bits)]);
}

/** The hash of one packed attribute column. */
export async function segmentColumnHash(attribute: string, dict: readonly string[], codes: Uint16Array): Promise<string> {
  const labels = dict.map((l) => encoder.encode(l));
  const list = new Uint8Array(4 + labels.reduce((x, b) => x + 4 + b.length, 0));
  const v = new DataView(list.buffer);
  v.setUint32(0, labels.length, true);
  let off = 4;
  for (const b of labels) {
    v.setUint32(off, b.length, true);
    list.set(b, off + 4);
    off += 4 + b.length;
  }
  return sha256HexOfParts([encoder.encode(`fairgate-column/1\n${attribute}\n`), list, words(codes)]);
}
