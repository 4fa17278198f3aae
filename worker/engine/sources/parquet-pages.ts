/**
 * @module engine/sources/parquet-pages
 * Decodes one Parquet data page of a flat column straight into typed arrays.
 *
 * hyparquet (the maintained reader we use for the footer, page headers, dictionaries
 * and every codec) decodes values into JavaScript arrays one DataView read at a time:
 * measured 6 M rows/s and 1.4 GB RSS on a 10 M-row file, far from what a gate in CI
 * needs. The encodings real writers use for the columns a gate reads — dictionary
 * indices, bit-packed booleans, plain fixed-width numbers, one-bit definition levels —
 * are decoded here into Uint8/Uint32/Float64 arrays instead; any other page (delta and
 * byte-stream-split encodings, converted types such as DECIMAL or DATE, plain strings)
 * goes through hyparquet's own readPage and is turned into the same column shape.
 */
import { readPage } from "hyparquet/src/column.js";
import { decompressPage } from "hyparquet/src/datapage.js";
import type { ColumnDecoder, DecodedArray, PageHeader } from "hyparquet/src/types.js";
import { BOOL_NULL, type Cell, ColumnarFileError, type DecodedColumn } from "./columns.js";

/** What the page decoder needs to know about a column. */
export interface PageColumn {
  decoder: ColumnDecoder;
  /** 1 when the column is OPTIONAL (one-bit definition levels), else 0. */
  maxDef: 0 | 1;
  /** The fast path applies: physical values are what they mean (no DECIMAL, DATE, …). */
  plainValues: boolean;
}

/** A column chunk's dictionary: hyparquet's converted values and ours. */
export interface PageDictionary {
  raw: DecodedArray;
  cells: Cell[];
}

const utf8 = new TextDecoder();

/** A value hyparquet produced, as a Cell (bytes as UTF-8 text, dates as ISO text). */
export function toCell(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return v;
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/**
 * RLE / bit-packed hybrid (Parquet's levels and dictionary indices): `count` values of
 * `width` bits from buf[pos..end) into out. Returns the position after the last run read.
 */
export function readHybrid(buf: Uint8Array, pos: number, end: number, width: number, out: Uint8Array | Uint16Array | Uint32Array, count: number): number {
  let k = 0;
  const mask = width === 32 ? 0xffffffff : (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  while (k < count) {
    if (pos >= end) throw new ColumnarFileError("corrupt page: encoded values end early");
    // ULEB128 run header.
    let header = 0;
    let shift = 0;
    for (;;) {
      const b = buf[pos++]!;
      header |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 28 || pos >= end) throw new ColumnarFileError("corrupt page: bad run header");
    }
    if ((header & 1) === 0) {
      const run = Math.min(header >>> 1, count - k);
      let v = 0;
      for (let i = 0; i < valueBytes; i++) v |= buf[pos++]! << (8 * i);
      out.fill(v >>> 0, k, k + run);
      k += run;
      continue;
    }
    // Bit-packed: groups of 8 values in `width` bytes each; the last group may be padding.
    const groups = header >>> 1;
    const runBytes = groups * width;
    if (pos + runBytes > end) throw new ColumnarFileError("corrupt page: bit-packed run past the end of the page");
    const take = Math.min(groups * 8, count - k);
    k = unpack(buf, pos, width, mask, out, k, take);
    pos += runBytes;
  }
  return pos;
}

/**
 * Byte → its unpacked values as little-endian words, for 1-, 2- and 4-bit values into a
 * byte array: one or two word stores per input byte instead of eight byte stores
 * (measured 3× faster). Built once; never written after.
 */
const SPREAD_1 = new Uint32Array(512);
const SPREAD_2 = new Uint32Array(256);
const SPREAD_4 = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  let lo = 0;
  let hi = 0;
  let two = 0;
  for (let i = 0; i < 4; i++) {
    lo |= ((b >> i) & 1) << (8 * i);
    hi |= ((b >> (i + 4)) & 1) << (8 * i);
    two |= ((b >> (2 * i)) & 3) << (8 * i);
  }
  SPREAD_1[2 * b] = lo;
  SPREAD_1[2 * b + 1] = hi;
  SPREAD_2[b] = two;
  SPREAD_4[b] = (b & 15) | ((b >> 4) << 8);
}
/** 12 bits → four 3-bit values as bytes of a word (DuckDB's width for 4-7 entries). */
const SPREAD_3 = new Uint32Array(4096);
for (let v = 0; v < 4096; v++) SPREAD_3[v] = (v & 7) | (((v >> 3) & 7) << 8) | (((v >> 6) & 7) << 16) | (((v >> 9) & 7) << 24);

