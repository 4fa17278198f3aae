/**
 * @module wasm-core/bootstrap
 * Poisson bootstrap over sufficient statistics. Mirror of worker/engine/kernels/poisson.ts:
 * Threefry-2×32-20 keyed by (seed, cell) with counter (replicate, draw index), then the
 * multiplication method (λ < 10) or Hörmann's PTRS (λ ≥ 10). Every float operation is in the
 * same order as the TypeScript file so replicates are bit-identical across implementations.
 *
 * For PTRS cells the first pair of uniforms of four replicates is hashed in one SIMD pass
 * (threefry4) and PTRS's first, fast-accept step runs two lanes at a time (ptrsPair): lane-wise
 * the same integer and IEEE operations in the same order, so the bits do not change; only the
 * draws that need the slow test or another pair take the scalar path (ptrsFrom).
 */

import { exp, log, logFactorial } from "./portable-math";

const PARITY: u32 = 0x1BD11BDA;
const TWO_POW_M53: f64 = 1.1102230246251565e-16;
const MAX_COUNT: f64 = 4294967295.0;
/** Lane offsets 0..3 added to a replicate index (four replicates per SIMD Threefry pass). */
const LANES: v128 = i32x4(0, 1, 2, 3);
/** 64 bytes of static scratch for threefry4's words (two passes); below heapBase, per instance. */
const SCRATCH: usize = memory.data(64, 16);

@inline function rotl(x: u32, r: u32): u32 {
  return (x << r) | (x >> (32 - r));
}

/** Threefry-2×32-20; returns word 0 in the low and word 1 in the high half. */
export function threefry2x32(ctr0: u32, ctr1: u32, k0: u32, k1: u32): u64 {
  const k2 = PARITY ^ k0 ^ k1;
  let x0 = ctr0 + k0;
  let x1 = ctr1 + k1;
  x0 += x1; x1 = rotl(x1, 13) ^ x0;
  x0 += x1; x1 = rotl(x1, 15) ^ x0;
  x0 += x1; x1 = rotl(x1, 26) ^ x0;
  x0 += x1; x1 = rotl(x1, 6) ^ x0;
  x0 += k1; x1 += k2 + 1;
  x0 += x1; x1 = rotl(x1, 17) ^ x0;
  x0 += x1; x1 = rotl(x1, 29) ^ x0;
  x0 += x1; x1 = rotl(x1, 16) ^ x0;
  x0 += x1; x1 = rotl(x1, 24) ^ x0;
  x0 += k2; x1 += k0 + 2;
  x0 += x1; x1 = rotl(x1, 13) ^ x0;
  x0 += x1; x1 = rotl(x1, 15) ^ x0;
  x0 += x1; x1 = rotl(x1, 26) ^ x0;
  x0 += x1; x1 = rotl(x1, 6) ^ x0;
  x0 += k0; x1 += k1 + 3;
  x0 += x1; x1 = rotl(x1, 17) ^ x0;
  x0 += x1; x1 = rotl(x1, 29) ^ x0;
  x0 += x1; x1 = rotl(x1, 16) ^ x0;
  x0 += x1; x1 = rotl(x1, 24) ^ x0;
  x0 += k1; x1 += k2 + 4;
  x0 += x1; x1 = rotl(x1, 13) ^ x0;
  x0 += x1; x1 = rotl(x1, 15) ^ x0;
  x0 += x1; x1 = rotl(x1, 26) ^ x0;
  x0 += x1; x1 = rotl(x1, 6) ^ x0;
  x0 += k2; x1 += k0 + 5;
  return <u64>x0 | (<u64>x1 << 32);
}

/** Uniform double in [0, 1) with 53 random bits from one Threefry block's two words. */
@inline function unit(x0: u32, x1: u32): f64 {
  return (<f64>(x0 >> 5) * 67108864.0 + <f64>(x1 >> 6)) * TWO_POW_M53;
}

/** Uniform double in [0, 1) with 53 random bits, from one Threefry block. */
@inline function uniform(replicate: u32, draw: u32, seed: u32, cell: u32): f64 {
  const w = threefry2x32(replicate, draw, seed, cell);
  return unit(<u32>w, <u32>(w >> 32));
}

@inline function rotl4(x: v128, r: i32): v128 {
  return v128.or(i32x4.shl(x, r), i32x4.shr_u(x, 32 - r));
}

/**
 * Four Threefry-2×32-20 blocks at once, lane j keyed by (k0, k1) with counter (ctr0[j], ctr1):
 * the same 32-bit adds, rotates and xors as threefry2x32, lane-wise, so each lane's words
 * equal the scalar function's. Stores word 0 of the four blocks at `dst`, word 1 at dst + 16
 * (AssemblyScript has no multi-value return).
 */
