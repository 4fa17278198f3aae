/**
 * @module wasm-core/parquet
 * Parquet page decoding over bytes the wrapper (worker/engine/sources/parquet-wasm.ts) has
 * copied into linear memory: the RLE / bit-packed hybrid (dictionary indices, definition
 * levels, RLE booleans) for widths 0-24 into u8/u16/u32 values, and the dictionary bound
 * check. Results and error cases equal the TypeScript reference (parquet-hybrid.ts).
 *
 * Why Wasm: one `fairgate check` decodes a file once, and V8 ran the TypeScript loops
 * unoptimised for most of a 10 M-row file while it tiered them up; Wasm is compiled before it
 * runs. Bit-packed groups unpack 16 values per SIMD step: each value's bytes are gathered
 * into a 16- (or 32-) bit lane by one swizzle, the lane is multiplied by 2^(8 − shift) so its
 * field starts at bit 8 whatever its bit offset, then shifted down and masked.
 *
 * Reads may run up to 32 bytes past the encoded data (whole vectors); the wrapper pads the
 * input with zeros. Nothing here allocates.
 */

/** Run past the data before `count` values were read ("encoded values end early"). */
export const PQ_ENDS_EARLY: i32 = -1;
/** A ULEB128 run header longer than 5 bytes or cut by the end ("bad run header"). */
export const PQ_BAD_HEADER: i32 = -2;
/** A bit-packed run extending past `end`. */
export const PQ_RUN_PAST_END: i32 = -3;
/** A bit-packed run of more than 24 bits per value. */
export const PQ_WIDTH: i32 = -4;

/** Stores v as `size` bytes (truncating, as a typed-array store does); returns what was stored. */
@inline function storeValue(out: usize, size: i32, k: i32, v: u32): u32 {
  if (size == 1) {
    store<u8>(out + <usize>k, <u8>v);
    return v & 0xff;
  }
  if (size == 2) {
    store<u16>(out + (<usize>k << 1), <u16>v);
    return v & 0xffff;
  }
  store<u32>(out + (<usize>k << 2), v);
  return v;
}

/** Values i in [from, take) of the run at `src`, one at a time (any width ≤ 25); returns the largest stored. */
function unpackScalar(src: usize, width: i32, mask: u32, out: usize, size: i32, k: i32, from: i32, take: i32): u32 {
  let mx: u32 = 0;
  for (let i = from; i < take; i++) {
    const bit = <usize>i * <usize>width;
    mx = max(mx, storeValue(out, size, k + i, (load<u32>(src + (bit >>> 3)) >>> <u32>(bit & 7)) & mask));
  }
  return mx;
}

/** The largest of eight u16 lanes. */
@inline function maxU16(v: v128): u32 {
  const a = i16x8.max_u(v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  const b = i16x8.max_u(a, i8x16.shuffle(a, a, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3));
  return max<u32>(i16x8.extract_lane_u(b, 0), i16x8.extract_lane_u(b, 1));
}

/** The largest of four u32 lanes. */
@inline function maxU32(v: v128): u32 {
  const a = i32x4.max_u(v, i8x16.shuffle(v, v, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));
  return max<u32>(i32x4.extract_lane(a, 0), i32x4.extract_lane(a, 1));
}

/** The largest of n bytes at p. */
function maxBytes(p: usize, n: i32): u32 {
  let acc = i8x16.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) acc = i8x16.max_u(acc, v128.load(p + <usize>i));
  let mx = maxU16(i16x8.max_u(i16x8.extend_low_i8x16_u(acc), i16x8.extend_high_i8x16_u(acc)));
  for (; i < n; i++) mx = max<u32>(mx, load<u8>(p + <usize>i));
  return mx;
}

/** Swizzle indices gathering `bytes` bytes per lane for `lanes` values starting at bit `first`. */
function gather(width: i32, first: i32, lanes: i32, bytes: i32): v128 {
  let lo: u64 = 0, hi: u64 = 0;
  const base = first >> 3;
  for (let j = 0; j < lanes; j++) {
    const b = <u64>(((first + j * width) >> 3) - base);
    for (let t = 0; t < bytes; t++) {
      const lane = j * bytes + t;
      const index = (b + <u64>t) & 0xff; // ≥ 16 reads as zero
      if (lane < 8) lo |= index << (<u64>lane * 8);
      else hi |= index << (<u64>(lane - 8) * 8);
    }
  }
  return i64x2.replace_lane(i64x2.splat(<i64>lo), 1, <i64>hi);
}

/** Per-lane multipliers 2^(8 − bit offset) for `lanes` lanes of `bits` bits, values from bit `first`. */
function multipliers(width: i32, first: i32, lanes: i32, bits: i32): v128 {
  let lo: u64 = 0, hi: u64 = 0;
  for (let j = 0; j < lanes; j++) {
    const m = <u64>(1 << (8 - ((first + j * width) & 7)));
    const at = j * bits;
    if (at < 64) lo |= m << <u64>at;
    else hi |= m << <u64>(at - 64);
  }
  return i64x2.replace_lane(i64x2.splat(<i64>lo), 1, <i64>hi);
}