/**
 * `take` bit-packed values of `width` bits from buf[pos..] into out[k..]; returns the new k.
 * Widths of 1, 2, 4 and 8 bits (booleans, levels, small dictionaries) unpack whole bytes.
 */
function unpack(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // One small function per width: each is optimised (and on-stack replaced) on its own and
  // sees one kind of input, where one big function took ~20 ms to compile, recompiled after
  // each new width, and ran unoptimised meanwhile (most of a cold file's decode time).
  if (width === 8 && out instanceof Uint8Array) {
    out.set(buf.subarray(pos, pos + take), k);
    return k + take;
  }
  if ((width === 1 || width === 2 || width === 4) && out instanceof Uint8Array && (out.byteOffset + k) % 4 === 0) return unpackSpread(buf, pos, width, mask, out, k, take);
  if (width === 1) return unpack1(buf, pos, width, mask, out, k, take);
  if ((width === 2 || width === 4) && out instanceof Uint8Array) return unpackNibbles(buf, pos, width, mask, out, k, take);
  if (width === 3) return unpack3(buf, pos, width, mask, out, k, take);
  if (width <= 8) return unpackByteGroups(buf, pos, width, mask, out, k, take);
  if (width > 24) throw new ColumnarFileError(`unsupported bit width ${width}`);
  return unpackWide(buf, pos, width, mask, out, k, take);
}

/** 1-, 2- and 4-bit values into word-aligned bytes, through the SPREAD tables. */
function unpackSpread(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  const per = 8 / width;
  const whole = take - (take % per);
  let p = pos;
  const words = new Uint32Array(out.buffer, out.byteOffset + k, whole >> 2);
  if (width === 1) {
    for (let w = 0; w < words.length; w += 2) {
      const b = buf[p++]! << 1;
      words[w] = SPREAD_1[b]!;
      words[w + 1] = SPREAD_1[b + 1]!;
    }
  } else if (width === 2) {
    for (let w = 0; w < words.length; w++) words[w] = SPREAD_2[buf[p++]!]!;
  } else {
    const halves = new Uint16Array(out.buffer, out.byteOffset + k, whole >> 1);
    for (let h = 0; h < halves.length; h++) halves[h] = SPREAD_4[buf[p++]!]!;
  }
  k += whole;
  const b = buf[p]!;
  for (let i = 0; i < take - whole; i++) out[k++] = (b >> (i * width)) & mask;
  return k;
}

/** 1-bit values, not word-aligned. */
function unpack1(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // Not word-aligned (after an odd RLE run): eight byte stores per input byte.
  let p = pos;
  let i = 0;
  for (; i + 8 <= take; i += 8) {
    const b = buf[p++]!;
    out[k] = b & 1;
    out[k + 1] = (b >> 1) & 1;
    out[k + 2] = (b >> 2) & 1;
    out[k + 3] = (b >> 3) & 1;
    out[k + 4] = (b >> 4) & 1;
    out[k + 5] = (b >> 5) & 1;
    out[k + 6] = (b >> 6) & 1;
    out[k + 7] = b >> 7;
    k += 8;
  }
  for (; i < take; i++) out[k++] = (buf[pos + (i >> 3)]! >> (i & 7)) & 1;
  return k;
}

/** 2- and 4-bit values into bytes, not word-aligned. */
function unpackNibbles(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // Not word-aligned: one byte store per value, whole input bytes at a time.
  const per = 8 / width;
  let p = pos;
  let i = 0;
  for (; i + per <= take; i += per) {
    let b = buf[p++]!;
    for (let j = 0; j < per; j++) {
      out[k++] = b & mask;
      b >>= width;
    }
  }
  const b = buf[p]!;
  for (let j = 0; i < take; i++, j++) out[k++] = (b >> (j * width)) & mask;
  return k;
}

