/**
 * @module engine/sources/parquet-hybrid
 * The plain-TypeScript page kernels: Parquet's RLE / bit-packed hybrid (dictionary
 * indices, definition levels, RLE booleans), bit-packed plain booleans and the dictionary
 * bound check. They are the reference the Wasm kernels (parquet-wasm.ts) are tested against,
 * and what the reader uses where kernels.wasm cannot be loaded.
 */
import { ColumnarFileError } from "./columns.js";

/** Code arrays the page decoder writes. */
export type CodeArray = Uint8Array | Uint16Array | Uint32Array;

/**
 * The loops a page spends its time in, as one interface so the reader runs on either
 * implementation (createReferencePageKernels here, createWasmPageKernels in parquet-wasm.ts)
 * with the same results and the same ColumnarFileError messages.
 */
export interface PageKernels {
  /** Which implementation this is (for diagnostics and tests: both give the same results). */
  readonly kind: "wasm" | "reference";
  /** RLE / bit-packed hybrid: `count` values of `width` bits from buf[pos..end) into out; returns the position after the last run read. */
  readHybrid(buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): number;
  /** Dictionary indices (readHybrid; width 0 = every index 0), each checked to be below `size`. */
  dictionaryIndices(buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number, size: number): void;
  /** `n` bit-packed booleans (LSB first) from buf[pos..] into 0/1 bytes; buf must hold them. */
  unpackBooleans(buf: Uint8Array, pos: number, n: number, out: Uint8Array): void;
  /**
   * `n` bytes for a page's values, reused for the same scratch's next page (so valid until
   * then); every byte is overwritten by the decoder. The Wasm kernels hand out their own
   * memory, which they then decode into without a copy.
   */
  pageBytes(scratch: PageScratch, n: number): Uint8Array;
}

/**
 * A column's reusable buffer for decoded pages. A page's rows are handed on (as views)
 * and consumed before the column's next page is decoded, so one buffer per column serves
 * every page: allocating a fresh array per page made a cold 10 M-row read spend ~15% of
 * its time zeroing memory and collecting garbage.
 */
export interface PageScratch {
  bytes: Uint8Array;
}

/** The error for dictionary index `code` of a dictionary of `size` entries. */
export function badIndex(code: number, size: number): ColumnarFileError {
  return new ColumnarFileError(`corrupt page: dictionary index ${code} of ${size} entries`);
}

/** The plain-TypeScript kernels (no state: the tables below are built once). */
export function createReferencePageKernels(): PageKernels {
  return {
    kind: "reference",
    readHybrid,
    dictionaryIndices(buf, pos, end, width, out, count, size) {
      if (width > 0) readHybrid(buf, pos, end, width, out, count);
      else out.fill(0, 0, count);
      // Checked even when 2^width ≤ size: an RLE run's value is stored in whole bytes, unmasked.
      if (indicesBelow(out.subarray(0, count), size)) return;
      for (let i = 0; i < count; i++) if (out[i]! >= size) throw badIndex(out[i]!, size);
    },
    unpackBooleans(buf, pos, n, out) {
      unpack(buf, pos, 1, 1, out, 0, n);
    },
    pageBytes(scratch, n) {
      if (scratch.bytes.length < n) scratch.bytes = new Uint8Array(n);
      return scratch.bytes.subarray(0, n);
    },
  };
}

/**
 * RLE / bit-packed hybrid (Parquet's levels and dictionary indices): `count` values of
 * `width` bits from buf[pos..end) into out. Returns the position after the last run read.
 */
export function readHybrid(buf: Uint8Array, pos: number, end: number, width: number, out: CodeArray, count: number): number {
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
function unpack(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpackSpread(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpack1(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpackNibbles(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpack3(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpackByteGroups(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
function unpackWide(buf: Uint8Array, pos: number, width: number, mask: number, out: CodeArray, k: number, take: number): number {
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
 * True when every code is below `size`, proven cheaply: the OR of all bytes (four at a
 * time) bounds every byte code. False means "check one by one", not "corrupt".
 */
function indicesBelow(codes: CodeArray, size: number): boolean {
  if (!(codes instanceof Uint8Array) || codes.byteOffset % 4 !== 0) return false;
  const words = new Uint32Array(codes.buffer, codes.byteOffset, codes.length >> 2);
  let or = 0;
  for (let i = 0; i < words.length; i++) or |= words[i]!;
  for (let i = words.length * 4; i < codes.length; i++) or |= codes[i]!;
  or = (or | (or >>> 8) | (or >>> 16) | (or >>> 24)) & 0xff;
  return or < size;
}