@inline function threefry4(ctr0: v128, ctr1: u32, k0: u32, k1: u32, dst: usize): void {
  const k2 = PARITY ^ k0 ^ k1;
  const v0 = i32x4.splat(k0), v1 = i32x4.splat(k1), v2 = i32x4.splat(k2);
  let x0 = i32x4.add(ctr0, v0);
  let x1 = i32x4.splat(ctr1 + k1);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 15), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 26), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 6), x0);
  x0 = i32x4.add(x0, v1); x1 = i32x4.add(x1, i32x4.splat(k2 + 1));
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 17), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 29), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 16), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 24), x0);
  x0 = i32x4.add(x0, v2); x1 = i32x4.add(x1, i32x4.splat(k0 + 2));
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 15), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 26), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 6), x0);
  x0 = i32x4.add(x0, v0); x1 = i32x4.add(x1, i32x4.splat(k1 + 3));
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 17), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 29), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 16), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 24), x0);
  x0 = i32x4.add(x0, v1); x1 = i32x4.add(x1, i32x4.splat(k2 + 4));
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 13), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 15), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 26), x0);
  x0 = i32x4.add(x0, x1); x1 = v128.xor(rotl4(x1, 6), x0);
  x0 = i32x4.add(x0, v2); x1 = i32x4.add(x1, i32x4.splat(k0 + 5));
  v128.store(dst, x0);
  v128.store(dst, x1, 16);
}

@inline function clampCount(k: f64): u32 {
  return <u32>(k > MAX_COUNT ? MAX_COUNT : k);
}

/** Multiplication method for 0 < λ < 10: count uniforms whose running product stays above e^−λ. */
function sampleSmall(expNegLambda: f64, seed: u32, cell: u32, replicate: u32): u32 {
  let prod: f64 = 1;
  let k: u32 = 0;
  let d: u32 = 0;
  while (true) {
    prod *= uniform(replicate, d++, seed, cell);
    if (prod <= expNegLambda) return k;
    k++;
  }
  return k;
}

/** Half-width of the band around PTRS's acceptance bound where the reference's exact test decides. */
const PTRS_MARGIN: f64 = 1e-9;

/** PTRS for λ ≥ 10 (Hörmann 1993; same constants and order as NumPy and poisson.ts). */
function samplePtrs(lambda: f64, logLambda: f64, a: f64, b: f64, logInvAlpha: f64, vr: f64,
  seed: u32, cell: u32, replicate: u32): u32 {
  const u = uniform(replicate, 0, seed, cell) - 0.5;
  const v = uniform(replicate, 1, seed, cell);
  return ptrsFrom(u, v, lambda, logLambda, a, b, logInvAlpha, vr, seed, cell, replicate);
}

/**
 * PTRS given its first pair of uniforms (draws 0 and 1, u already shifted by −0.5); any
 * further pair is drawn from index 2 on, so the stream is the one samplePtrs consumes.
 */
function ptrsFrom(u0: f64, v0: f64, lambda: f64, logLambda: f64, a: f64, b: f64, logInvAlpha: f64, vr: f64,
  seed: u32, cell: u32, replicate: u32): u32 {
  let u = u0, v = v0;
  let d: u32 = 2;
  while (true) {
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return clampCount(k);
    if (!(k < 0 || (us < 0.013 && v > us))) {
      const rhs = -lambda + k * logLambda - logFactorial(k);
      const w = a / (us * us) + b;
      // One log instead of the reference's two: log(v / w) is within a few ulps of
      // log(v) − log(w) (both below ~150 in magnitude), far inside PTRS_MARGIN, so only a
      // draw that close to the bound takes the two logs and decides as the reference does.
      const quick = log(v / w) + logInvAlpha;
      if (quick < rhs - PTRS_MARGIN) return clampCount(k);
      if (quick <= rhs + PTRS_MARGIN && log(v) + logInvAlpha - log(w) <= rhs) return clampCount(k);
    }
    u = uniform(replicate, d++, seed, cell) - 0.5;
    v = uniform(replicate, d++, seed, cell);
  }
  return 0;
}

/**
 * PTRS's first step for two replicates (rep, rep + 1) whose draw-0 and draw-1 words, already
 * shifted as in unit(), are in the low two lanes: the same operations in the same order as
 * ptrsFrom's first iteration, lane-wise in f64x2 (IEEE-exact like the scalar ones, no fusion).
 * Writes each lane's count at dst and dst + stride.
 */