/** 3-bit values. */
function unpack3(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // DuckDB's indices into a dictionary of 4-7 entries: eight values in 24 bits.
  let p = pos;
  let i = 0;
  if (out instanceof Uint8Array && (out.byteOffset + k) % 4 === 0) {
    // Word-aligned: each group of eight is two table words, not eight byte stores.
    const groups = take >> 3;
    const words = new Uint32Array(out.buffer, out.byteOffset + k, groups * 2);
    for (let g = 0, w = 0; g < groups; g++, w += 2) {
      const v = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16);
      p += 3;
      words[w] = SPREAD_3[v & 4095]!;
      words[w + 1] = SPREAD_3[v >>> 12]!;
    }
    i = groups * 8;
    k += i;
  }
  for (; i + 8 <= take; i += 8) {
    const v = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16);
    p += 3;
    out[k] = v & 7;
    out[k + 1] = (v >> 3) & 7;
    out[k + 2] = (v >> 6) & 7;
    out[k + 3] = (v >> 9) & 7;
    out[k + 4] = (v >> 12) & 7;
    out[k + 5] = (v >> 15) & 7;
    out[k + 6] = (v >> 18) & 7;
    out[k + 7] = v >> 21;
    k += 8;
  }
  const v = (buf[p] ?? 0) | ((buf[p + 1] ?? 0) << 8) | ((buf[p + 2] ?? 0) << 16);
  for (let j = 0; i < take; i++, j++) out[k++] = (v >> (3 * j)) & 7;
  return k;
}

/** 5- to 8-bit values (and 2/4 into wider outputs). */
function unpackByteGroups(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // Eight values in `width` bytes: the group as two 32-bit words, each value cut out at
  // j × width. The shifts are the same for every group, so the branches predict.
  let p = pos;
  let i = 0;
  for (; i + 8 <= take; i += 8) {
    const lo = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24);
    const hi = width > 4 ? buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16) | (buf[p + 7]! << 24) : 0;
    p += width;
    for (let j = 0, bit = 0; j < 8; j++, bit += width) {
      const v = bit + width <= 32 ? lo >>> bit : bit >= 32 ? hi >>> (bit - 32) : (lo >>> bit) | (hi << (32 - bit));
      out[k++] = v & mask;
    }
  }
  // The last, partial group.
  let acc = 0;
  let bits = 0;
  for (; i < take; i++) {
    while (bits < width) {
      acc |= buf[p++]! << bits;
      bits += 8;
    }
    out[k++] = acc & mask;
    acc >>>= width;
    bits -= width;
  }
  return k;
}

/** 9- to 24-bit values. */
function unpackWide(buf: Uint8Array, pos: number, width: number, mask: number, out: Uint8Array | Uint16Array | Uint32Array, k: number, take: number): number {
  // A bit window of at most 31 bits: refill a byte at a time, take `width` bits.
  let p = pos;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < take; i++) {
    while (bits < width) {
      acc |= buf[p++]! << bits;
      bits += 8;
    }
    out[k++] = acc & mask;
    acc >>>= width;
    bits -= width;
  }
  return k;
}

/**
 * Definition levels of an OPTIONAL column (one bit each): null when every row is present
 * (the common case, usually one RLE run, so no array is built), else 1 = present, 0 = null.
 */
