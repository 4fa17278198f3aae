/**
 * @module engine/dataset-hash
 * The dataset hash of an evaluation: SHA-256 over exactly the traces it counted, in a
 * canonical order, so the same window always hashes the same and an auditor can tell
 * whether two evaluations saw the same data. The window readers compute it in the same
 * pass that fills the slice tables, on the row and the columnar path alike: it never
 * costs a second read of the window.
 *
 * Canonical rows (format `fairgate-dataset/2`): the window's usable traces — those
 * carrying at least one evaluated sensitive attribute, i.e. the rows the slice tables
 * count — in (UTC day, seq) order, the order packed segments already store a day in.
 * WebCrypto has no incremental digest, so the rows are cut into chunks of CHUNK_ROWS
 * consecutive rows (a boundary that depends on the canonical rows alone, never on pages
 * or segments). A chunk of n rows is hashed as these blocks, column by column (so a
 * segment's columns are copied, not re-encoded row by row), little-endian:
 *
 *   days: u32 run count, then per run of consecutive rows on the same UTC day u32 day, u32 rows
 *   · u32[n] ms of day · u8[n] selected · u8[n] outcome after late-outcome deltas (0, 1,
 *   255 = unknown) · f32[n] score as segments store it (none: NaN 0x7fc00000)
 *   · per evaluated attribute (policy order): u16[n] label number, 0xffff when the row does
 *   not carry it · per attribute: u32 label count, then each label as u32 byte length +
 *   UTF-8, numbered in order of first appearance in the chunk.
 *
 * dataset hash = hex SHA-256(UTF-8 `fairgate-dataset/2\n${JSON attributes}\n${rows}\n` ‖ chunk digests).
 * About 12 bytes a row for one attribute: SHA-256 runs at ~1 GB/s, so bytes are kept few.
 */
import { toHex } from "../domain/hex.js";
import { sha256OfParts } from "./sha256.js";

/** Names the canonical form; part of the hashed header, so a format change changes every hash. */
export const DATASET_HASH_FORMAT = "fairgate-dataset/2";
/** Rows per hashed chunk (~400 KiB for one attribute; below 0xffff so label numbers fit u16). Part of the format. */
export const CHUNK_ROWS = 32_768;
const ABSENT = 0xffff;
/** "No label number yet" in columns()' per-segment code maps. */
const UNSET = -2;
/** The one NaN bit pattern scores are hashed with (stored f32 NaNs may carry others). */
const NAN_BITS = 0x7fc00000;
/**
 * Chunk digests in flight before the writer waits for them: they run off the main thread
 * (Node's thread pool) while the reader goes on; each holds a copy of its chunk (~400 KiB).
 */
const MAX_PENDING = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const encoder = new TextEncoder();

/** One segment attribute column: codes index `dict`; code dict.length means "absent". */
export interface CodedColumn {
  dict: readonly string[];
  codes: Uint16Array;
}

/** Accumulates the canonical rows chunk by chunk; `digest()` gives the dataset hash. */
export interface DatasetHasher {
  /** Appends one usable row; `labels` has one entry per evaluated attribute (null: absent). */
  row(day: number, time: number, selected: number, outcome: number, score: number, labels: readonly (string | null)[]): void;
  /**
   * Appends a segment's rows of one day, already in canonical order and cut to the window;
   * rows carrying none of the attributes are skipped here.
   */
  columns(day: number, time: Uint32Array, selected: Uint8Array, outcome: Uint8Array, score: Float32Array, cols: readonly CodedColumn[]): void;
  /** Rows so far. */
  readonly rows: number;
  /** Waits for chunk digests when too many are in flight (call between batches). */
  settle(): Promise<void>;
  /** The dataset hash (lowercase hex). Call once, after the last row. */
  digest(): Promise<string>;
}

// The per-row loops live in small, monomorphic functions: V8 optimizes those on first
// use, where one large function would run unoptimized through the first evaluations.

/**
 * dst[base + r] = mp[src[r]] for r in [from, to), stopping at the first code whose label
 * has no number yet (UNSET); returns that r, or `to`.
 */
