/**
 * @module engine/kernels/poisson
 * Counter-based random numbers and an exact Poisson sampler, written so that the
 * AssemblyScript mirror (wasm-core/assembly/bootstrap.ts) yields identical bits.
 *
 * Randomness: Threefry-2×32 with 20 rounds (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC'11), keyed by (seed, cell) with counter (replicate, draw index). It needs
 * only 32-bit add, xor and rotate, so it is exact in both languages, and any replicate of any
 * cell can be generated independently (no sequential state to share between workers).
 *
 * Sampling: λ = 0 → 0; λ < 10 → multiplication (product of uniforms) method; λ ≥ 10 →
 * Hörmann's PTRS transformed rejection (1993), as used by NumPy. Both are exact in
 * distribution up to floating-point rounding of the uniforms and log/exp, which come from
 * portable-math so they round identically everywhere. A draw above 2^32 − 1 (possible only
 * for cells within a few standard deviations of the u32 limit) is clamped to 2^32 − 1 so it
 * fits the Uint32Array result.
 */

import { exp, log, logFactorial } from "./portable-math.js";

/** Skein key-schedule parity constant. */
const PARITY = 0x1bd11bda;
/** 2^−53: scales a 53-bit integer to a double in [0, 1). */
const TWO_POW_M53 = 1.1102230246251565e-16;
/** Largest count representable in a Uint32Array result. */
const MAX_COUNT = 4294967295;

/**
 * Threefry-2×32-20. Returns the two output words via `out` (length ≥ 2) to avoid
 * allocating in the sampling loop; values are u32 stored as numbers.
 */
export function threefry2x32(ctr0: number, ctr1: number, key0: number, key1: number, out: Uint32Array): void {
  const k0 = key0 | 0;
  const k1 = key1 | 0;
  const k2 = (PARITY ^ k0 ^ k1) | 0;
  let x0 = (ctr0 + k0) | 0;
  let x1 = (ctr1 + k1) | 0;
  // Rotation constants R_32x2 = 13 15 26 6 | 17 29 16 24, key injection every 4 rounds.
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 1) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 2) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k0) | 0; x1 = (x1 + k1 + 3) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
  x0 = (x0 + k1) | 0; x1 = (x1 + k2 + 4) | 0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
  x0 = (x0 + x1) | 0; x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
  x0 = (x0 + k2) | 0; x1 = (x1 + k0 + 5) | 0;
  out[0] = x0;
  out[1] = x1;
}

/** Per-cell constants, computed once per cell and reused for every replicate. */
export interface PoissonParams {
  lambda: number;
  /** e^−λ (multiplication method, λ < 10). */
  expNegLambda: number;
  /** PTRS constants (λ ≥ 10). */
  logLambda: number;
  a: number;
  b: number;
  logInvAlpha: number;
  vr: number;
}

/** Precomputes the sampler constants for mean `lambda` (a non-negative integer count). */
export function poissonParams(lambda: number): PoissonParams {
  const b = 0.931 + 2.53 * Math.sqrt(lambda);
  return {
    lambda,
    expNegLambda: lambda < 10 ? exp(-lambda) : 0,
    logLambda: lambda >= 10 ? log(lambda) : 0,
    a: -0.059 + 0.02483 * b,
    b,
    logInvAlpha: lambda >= 10 ? log(1.1239 + 1.1328 / (b - 3.4)) : 0,
    vr: 0.9277 - 3.6224 / (b - 2),
  };
}

/**
 * One Poisson(λ) draw for stream (seed, cell, replicate). Draw index d numbers the uniforms
 * consumed, so the stream is a pure function of its key and counter.
 */
export function samplePoisson(p: PoissonParams, seed: number, cell: number, replicate: number, scratch: Uint32Array): number {
  const lambda = p.lambda;
  if (lambda === 0) return 0;
  let d = 0;
  if (lambda < 10) {
    let prod = 1;
    let k = 0;
    for (;;) {
      threefry2x32(replicate, d++, seed, cell, scratch);
      prod *= ((scratch[0]! >>> 5) * 67108864 + (scratch[1]! >>> 6)) * TWO_POW_M53;
      if (prod <= p.expNegLambda) return k;
      k++;
    }
  }
  for (;;) {
    threefry2x32(replicate, d++, seed, cell, scratch);
    const u = ((scratch[0]! >>> 5) * 67108864 + (scratch[1]! >>> 6)) * TWO_POW_M53 - 0.5;
    threefry2x32(replicate, d++, seed, cell, scratch);
    const v = ((scratch[0]! >>> 5) * 67108864 + (scratch[1]! >>> 6)) * TWO_POW_M53;
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * p.a) / us + p.b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= p.vr) return k > MAX_COUNT ? MAX_COUNT : k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const lhs = log(v) + p.logInvAlpha - log(p.a / (us * us) + p.b);
    const rhs = -lambda + k * p.logLambda - logFactorial(k);
    if (lhs <= rhs) return k > MAX_COUNT ? MAX_COUNT : k;
  }
}