function readValidity(buf: Uint8Array, pos: number, end: number, rows: number): Uint8Array | null {
  // Fast check: RLE runs of 1s only (writers emit one or a few) covering every row.
  let p = pos;
  let covered = 0;
  while (covered < rows && p < end) {
    let header = 0;
    let shift = 0;
    for (;;) {
      const b = buf[p++];
      if (b === undefined) break;
      header |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    if ((header & 1) !== 0 || buf[p] !== 1) break;
    covered += header >>> 1;
    p++;
  }
  if (covered >= rows) return null;
  const valid = new Uint8Array(rows);
  readHybrid(buf, pos, end, 1, valid, rows);
  let present = 0;
  for (let i = 0; i < rows; i++) present += valid[i]!;
  return present === rows ? null : valid;
}

/**
 * True when every code is below `size`, proven cheaply: the OR of all bytes (four at a
 * time) bounds every byte code. False means "check one by one", not "corrupt".
 */
function indicesBelow(codes: Uint8Array | Uint16Array | Uint32Array, size: number): boolean {
  if (!(codes instanceof Uint8Array) || codes.byteOffset % 4 !== 0) return false;
  const words = new Uint32Array(codes.buffer, codes.byteOffset, codes.length >> 2);
  let or = 0;
  for (let i = 0; i < words.length; i++) or |= words[i]!;
  for (let i = words.length * 4; i < codes.length; i++) or |= codes[i]!;
  or = (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 0xff;
  return or < size;
}

/**
 * A column's reusable byte buffer for decoded pages. A page's rows are handed on (as views)
 * and consumed before the column's next page is decoded, so one buffer per column serves
 * every page: allocating a fresh array per page made a cold 10 M-row read spend ~15% of
 * its time zeroing memory and collecting garbage.
 */
export interface PageScratch {
  bytes: Uint8Array;
}

/** `n` bytes from the scratch buffer (grown when short), or a fresh array without one; every byte is overwritten. */
function scratchBytes(scratch: PageScratch | undefined, n: number): Uint8Array {
  if (scratch === undefined) return new Uint8Array(n);
  if (scratch.bytes.length < n) scratch.bytes = new Uint8Array(n);
  return scratch.bytes.subarray(0, n);
}

/** A code array wide enough for `size` entries plus the null code. */
function codeArray(size: number, n: number): Uint8Array | Uint16Array | Uint32Array {
  return size < 0xff ? new Uint8Array(n) : size < 0xffff ? new Uint16Array(n) : new Uint32Array(n);
}

/** Copies `n` little-endian fixed-width values (unaligned-safe) into doubles. */
function plainNumbers(buf: Uint8Array, pos: number, n: number, type: string): Float64Array {
  const width = type === "INT32" || type === "FLOAT" ? 4 : 8;
  if (pos + n * width > buf.length) throw new ColumnarFileError("corrupt page: plain values end early");
  const bytes = buf.slice(pos, pos + n * width); // aligned copy for the typed view
  if (type === "DOUBLE") return new Float64Array(bytes.buffer, 0, n);
  const out = new Float64Array(n);
  if (type === "INT32") out.set(new Int32Array(bytes.buffer, 0, n));
  else if (type === "FLOAT") out.set(new Float32Array(bytes.buffer, 0, n));
  else {
    const big = new BigInt64Array(bytes.buffer, 0, n);
    for (let i = 0; i < n; i++) out[i] = Number(big[i]!);
  }
  return out;
}

/** Bit-packed plain booleans (LSB first) into 0/1 bytes. */
function plainBooleans(buf: Uint8Array, pos: number, n: number, scratch: PageScratch | undefined): Uint8Array {
  if (pos + ((n + 7) >> 3) > buf.length) throw new ColumnarFileError("corrupt page: plain booleans end early");
  const out = scratchBytes(scratch, n);
  unpack(buf, pos, 1, 1, out, 0, n);
  return out;
}

/** Dense (non-null) values placed at the rows whose definition level says "present". */
function scatter(col: DecodedColumn, valid: Uint8Array | null, rows: number): DecodedColumn {
  if (valid === null) return col;
  if (col.kind === "dict") {
    const nullCode = col.dict.length;
    const codes = codeArray(nullCode, rows);
    for (let i = 0, j = 0; i < rows; i++) codes[i] = valid[i] ? col.codes[j++]! : nullCode;
    return { kind: "dict", codes, dict: col.dict };
  }
  if (col.kind === "bool") {
    const values = new Uint8Array(rows);
    for (let i = 0, j = 0; i < rows; i++) values[i] = valid[i] ? col.values[j++]! : BOOL_NULL;
    return { kind: "bool", values };
  }
  const values = new Float64Array(rows);
  for (let i = 0, j = 0; i < rows; i++) if (valid[i]) values[i] = col.values[j++]!;
  return { kind: "number", values, valid };
}

/** Any array of values (hyparquet's fallback output) as a column: numbers, booleans, or a dictionary. */
export function columnFromValues(values: ArrayLike<unknown>): DecodedColumn {
  const n = values.length;
  if (ArrayBuffer.isView(values) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array))
    return { kind: "number", values: Float64Array.from(values as ArrayLike<number>), valid: null };
  let numbers = true;
  let booleans = true;
  for (let i = 0; i < n && (numbers || booleans); i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number") numbers = false;
    if (typeof v !== "boolean") booleans = false;
  }
  if (booleans) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = values[i] === null || values[i] === undefined ? BOOL_NULL : values[i] ? 1 : 0;
    return { kind: "bool", values: out };
  }
  if (numbers) {
    const out = new Float64Array(n);
    let valid: Uint8Array | null = null;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) (valid ??= new Uint8Array(n).fill(1))[i] = 0;
      else out[i] = v as number;
    }
    return { kind: "number", values: out, valid };
  }
  // Strings (and anything else): a dictionary built on the fly, keyed by the cell.
  const index = new Map<Cell, number>();
  const dict: Cell[] = [];
  const codes = new Uint32Array(n); // the dictionary size is known only at the end
  const pending: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = toCell(values[i]);
    if (c === null) {
      pending.push(i);
      continue;
    }
    let code = index.get(c);
    if (code === undefined) {
      code = dict.length;
      index.set(c, code);
      dict.push(c);
    }
    codes[i] = code;
  }
  for (const i of pending) codes[i] = dict.length; // null = past the dictionary
  return { kind: "dict", codes, dict };
}