function mapCodes(src: Uint16Array, from: number, to: number, mp: Int32Array, dst: Uint16Array, base: number): number {
  for (let r = from; r < to; r++) {
    const x = mp[src[r]!]!;
    if (x === UNSET) return r;
    dst[base + r] = x;
  }
  return to;
}

/** Positions of the rows carrying at least one attribute, or null when every row does. */
function unusableRows(codes: readonly Uint16Array[], sizes: readonly number[], m: number): Uint32Array | null {
  const usable = (r: number) => codes.some((c, j) => c[r]! < sizes[j]!);
  let r = 0;
  if (codes.length === 1) {
    const c = codes[0]!;
    const absent = sizes[0]!;
    while (r < m && c[r]! < absent) r++;
  } else while (r < m && usable(r)) r++;
  if (r === m) return null;
  const keep = new Uint32Array(m);
  let q = 0;
  for (let x = 0; x < m; x++) if (usable(x)) keep[q++] = x;
  return keep.subarray(0, q);
}

/** a[keep[0]], a[keep[1]], … as a new array of a's type. */
function gather<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array>(a: T, keep: Uint32Array): T {
  const out = new (a.constructor as new (n: number) => T)(keep.length);
  for (let q = 0; q < keep.length; q++) out[q] = a[keep[q]!]!;
  return out;
}

/** Rewrites every f32 NaN among bits[0, n) to the canonical NAN_BITS. */
function canonicalNaNs(bits: Uint32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const b = bits[i]!;
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) bits[i] = NAN_BITS;
  }
}

/** Copies the first n u16/u32 words into `out` at `off`, little-endian. */
function putWords(out: Uint8Array, off: number, words: Uint16Array | Uint32Array, n: number): void {
  const size = words.BYTES_PER_ELEMENT;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(words.buffer, words.byteOffset, n * size), off);
  else {
    const v = new DataView(out.buffer, out.byteOffset);
    for (let i = 0; i < n; i++) {
      if (size === 2) v.setUint16(off + 2 * i, words[i]!, true);
      else v.setUint32(off + 4 * i, words[i]!, true);
    }
  }
}

/**
 * A hasher for the evaluated `attributes` (in policy order). `chunkRows` is part of the
 * format: only tests pass another value, to exercise chunk boundaries on small data.
 */