/**
 * 1- to 8-bit values: 16 per step (2 × width bytes) through 16-bit lanes. The lane
 * constants depend on the width only, so they are built once per page (runs are short:
 * DuckDB writes ~250 values per run).
 */
function unpackNarrow(src: usize, width: i32, mask: u32, out: usize, size: i32, k: i32, take: i32, idxA: v128, idxB: v128, mul: v128): u32 {
  const offB = <usize>width; // values 8..15 start at byte `width`
  const m = i16x8.splat(<i16>mask);
  const step = <usize>(2 * width);
  const blocks = take >> 4;
  let mx = i16x8.splat(0);
  let p = src;
  let o = out + (<usize>k << (size >> 1));
  for (let b = 0; b < blocks; b++) {
    const a = v128.and(i16x8.shr_u(i16x8.mul(i8x16.swizzle(v128.load(p), idxA), mul), 8), m);
    const c = v128.and(i16x8.shr_u(i16x8.mul(i8x16.swizzle(v128.load(p + offB), idxB), mul), 8), m);
    mx = i16x8.max_u(mx, i16x8.max_u(a, c));
    if (size == 1) {
      v128.store(o, i8x16.narrow_i16x8_u(a, c));
      o += 16;
    } else if (size == 2) {
      v128.store(o, a);
      v128.store(o, c, 16);
      o += 32;
    } else {
      v128.store(o, i32x4.extend_low_i16x8_u(a));
      v128.store(o, i32x4.extend_high_i16x8_u(a), 16);
      v128.store(o, i32x4.extend_low_i16x8_u(c), 32);
      v128.store(o, i32x4.extend_high_i16x8_u(c), 48);
      o += 64;
    }
    p += step;
  }
  return max(maxU16(mx), unpackScalar(src, width, mask, out, size, k, blocks << 4, take));
}

/** 9- to 24-bit values: 8 per step (width bytes) through two vectors of 32-bit lanes. */
function unpackWide(src: usize, width: i32, mask: u32, out: usize, size: i32, k: i32, take: i32, idxA: v128, idxB: v128, mulA: v128, mulB: v128): u32 {
  const offB = <usize>((4 * width) >> 3); // values 4..7 start at bit 4 × width
  const m = i32x4.splat(mask);
  const step = <usize>width;
  const groups = take >> 3;
  let mx = i32x4.splat(0);
  let p = src;
  let o = out + (<usize>k << (size >> 1));
  for (let g = 0; g < groups; g++) {
    const a = v128.and(i32x4.shr_u(i32x4.mul(i8x16.swizzle(v128.load(p), idxA), mulA), 8), m);
    const c = v128.and(i32x4.shr_u(i32x4.mul(i8x16.swizzle(v128.load(p + offB), idxB), mulB), 8), m);
    mx = i32x4.max_u(mx, i32x4.max_u(a, c));
    if (size == 2) {
      v128.store(o, i16x8.narrow_i32x4_u(a, c));
      o += 16;
    } else {
      v128.store(o, a);
      v128.store(o, c, 16);
      o += 32;
    }
    p += step;
  }
  return max(maxU32(mx), unpackScalar(src, width, mask, out, size, k, groups << 3, take));
}

/**
 * `take` bit-packed values from `src` into out[k..]; c0-c3 are lane(width)'s constants.
 * Returns the largest value stored (0 for none), so the bound check needs no second pass.
 */
@inline function unpack(src: usize, width: i32, mask: u32, out: usize, size: i32, k: i32, take: i32, c0: v128, c1: v128, c2: v128, c3: v128): u32 {
  if (width == 0) {
    memory.fill(out + (<usize>k << (size >> 1)), 0, <usize>take << (size >> 1));
    return 0;
  }
  if (width == 8 && size == 1) {
    memory.copy(out + <usize>k, src, <usize>take);
    return maxBytes(src, take);
  }
  if (width <= 8) return unpackNarrow(src, width, mask, out, size, k, take, c0, c1, c2);
  // Wider values than the output holds are truncated, as a typed-array store does.
  if (width <= 16 ? size >= 2 : size == 4) return unpackWide(src, width, mask, out, size, k, take, c0, c1, c2, c3);
  return unpackScalar(src, width, mask, out, size, k, 0, take);
}

/** The unpackers' lane constants for `width`: swizzles and multipliers (see unpackNarrow, unpackWide). */
@inline function lane(width: i32, which: i32): v128 {
  if (width < 1 || width > 24) return i64x2.splat(0);
  if (width <= 8) return which == 0 ? gather(width, 0, 8, 2) : which == 1 ? gather(width, 8 * width, 8, 2) : which == 2 ? multipliers(width, 0, 8, 16) : i64x2.splat(0);
  const half = 4 * width;
  return which == 0 ? gather(width, 0, 4, 4) : which == 1 ? gather(width, half, 4, 4) : which == 2 ? multipliers(width, 0, 4, 32) : multipliers(width, half, 4, 32);
}

