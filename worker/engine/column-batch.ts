/**
 * @module engine/column-batch
 * Rows as the accumulators and the dataset hash take them column-wise: shared columns (time
 * of day, selected, outcome after late outcomes, f32 score), each attribute's codes over its
 * own dictionary, and the intersection's codes. A segment's rows (engine/columnar-window) and
 * a page of the unpacked tail (tailBatch) both become one, so the tail is counted by the
 * kernels and hashed by `DatasetHasher.columns` as a segment is, not one object per trace.
 */
import { intersectionValue } from "../domain/slices.js";
import { createCalibrationBatch } from "./calibration-accumulator.js";
import type { CodedColumn } from "./dataset-hash.js";
import { OUTCOME_UNKNOWN } from "./kernels/types.js";
import type { TailPage } from "./ports.js";
import { DAY_MS } from "./segment-codec.js";
import { createLabeller, type createSliceAccumulators } from "./window.js";
import { dayOf } from "./window-hash.js";

export type Accumulators = ReturnType<typeof createSliceAccumulators>;
/** Kernel group codes are u16 and code dict.length means "absent": at most 65,535 values. */
export const MAX_CODES = 65_535;
const ABSENT_MARK = 0xffff;

/** Rows as the accumulators take them: shared columns, each attribute's codes, the intersection's. */
export interface ColumnBatch {
  /** Ms of each row's UTC day. */
  time: Uint32Array;
  selected: Uint8Array;
  outcome: Uint8Array;
  score: Float32Array;
  cols: CodedColumn[];
  /** The intersection's codes (null: one attribute). */
  inter: { dict: string[]; codes: Uint16Array } | null;
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

/** Adds (sign 1) or takes away (−1) a batch in every slice. */
export function addBatch(s: Accumulators, b: ColumnBatch, sign: 1 | -1): void {
  // Scores prepared once for every slice the segment is added to.
  const prepared = createCalibrationBatch(b.score, b.outcome, s.bins);
  s.specs.forEach((spec, i) => {
    const c = spec.attributes.length === 1 ? b.cols[i]! : b.inter!;
    s.accs[i]!.addEncoded(c.dict, c.codes, b.selected, b.outcome, prepared, sign);
  });
}

/**
 * A tail page as one batch. Its traces repeat few distinct group lists, so labels, each
 * attribute's code and the intersection's are worked out once per list and looked up per
 * trace. Codes stay below MAX_CODES as long as the page has fewer traces than that (the
 * merge's pages do).
 */
export function tailBatch(page: TailPage, k: number): ColumnBatch {
  const n = page.seq.length;
  const lists = page.groupLists;
  const label = createLabeller();
  const labels = lists.map((list) => Array.from({ length: k }, (_, j) => label(list[j] ?? null)));
  /** Codes per list over a dictionary of the values `valueOf` gives (null: absent), in order of first appearance. */
  const coded = (valueOf: (ls: (string | null)[]) => string | null): { dict: string[]; codes: Uint16Array } => {
    const index = new Map<string, number>();
    const dict: string[] = [];
    const values = labels.map(valueOf);
    for (const v of values) if (v !== null && !index.has(v)) index.set(v, dict.push(v) - 1);
    const byList = values.map((v) => (v === null ? dict.length : index.get(v)!));
    const codes = new Uint16Array(n);
    for (let i = 0; i < n; i++) codes[i] = byList[page.groupOf[i]!]!;
    return { dict, codes };
  };
  const cols = Array.from({ length: k }, (_, j) => coded((ls) => ls[j]!));
  const inter = k > 1 ? coded((ls) => (ls.every((l) => l !== null) ? intersectionValue(ls as string[]) : null)) : null;
  const time = new Uint32Array(n);
  const selected = new Uint8Array(n);
  const outcome = new Uint8Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = page.createdAt[i]!;
    time[i] = t - dayOf(t) * DAY_MS;
    selected[i] = page.selected[i]!;
    const c = page.converted[i]!;
    outcome[i] = c === null ? OUTCOME_UNKNOWN : c;
    const x = page.score[i]!;
    score[i] = x === null ? NaN : x;
  }
  return { time, selected, outcome, score, cols, inter };
}