export function createDatasetHasher(attributes: readonly string[], chunkRows = CHUNK_ROWS): DatasetHasher {
  if (chunkRows > 0xfffe) throw new RangeError("chunkRows must leave room for u16 label numbers");
  const k = attributes.length;
  const cap = chunkRows;
  const time = new Uint32Array(cap);
  const selected = new Uint8Array(cap);
  const outcome = new Uint8Array(cap);
  const score = new Float32Array(cap);
  const scoreBits = new Uint32Array(score.buffer);
  const label = attributes.map(() => new Uint16Array(cap));
  const tables = attributes.map(() => ({ names: [] as string[], index: new Map<string, number>() }));
  let runs: number[] = [];
  let chunkBuf = new Uint8Array(0);
  let n = 0;
  let rows = 0;
  /** Bumped at every cut: label numbers cached by `columns()` are only valid within one chunk. */
  let generation = 0;
  const digests: Uint8Array[] = [];
  let pending: Promise<Uint8Array>[] = [];

  /** Counts `count` more rows on `d` in the chunk's day runs. */
  const onDay = (d: number, count: number) => {
    if (runs.length > 0 && runs[runs.length - 2] === d) runs[runs.length - 1]! += count;
    else runs.push(d, count);
  };
  const number = (j: number, name: string): number => {
    const t = tables[j]!;
    let x = t.index.get(name);
    if (x === undefined) {
      x = t.names.length;
      t.names.push(name);
      t.index.set(name, x);
    }
    return x;
  };
  const cut = () => {
    canonicalNaNs(scoreBits, n);
    const names = tables.map((t) => t.names.map((x) => encoder.encode(x)));
    const labelBytes = names.reduce((sum, l) => sum + 4 + l.reduce((x, b) => x + 4 + b.length, 0), 0);
    // One buffer for every chunk: WebCrypto copies its input when digest() is called.
    const size = 4 + 4 * runs.length + n * (10 + 2 * k) + labelBytes;
    if (chunkBuf.length < size) chunkBuf = new Uint8Array(Math.max(size, 2 * chunkBuf.length));
    const out = chunkBuf.subarray(0, size);
    const v = new DataView(out.buffer, 0, size);
    v.setUint32(0, runs.length / 2, true);
    runs.forEach((x, i) => v.setUint32(4 + 4 * i, x, true));
    let off = 4 + 4 * runs.length;
    putWords(out, off, time, n);
    out.set(selected.subarray(0, n), off + 4 * n);
    out.set(outcome.subarray(0, n), off + 5 * n);
    putWords(out, off + 6 * n, scoreBits, n);
    off += 10 * n;
    for (const l of label) {
      putWords(out, off, l, n);
      off += 2 * n;
    }
    for (const list of names) {
      v.setUint32(off, list.length, true);
      off += 4;
      for (const b of list) {
        v.setUint32(off, b.length, true);
        out.set(b, off + 4);
        off += 4 + b.length;
      }
    }
    // A small chunk is hashed at once (out is overwritten by the next cut), a large one by
    // WebCrypto, which copies its input when called.
    pending.push(sha256OfParts([out]));
    for (const t of tables) {
      t.names = [];
      t.index.clear();
    }
    runs = [];
    n = 0;
    generation++;
  };
  const drain = async () => {
    digests.push(...(await Promise.all(pending)));
    pending = [];
  };

  return {
    row(d, t, sel, out, s, labels) {
      onDay(d, 1);
      time[n] = t;
      selected[n] = sel;
      outcome[n] = out;
      score[n] = s;
      for (let j = 0; j < k; j++) {
        const l = labels[j] ?? null;
        label[j]![n] = l === null ? ABSENT : number(j, l);
      }
      rows++;
      if (++n === cap) cut();
    },
    columns(d, t, sel, out, s, cols) {
      const sizes = cols.map((c) => c.dict.length);
      let codes = cols.map((c) => c.codes);
      // Rows carrying none of the attributes are not counted: drop them first (rare), so the
      // loop below only copies.
      const keep = unusableRows(codes, sizes, sel.length);
      if (keep) {
        [t, sel, out, s] = [gather(t, keep), gather(sel, keep), gather(out, keep), gather(s, keep)];
        codes = codes.map((c) => gather(c, keep));
      }
      const m = sel.length;
      // Label number per segment code, valid while `gen` is the current chunk: UNSET until
      // first seen; the absent code (dict.length) maps to -1, i.e. 0xffff once stored as u16.
      const maps = sizes.map((size) => new Int32Array(size + 1));
      let gen = -1;
      for (let i = 0; i < m; ) {
        if (gen !== generation) {
          maps.forEach((mp, j) => ((mp.fill(UNSET)[sizes[j]!] = -1)));
          gen = generation;
        }
        const end = Math.min(m, i + (cap - n));
        onDay(d, end - i);
        time.set(t.subarray(i, end), n);
        selected.set(sel.subarray(i, end), n);
        outcome.set(out.subarray(i, end), n);
        score.set(s.subarray(i, end), n);
        for (let j = 0; j < codes.length; j++) {
          const src = codes[j]!;
          const mp = maps[j]!;
          // Hot loop in a small function (optimizes at once); it stops at a label not yet numbered.
          for (let r = i; (r = mapCodes(src, r, end, mp, label[j]!, n - i)) < end; ) mp[src[r]!] = number(j, cols[j]!.dict[src[r]!]!);
        }
        n += end - i;
        rows += end - i;
        i = end;
        if (n === cap) cut();
      }
    },
    get rows() {
      return rows;
    },
    async settle() {
      if (pending.length >= MAX_PENDING) await drain();
    },
    async digest() {
      if (n > 0) cut();
      await drain();
      const header = encoder.encode(`${DATASET_HASH_FORMAT}\n${JSON.stringify(attributes)}\n${rows}\n`);
      return toHex(await sha256OfParts([header, ...digests]));
    },
  };
}
