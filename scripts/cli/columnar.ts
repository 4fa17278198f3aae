/**
 * @module scripts/cli/columnar
 * Feeds column batches (Parquet, Arrow IPC, the CSV byte path) into the slices, with
 * the row path's rules: a sensitive value is grouped by the shared `groupLabel`
 * (parseGroup), labels and decisions are 0/1/true/false (parseBinary), scores are finite
 * numbers (parseScore), and a bad cell is one error naming file, row (or line) and column.
 * Dictionary columns are interpreted once per dictionary entry, not per row, and the
 * confusion counts still come from the kernels (Slice.addEncoded) — the reader only decodes.
 */
import { BOOL_NULL, type Cell, cellAt, type ColumnBatch, type DecodedColumn } from "../../worker/engine/sources/columns.js";
import { OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";
import { intersectionValue } from "../../worker/domain/slices.js";
import { CellError, parseBinary, parseGroup, parseScore, type Slice, TooManyGroupsError } from "./encode.js";
import { at, type InputError } from "./errors.js";

/** How the selected bit is obtained: a decision column, or a score against a cut (`above`: strictly greater). */
export type BatchSelection = { kind: "decision" } | { kind: "score"; threshold: number; above: boolean };

export interface BatchSinkOptions {
  slices: Slice[];
  /** Number of sensitive attributes: batch columns [0, k) are the attributes. */
  attributes: number;
  /** Batch column of the label, or -1. The selection column is the last one. */
  labelAt: number;
  selection: BatchSelection;
  /** Column names, for messages. */
  columns: string[];
  /** The input file, for messages. */
  file: string;
}

/** What a reader hands batches to: the sink, and what the CSV byte path must know of it. */
export interface BatchSink {
  add(batch: ColumnBatch): void;
  /** Batch columns to parse as numbers (the score). */
  numeric: ReadonlySet<number>;
  /** A numeric CSV cell that is not a number: the row path's message, at file:line. */
  badNumber(line: number, column: number, text: string): never;
}

/** Where row `i` of a batch is, for a message: `file:line:` (CSV) or `file: row N:`; i < 0: the file. */
export function batchRowError(file: string, batch: ColumnBatch, i: number, message: string): InputError {
  if (i < 0) return at(file, null, message);
  return batch.lines ? at(file, batch.lines[i]!, message) : at(file, null, `row ${batch.firstRow + i + 1}: ${message}`);
}

/** Entry code of a binary cell that is not 0/1/true/false. */
const INVALID = 254;

/** Per-dictionary work, cached on the dictionary's identity (a CSV dictionary grows: extended). */
interface EntryCache<T> {
  done: number;
  values: T;
}

/** Group codes of one attribute for one batch: `codes[i]` indexes `labels`, labels.length = absent. */
interface Grouped {
  labels: string[];
  codes: Uint16Array;
}

/** out[i] = table[src[i]] for byte codes (monomorphic loops: the hot path of dictionary columns). */
function mapBytesU16(src: Uint8Array, table: Uint16Array, out: Uint16Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
}
function mapBytesU8(src: Uint8Array, table: Uint8Array, out: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = table[src[i]!]!;
}

/**
 * The OR of all byte codes (an upper bound of the largest), four bytes at a time; -1 when
 * the array is not word-aligned (then the caller maps byte by byte).
 */
function orBytes(src: Uint8Array): number {
  if (src.byteOffset % 4 !== 0) return -1;
  const words = new Uint32Array(src.buffer, src.byteOffset, src.length >> 2);
  let or = 0;
  for (let i = 0; i < words.length; i++) or |= words[i]!;
  for (let i = words.length * 4; i < src.length; i++) or |= src[i]!;
  return (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 0xff;
}

/** out = src XOR 1 for 0/1 bytes, a word at a time (a [1, 0] dictionary: the first row was a 1). */
function flipBits(src: Uint8Array, out: Uint8Array, n: number): void {
  const whole = n & ~3;
  if (out.byteOffset % 4 === 0) {
    const s = new Uint32Array(src.buffer, src.byteOffset, whole >> 2);
    const o = new Uint32Array(out.buffer, out.byteOffset, whole >> 2);
    for (let i = 0; i < s.length; i++) o[i] = s[i]! ^ 0x01010101;
  } else for (let i = 0; i < whole; i++) out[i] = src[i]! ^ 1;
  for (let i = whole; i < n; i++) out[i] = src[i]! ^ 1;
}

/** A cell as parseGroup/parseBinary/parseScore expect it (bigints as numbers or text). */
const plain = (c: Cell): unknown => (typeof c === "bigint" ? (Number.isSafeInteger(Number(c)) ? Number(c) : c.toString()) : c);

export function createBatchSink(o: BatchSinkOptions): BatchSink {
  const selAt = o.columns.length - 1;
  const groupCaches = new WeakMap<readonly Cell[], EntryCache<{ map: number[]; labels: string[]; index: Map<string, number> }>>();
  const binaryCaches = new WeakMap<readonly Cell[], EntryCache<Uint8Array>>();
  const scoreCaches = new WeakMap<readonly Cell[], EntryCache<Float64Array>>();
  let outcomeBuf = new Uint8Array(0);
  let selectedBuf = new Uint8Array(0);
  let scoreBuf = new Float64Array(0);
  let score32 = new Float32Array(0);
  // Group codes per attribute and for the intersection, reused batch after batch.
  let codeBufs: Uint16Array[] = [];

  /** Throws the first row of `col` whose cell `bad` rejects, with parse's message. */
  const failAt = (batch: ColumnBatch, c: number, i: number, message: string): never => {
    throw batchRowError(o.file, batch, i, `column ${JSON.stringify(o.columns[c])} ${message}`);
  };
  const cellMessage = (parse: (v: unknown) => unknown, cell: Cell): string => {
    try {
      parse(plain(cell));
    } catch (err) {
      if (err instanceof CellError) return err.message;
      throw err;
    }
    return "is invalid";
  };

  /** parseGroup of each entry once; rows map through a table. */
  function grouped(batch: ColumnBatch, c: number): Grouped {
    const col = batch.columns[c]!;
    const n = batch.length;
    const codes = codeBufs[c]!.subarray(0, n);
    if (col.kind === "dict") {
      let cache = groupCaches.get(col.dict);
      if (!cache) groupCaches.set(col.dict, (cache = { done: 0, values: { map: [], labels: [], index: new Map() } }));
      const { map, labels, index } = cache.values;
      for (; cache.done < col.dict.length; cache.done++) {
        const label = parseGroup(plain(col.dict[cache.done]!));
        if (label === null) map.push(-1);
        else {
          let code = index.get(label);
          if (code === undefined) {
            if (labels.length >= 65_535) throw new TooManyGroupsError(`more than 65,535 distinct values for ${JSON.stringify(o.columns[c])}`);
            index.set(label, (code = labels.length));
            labels.push(label);
          }
          map.push(code);
        }
      }
      // Absent (null or empty) rows get labels.length, known only once the table is built.
      const absent = labels.length;
      const table = Uint16Array.from(map, (m) => (m === -1 ? absent : m));
      const src = col.codes;
      const size = table.length;
      let identity = src instanceof Uint8Array && absent === size;
      for (let k = 0; identity && k < size; k++) identity = table[k] === k;
      const bound = identity ? (col.max ?? orBytes(src as Uint8Array)) : -1;
      if (bound !== -1 && bound <= size) {
        // Entry k is group k and the null code is `absent`: the page's codes are the group
        // codes, widened by one native copy (measured 25× faster than the table loop).
        codes.set(src);
      } else if (src instanceof Uint8Array) {
        // Byte codes (dictionaries under 255 entries): a full 256-entry table, no branch.
        const t = new Uint16Array(256).fill(absent);
        t.set(table.subarray(0, Math.min(size, 256)));
        mapBytesU16(src, t, codes, n);
      } else {
        for (let i = 0; i < n; i++) {
          const k = src[i]!;
          codes[i] = k < size ? table[k]! : absent;
        }
      }
      return { labels: labels.slice(), codes };
    }
    // Booleans and numbers: a dictionary of this batch's distinct values.
    const index = new Map<string, number>();
    const labels: string[] = [];
    const rowLabels: (string | null)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const label = parseGroup(plain(cellAt(col, i)));
      rowLabels[i] = label;
      if (label !== null && !index.has(label)) {
        index.set(label, labels.length);
        labels.push(label);
      }
    }
    for (let i = 0; i < n; i++) codes[i] = rowLabels[i] === null ? labels.length : index.get(rowLabels[i]!)!;
    return { labels, codes };
  }

  /** A 0/1/true/false column as bytes 0, 1, or 255 (null); `required` rejects nulls. */
  function binary(batch: ColumnBatch, c: number, out: Uint8Array, emptyMessage: string | null): Uint8Array {
    const col = batch.columns[c]!;
    const n = batch.length;
    if (col.kind === "bool") {
      // Already 0/1/255: the column is the kernel's input as it is.
      if (emptyMessage !== null && !(col.max !== undefined && col.max < BOOL_NULL)) {
        const i = col.values.indexOf(BOOL_NULL);
        if (i !== -1) failAt(batch, c, i, emptyMessage);
      }
      return col.values;
    }
    if (col.kind === "dict") {
      let cache = binaryCaches.get(col.dict);
      if (!cache) binaryCaches.set(col.dict, (cache = { done: 0, values: new Uint8Array(16) }));
      if (cache.values.length < col.dict.length + 1) {
        const grown = new Uint8Array(Math.max(col.dict.length + 1, cache.values.length * 2));
        grown.set(cache.values);
        cache.values = grown;
      }
      const lut = cache.values;
      for (; cache.done < col.dict.length; cache.done++) {
        try {
          lut[cache.done] = parseBinary(plain(col.dict[cache.done]!)) ?? OUTCOME_UNKNOWN;
        } catch (err) {
          if (!(err instanceof CellError)) throw err;
          lut[cache.done] = INVALID;
        }
      }
      const size = col.dict.length;
      lut[size] = OUTCOME_UNKNOWN; // the null code (any code past the dictionary)
      const src = col.codes;
      // A [0, 1] (or [0], [1]-free) dictionary of bytes without nulls: the codes are the bytes.
      if (src instanceof Uint8Array && size <= 2 && lut[0] === 0 && (size === 1 || lut[1] === 1) && (col.max !== undefined ? col.max < size : src.indexOf(size) === -1)) return src;
      if (src instanceof Uint8Array && size === 2 && lut[0] === 1 && lut[1] === 0 && (src.byteOffset & 3) === 0 && (col.max ?? orBytes(src)) <= 1) {
        flipBits(src, out, n); // a [1, 0] dictionary without nulls: 1 − code
        return out.subarray(0, n); // 0s and 1s only: nothing invalid or empty to look for
      } else if (src instanceof Uint8Array) {
        const t = new Uint8Array(256).fill(OUTCOME_UNKNOWN);
        t.set(lut.subarray(0, Math.min(size, 256)));
        mapBytesU8(src, t, out, n);
      } else {
        for (let i = 0; i < n; i++) {
          const k = src[i]!;
          out[i] = lut[k < size ? k : size]!;
        }
      }
      const view = out.subarray(0, n);
      if (view.indexOf(INVALID) !== -1 || (emptyMessage !== null && view.indexOf(OUTCOME_UNKNOWN) !== -1)) {
        for (let i = 0; i < n; i++) {
          if (out[i] === INVALID) failAt(batch, c, i, cellMessage(parseBinary, cellAt(col, i)));
          if (out[i] === OUTCOME_UNKNOWN && emptyMessage !== null) failAt(batch, c, i, emptyMessage);
        }
      }
      return out.subarray(0, n);
    }
    for (let i = 0; i < n; i++) {
      const cell = cellAt(col, i);
      if (cell === null) {
        if (emptyMessage !== null) failAt(batch, c, i, emptyMessage);
        out[i] = OUTCOME_UNKNOWN;
      } else if (cell === 0 || cell === 1) out[i] = cell;
      else failAt(batch, c, i, cellMessage(parseBinary, cell));
    }
    return out.subarray(0, n);
  }

  /** Finite scores; an empty or non-numeric cell is an error. */
  function scores(batch: ColumnBatch, c: number): Float64Array {
    const col = batch.columns[c]!;
    const n = batch.length;
    const empty = "is empty; every row needs a score";
    if (col.kind === "number") {
      const v = col.values;
      for (let i = 0; i < n; i++) {
        if (col.valid !== null && col.valid[i] === 0) failAt(batch, c, i, empty);
        if (!Number.isFinite(v[i]!)) failAt(batch, c, i, cellMessage(parseScore, v[i]!));
      }
      return v;
    }
    const out = scoreBuf.subarray(0, n);
    if (col.kind === "bool") {
      for (let i = 0; i < n; i++) failAt(batch, c, i, col.values[i] === BOOL_NULL ? empty : cellMessage(parseScore, cellAt(col, i)));
      return out;
    }
    let cache = scoreCaches.get(col.dict);
    if (!cache) scoreCaches.set(col.dict, (cache = { done: 0, values: new Float64Array(16) }));
    if (cache.values.length < col.dict.length) {
      const grown = new Float64Array(Math.max(col.dict.length, cache.values.length * 2));
      grown.set(cache.values);
      cache.values = grown;
    }
    const lut = cache.values;
    for (; cache.done < col.dict.length; cache.done++) {
      try {
        lut[cache.done] = parseScore(plain(col.dict[cache.done]!)) ?? NaN;
      } catch (err) {
        if (!(err instanceof CellError)) throw err;
        lut[cache.done] = NaN; // told apart from empty below, by re-parsing the cell
      }
    }
    const size = col.dict.length;
    const src = col.codes;
    let bad = false;
    for (let i = 0; i < n; i++) {
      const k = src[i]!;
      const v = k < size ? lut[k]! : NaN;
      out[i] = v;
      bad ||= v !== v;
    }
    if (bad) for (let i = 0; i < n; i++) if (out[i] !== out[i]) failAt(batch, c, i, cellAt(col, i) === null ? empty : cellMessage(parseScore, cellAt(col, i)));
    return out;
  }

  /** The intersection slice's codes: one code per distinct combination of its parts. */
  function combined(parts: Grouped[], n: number): Grouped {
    const labels: string[] = [];
    const index = new Map<number, number>();
    const codes = codeBufs[o.attributes]!.subarray(0, n);
    const radix = parts.map((p) => p.labels.length + 1);
    const pending: number[] = [];
    for (let i = 0; i < n; i++) {
      let key = 0;
      let absent = false;
      for (let p = 0; p < parts.length; p++) {
        const c = parts[p]!.codes[i]!;
        if (c === parts[p]!.labels.length) absent = true;
        key = key * radix[p]! + c;
      }
      if (absent) {
        pending.push(i);
        continue;
      }
      let code = index.get(key);
      if (code === undefined) {
        if (labels.length >= 65_535) throw new TooManyGroupsError("more than 65,535 distinct values for the intersection");
        index.set(key, (code = labels.length));
        labels.push(intersectionValue(parts.map((p) => p.labels[p.codes[i]!]!)));
      }
      codes[i] = code;
    }
    for (const i of pending) codes[i] = labels.length;
    return { labels, codes };
  }

  return {
    add(batch) {
      try {
        add(batch);
      } catch (err) {
        if (err instanceof TooManyGroupsError) throw batchRowError(o.file, batch, -1, err.message);
        throw err;
      }
    },
    numeric: new Set(o.selection.kind === "score" ? [selAt] : []),
    badNumber(line, column, text) {
      throw at(o.file, line, `column ${JSON.stringify(o.columns[column])} ${cellMessage(parseScore, text)}`);
    },
  };

  function add(batch: ColumnBatch): void {
    const n = batch.length;
    if (n === 0) return;
    if (outcomeBuf.length < n) {
      outcomeBuf = new Uint8Array(n);
      selectedBuf = new Uint8Array(n);
      scoreBuf = new Float64Array(n);
      score32 = new Float32Array(n);
      codeBufs = Array.from({ length: o.attributes + 1 }, () => new Uint16Array(n));
    }
    const groups = Array.from({ length: o.attributes }, (_, c) => grouped(batch, c));
    const outcome = o.labelAt === -1 ? outcomeBuf.subarray(0, n).fill(OUTCOME_UNKNOWN) : binary(batch, o.labelAt, outcomeBuf, null);
    let selected: Uint8Array;
    let score: Float32Array | undefined;
    if (o.selection.kind === "decision") {
      selected = binary(batch, selAt, selectedBuf, "is empty; every row needs a decision");
    } else {
      const s = scores(batch, selAt);
      const { threshold, above } = o.selection;
      selected = selectedBuf.subarray(0, n);
      score = score32.subarray(0, n);
      for (let i = 0; i < n; i++) {
        const v = s[i]!;
        selected[i] = (above ? v > threshold : v >= threshold) ? 1 : 0;
        score[i] = v;
      }
    }
    for (const slice of o.slices) {
      const g = slice.parts.length === 1 ? groups[slice.parts[0]!]! : combined(slice.parts.map((p) => groups[p]!), n);
      slice.addEncoded(g.labels, g.codes, selected, outcome, score);
    }
  }
}

/** The row view of a batch, for row-wise consumers of a columnar file (cells as the NDJSON path gives them). */
export function batchRows(batch: ColumnBatch, onRow: (row: number, cells: unknown[]) => void): void {
  const k = batch.columns.length;
  for (let i = 0; i < batch.length; i++) {
    const cells = new Array<unknown>(k);
    for (let c = 0; c < k; c++) {
      const v = plain(cellAt(batch.columns[c]! as DecodedColumn, i));
      cells[c] = v === null ? undefined : v;
    }
    onRow(batch.lines ? batch.lines[i]! : batch.firstRow + i + 1, cells);
  }
}