/**
 * Decodes one data page (v1 or v2) of `col`; `page` is the page body as stored (still
 * compressed), `dict` the chunk's dictionary if it had one. Returns the page's rows.
 */
export function decodeDataPage(header: PageHeader, page: Uint8Array, col: PageColumn, dict: PageDictionary | null, scratch?: PageScratch): DecodedColumn {
  const { codec, compressors } = col.decoder;
  let rows: number;
  let encoding: string;
  let body: Uint8Array;
  let pos = 0;
  let valid: Uint8Array | null = null;
  let nulls = 0;
  if (header.type === "DATA_PAGE" && header.data_page_header) {
    const h = header.data_page_header;
    rows = h.num_values;
    encoding = h.encoding;
    if (!fastEncoding(encoding, col, dict)) return fallback(header, page, col, dict);
    body = decompressPage(page, Number(header.uncompressed_page_size), codec, compressors);
    if (col.maxDef === 1) {
      const len = readU32(body, 0);
      valid = readValidity(body, 4, 4 + len, rows);
      pos = 4 + len;
    }
  } else if (header.type === "DATA_PAGE_V2" && header.data_page_header_v2) {
    const h = header.data_page_header_v2;
    rows = h.num_rows;
    encoding = h.encoding;
    if (!fastEncoding(encoding, col, dict) || h.num_values !== h.num_rows) return fallback(header, page, col, dict);
    const rep = h.repetition_levels_byte_length;
    const def = h.definition_levels_byte_length;
    if (col.maxDef === 1) valid = readValidity(page, rep, rep + def, rows);
    const values = page.subarray(rep + def);
    body = h.is_compressed === false ? values : decompressPage(values, Number(header.uncompressed_page_size) - rep - def, codec, compressors);
  } else {
    throw new ColumnarFileError(`unexpected page type ${header.type}`);
  }
  if (valid !== null) for (let i = 0; i < rows; i++) nulls += 1 - valid[i]!;
  const n = rows - nulls;
  const type = col.decoder.type;
  let dense: DecodedColumn;
  if (encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY") {
    const width = body[pos]!;
    const size = dict!.cells.length;
    const codes = size < 0xff ? scratchBytes(scratch, n) : codeArray(size, n);
    if (width > 0) readHybrid(body, pos + 1, body.length, width, codes, n);
    // Indices of `width` bits cannot exceed a dictionary of 2^width entries or more.
    if ((width >= 31 || 2 ** width > size) && !indicesBelow(codes, size))
      for (let i = 0; i < n; i++) if (codes[i]! >= size) throw new ColumnarFileError(`corrupt page: dictionary index ${codes[i]} of ${size} entries`);
    dense = { kind: "dict", codes, dict: dict!.cells };
  } else if (type === "BOOLEAN") {
    if (encoding === "RLE") {
      const len = readU32(body, pos);
      const values = scratchBytes(scratch, n);
      readHybrid(body, pos + 4, pos + 4 + len, 1, values, n);
      dense = { kind: "bool", values };
    } else dense = { kind: "bool", values: plainBooleans(body, pos, n, scratch) };
  } else {
    dense = { kind: "number", values: plainNumbers(body, pos, n, type), valid: null };
  }
  return scatter(dense, valid, rows);
}

/** The encodings this module decodes itself; anything else is hyparquet's. */
function fastEncoding(encoding: string, col: PageColumn, dict: PageDictionary | null): boolean {
  if (!col.plainValues) return false;
  const type = col.decoder.type;
  if (encoding === "PLAIN_DICTIONARY" || encoding === "RLE_DICTIONARY") return dict !== null;
  if (encoding === "RLE") return type === "BOOLEAN";
  if (encoding !== "PLAIN") return false;
  return type === "BOOLEAN" || type === "INT32" || type === "INT64" || type === "FLOAT" || type === "DOUBLE";
}

/** hyparquet's own page decoding (every encoding and converted type it supports). */
function fallback(header: PageHeader, page: Uint8Array, col: PageColumn, dict: PageDictionary | null): DecodedColumn {
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  const patched = { ...header, compressed_page_size: page.length };
  const { data } = readPage(reader, patched, col.decoder, dict?.raw, undefined, 0);
  return columnFromValues(data ?? []);
}

function readU32(buf: Uint8Array, pos: number): number {
  if (pos + 4 > buf.length) throw new ColumnarFileError("corrupt page: level length past the end of the page");
  return (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
}
