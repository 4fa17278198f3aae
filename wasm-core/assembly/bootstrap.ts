/**
 * @module wasm-core/bootstrap
 * Poisson bootstrap over sufficient statistics. Mirror of worker/engine/kernels/poisson.ts:
 * Threefry-2×32-20 keyed by (seed, cell) with counter (replicate, draw index), then the
 * multiplication method (λ < 10) or Hörmann's PTRS (λ ≥ 10). Every float operation is in the
 * same order as the TypeScript file so replicates are bit-identical across implementations.
 */

import { exp, log, logFactorial } from "./portable-math";

const PARITY: u32 = 0x1BD11BDA;
const TWO_POW_M53: f64 = 1.1102230246251565e-16;
const MAX_COUNT: f64 = 4294967295.0;

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

/** Uniform double in [0, 1) with 53 random bits, from one Threefry block. */
@inline function uniform(replicate: u32, draw: u32, seed: u32, cell: u32): f64 {
  const w = threefry2x32(replicate, draw, seed, cell);
  const x0 = <u32>w, x1 = <u32>(w >> 32);
  return (<f64>(x0 >> 5) * 67108864.0 + <f64>(x1 >> 6)) * TWO_POW_M53;
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

/** PTRS for λ ≥ 10 (Hörmann 1993; same constants and order as NumPy and poisson.ts). */
function samplePtrs(lambda: f64, logLambda: f64, a: f64, b: f64, logInvAlpha: f64, vr: f64,
  seed: u32, cell: u32, replicate: u32): u32 {
  let d: u32 = 0;
  while (true) {
    const u = uniform(replicate, d++, seed, cell) - 0.5;
    const v = uniform(replicate, d++, seed, cell);
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return clampCount(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const lhs = log(v) + logInvAlpha - log(a / (us * us) + b);
    const rhs = -lambda + k * logLambda - logFactorial(k);
    if (lhs <= rhs) return clampCount(k);
  }
  return 0;
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
      for (let r = 0; r < repCount; r++) {
        store<u32>(dst, samplePtrs(lambda, logLambda, a, b, logInvAlpha, vr, seed, <u32>c, repStart + <u32>r));
        dst += stride;
      }
    }
  }
}