@inline function ptrsPair(uHi: v128, uLo: v128, vHi: v128, vLo: v128, a2: v128, bv: v128, lv: v128, vrv: v128,
  lambda: f64, logLambda: f64, a: f64, b: f64, logInvAlpha: f64, vr: f64,
  seed: u32, cell: u32, rep: u32, dst: usize, stride: usize): void {
  const scale = f64x2.splat(67108864.0), m53 = f64x2.splat(TWO_POW_M53), half = f64x2.splat(0.5);
  const u = f64x2.sub(f64x2.mul(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(uHi), scale), f64x2.convert_low_i32x4_u(uLo)), m53), half);
  const v = f64x2.mul(f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(vHi), scale), f64x2.convert_low_i32x4_u(vLo)), m53);
  const us = f64x2.sub(half, f64x2.abs(u));
  const k = f64x2.floor(f64x2.add(f64x2.add(f64x2.mul(f64x2.add(f64x2.div(a2, us), bv), u), lv), f64x2.splat(0.43)));
  const fast = i64x2.bitmask(v128.and(f64x2.ge(us, f64x2.splat(0.07)), f64x2.le(v, vrv)));
  store<u32>(dst, fast & 1
    ? clampCount(f64x2.extract_lane(k, 0))
    : ptrsFrom(f64x2.extract_lane(u, 0), f64x2.extract_lane(v, 0), lambda, logLambda, a, b, logInvAlpha, vr, seed, cell, rep));
  store<u32>(dst + stride, fast & 2
    ? clampCount(f64x2.extract_lane(k, 1))
    : ptrsFrom(f64x2.extract_lane(u, 1), f64x2.extract_lane(v, 1), lambda, logLambda, a, b, logInvAlpha, vr, seed, cell, rep + 1));
}

/**
 * Writes repCount × cellCount u32 draws at `out` (replicate-major): entry (r, c) is a
 * Poisson(cells[c]) draw for replicate repStart + r. Cell constants are computed once per
 * call and reused across replicates, which is why the loop is cell-major.
 */
export function bootstrap(cells: usize, cellCount: i32, repStart: u32, repCount: i32, seed: u32, out: usize): void {
  const stride = <usize>cellCount << 2;
  for (let c = 0; c < cellCount; c++) {
    const lambda = <f64>load<u32>(cells + (<usize>c << 2));
    let dst = out + (<usize>c << 2);
    if (lambda == 0) {
      for (let r = 0; r < repCount; r++) { store<u32>(dst, 0); dst += stride; }
    } else if (lambda < 10) {
      const expNegLambda = exp(-lambda);
      for (let r = 0; r < repCount; r++) {
        store<u32>(dst, sampleSmall(expNegLambda, seed, <u32>c, repStart + <u32>r));
        dst += stride;
      }
    } else {
      const b = 0.931 + 2.53 * Math.sqrt(lambda);
      const a = -0.059 + 0.02483 * b;
      const logLambda = log(lambda);
      const logInvAlpha = log(1.1239 + 1.1328 / (b - 3.4));
      const vr = 0.9277 - 3.6224 / (b - 2);
      // Four replicates' first pair of uniforms (draws 0 and 1) per SIMD Threefry pass, and
      // PTRS's first, fast-accept step on them two lanes at a time: most draws accept there,
      // and the hash and the division are the bulk of their cost. Lanes that do not accept
      // redo that step scalar in ptrsFrom, which continues the same stream.
      const a2 = f64x2.splat(2 * a), bv = f64x2.splat(b), lv = f64x2.splat(lambda), vrv = f64x2.splat(vr);
      let r = 0;
      for (; r + 4 <= repCount; r += 4) {
        const rep = repStart + <u32>r;
        const ctr0 = i32x4.add(i32x4.splat(rep), LANES);
        threefry4(ctr0, 0, seed, <u32>c, SCRATCH);
        threefry4(ctr0, 1, seed, <u32>c, SCRATCH + 32);
        const uHi = i32x4.shr_u(v128.load(SCRATCH), 5), uLo = i32x4.shr_u(v128.load(SCRATCH, 16), 6);
        const vHi = i32x4.shr_u(v128.load(SCRATCH, 32), 5), vLo = i32x4.shr_u(v128.load(SCRATCH, 48), 6);
        ptrsPair(uHi, uLo, vHi, vLo, a2, bv, lv, vrv, lambda, logLambda, a, b, logInvAlpha, vr, seed, <u32>c, rep, dst, stride);
        ptrsPair(
          i32x4.shuffle(uHi, uHi, 2, 3, 0, 1), i32x4.shuffle(uLo, uLo, 2, 3, 0, 1),
          i32x4.shuffle(vHi, vHi, 2, 3, 0, 1), i32x4.shuffle(vLo, vLo, 2, 3, 0, 1),
          a2, bv, lv, vrv, lambda, logLambda, a, b, logInvAlpha, vr, seed, <u32>c, rep + 2, dst + 2 * stride, stride);
        dst += 4 * stride;
      }
      for (; r < repCount; r++) {
        store<u32>(dst, samplePtrs(lambda, logLambda, a, b, logInvAlpha, vr, seed, <u32>c, repStart + <u32>r));
        dst += stride;
      }
    }
  }
}