/** out[k..k+run) = v. */
function fill(out: usize, size: i32, k: i32, run: i32, v: u32): void {
  if (size == 1) {
    memory.fill(out + <usize>k, <u8>v, <usize>run);
    return;
  }
  let i = 0;
  if (size == 2) {
    const s = i16x8.splat(<i16>v);
    const o = out + (<usize>k << 1);
    for (; i + 8 <= run; i += 8) v128.store(o + (<usize>i << 1), s);
  } else {
    const s = i32x4.splat(v);
    const o = out + (<usize>k << 2);
    for (; i + 4 <= run; i += 4) v128.store(o + (<usize>i << 2), s);
  }
  for (; i < run; i++) storeValue(out, size, k + i, v);
}

/**
 * `count` values of `width` bits (0-24) from the hybrid runs in [src, end) into `out`
 * (`size` = 1, 2 or 4 bytes per value); the largest value stored goes to the u32 at `info`.
 * Returns the address after the last run read, or a negative PQ_* code.
 */
export function parquetHybrid(src: usize, end: usize, width: i32, out: usize, size: i32, count: i32, info: usize): i32 {
  const mask: u32 = width == 32 ? 0xffffffff : (<u32>1 << <u32>width) - 1;
  const valueBytes = (width + 7) >> 3;
  const c0 = lane(width, 0), c1 = lane(width, 1), c2 = lane(width, 2), c3 = lane(width, 3);
  let pos = src;
  let k = 0;
  let mx: u32 = 0;
  while (k < count) {
    if (pos >= end) return PQ_ENDS_EARLY;
    // ULEB128 run header; shifts wrap and overflow as the reference's 32-bit ones do.
    let header: u32 = 0;
    let shift: u32 = 0;
    while (true) {
      const b = <u32>load<u8>(pos++);
      header |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift > 28 || pos >= end) return PQ_BAD_HEADER;
    }
    if ((header & 1) == 0) {
      const run = <i32>min<u32>(header >>> 1, <u32>(count - k));
      let v: u32 = 0;
      for (let i = 0; i < valueBytes; i++) v |= <u32>load<u8>(pos++) << (8 * <u32>i);
      fill(out, size, k, run, v);
      if (run > 0) mx = max(mx, size == 1 ? v & 0xff : size == 2 ? v & 0xffff : v);
      k += run;
      continue;
    }
    // Bit-packed: groups of 8 values in `width` bytes each; the last group may be padding.
    const groups = <u64>(header >>> 1);
    const runBytes = groups * <u64>width;
    if (<u64>pos + runBytes > <u64>end) return PQ_RUN_PAST_END;
    if (width > 24) return PQ_WIDTH;
    const take = <i32>min<u64>(groups * 8, <u64>(count - k));
    mx = max(mx, unpack(pos, width, mask, out, size, k, take, c0, c1, c2, c3));
    k += take;
    pos += <usize>runBytes;
  }
  store<u32>(info, mx);
  return <i32>pos;
}

/** `n` bit-packed booleans (LSB first) from `src` into 0/1 bytes at `out`. */
export function parquetBits(src: usize, out: usize, n: i32): void {
  unpack(src, 1, 1, out, 1, 0, n, lane(1, 0), lane(1, 1), lane(1, 2), lane(1, 3));
}

/** Index of the first of `n` values (`size` bytes each) at `p` that is ≥ `bound`, or −1. */
export function parquetFirstAtLeast(p: usize, n: i32, size: i32, bound: u32): i32 {
  if (size == 1 && bound > 0xff) return -1;
  if (size == 2 && bound > 0xffff) return -1;
  // Whole vectors first: only the vector holding a hit is searched one by one.
  const per = 16 / size;
  let i = 0;
  if (bound > 0) {
    const lim = bound - 1; // v ≥ bound ⇔ max(v, lim) ≠ lim
    const s = size == 1 ? i8x16.splat(<i8>lim) : size == 2 ? i16x8.splat(<i16>lim) : i32x4.splat(lim);
    for (; i + per <= n; i += per) {
      const v = v128.load(p + <usize>(i * size));
      const mx = size == 1 ? i8x16.max_u(v, s) : size == 2 ? i16x8.max_u(v, s) : i32x4.max_u(v, s);
      if (!i8x16.all_true(i8x16.eq(mx, s))) break;
    }
  }
  for (; i < n; i++) {
    const v: u32 = size == 1 ? <u32>load<u8>(p + <usize>i) : size == 2 ? <u32>load<u16>(p + (<usize>i << 1)) : load<u32>(p + (<usize>i << 2));
    if (v >= bound) return i;
  }
  return -1;
}
