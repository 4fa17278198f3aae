/**
 * @module wasm-core/portable-math
 * Line-for-line mirror of worker/engine/kernels/portable-math.ts: log, exp and ln k! from
 * IEEE +, −, ×, ÷ and comparisons only, so Wasm and the TypeScript reference agree bit for
 * bit (libm's and V8's log/exp may differ in the last ulp). Keep the operation order
 * identical to the TypeScript file; the cross-check test compares the two on random inputs.
 */

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.44269504088896338700e0;
const SQRT2: f64 = 1.41421356237309504880;
const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.65339022054652515390e-6;
const P5: f64 = 4.13813679705723846039e-8;
const HALF_LN_2PI: f64 = 0.9189385332046728;
const TWO_POW_64: f64 = 18446744073709551616.0;
const TWO_POW_M1000: f64 = 9.332636185032189e-302;

/** 2^s as an exact constant (s a compile-time integer in −1022..1023). */
@inline function pow2(s: i32): f64 {
  return reinterpret<f64>(<u64>(1023 + s) << 52);
}

/** Multiplies x by 2^k exactly (k integer, result assumed normal). */
export function scale2(x: f64, k: i32): f64 {
  if (k >= 512) { x *= pow2(512); k -= 512; } else if (k <= -512) { x *= pow2(-512); k += 512; }
  if (k >= 256) { x *= pow2(256); k -= 256; } else if (k <= -256) { x *= pow2(-256); k += 256; }
  if (k >= 128) { x *= pow2(128); k -= 128; } else if (k <= -128) { x *= pow2(-128); k += 128; }
  if (k >= 64) { x *= pow2(64); k -= 64; } else if (k <= -64) { x *= pow2(-64); k += 64; }
  if (k >= 32) { x *= pow2(32); k -= 32; } else if (k <= -32) { x *= pow2(-32); k += 32; }
  if (k >= 16) { x *= pow2(16); k -= 16; } else if (k <= -16) { x *= pow2(-16); k += 16; }
  if (k >= 8) { x *= pow2(8); k -= 8; } else if (k <= -8) { x *= pow2(-8); k += 8; }
  if (k >= 4) { x *= pow2(4); k -= 4; } else if (k <= -4) { x *= pow2(-4); k += 4; }
  if (k >= 2) { x *= pow2(2); k -= 2; } else if (k <= -2) { x *= pow2(-2); k += 2; }
  if (k >= 1) { x *= pow2(1); } else if (k <= -1) { x *= pow2(-1); }
  return x;
}

/**
 * Natural logarithm; log(0) = −∞, log(+∞) = +∞, NaN for negative/NaN input.
 * Reinterpreting the bits gives the same (mantissa, exponent) pair that the TypeScript
 * file finds by comparisons — both are exact — so the results agree.
 */
export function log(x: f64): f64 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  let k: i32 = 0;
  if (x < TWO_POW_M1000) {
    x *= TWO_POW_64;
    k -= 64;
  }
  const bits = reinterpret<u64>(x);
  k += <i32>(bits >> 52) - 1023;
  x = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000);
  // x ∈ [1, 2): move to [√2/2, √2) so f = x − 1 is small and exact (Sterbenz).
  if (x > SQRT2) {
    x *= 0.5;
    k += 1;
  }
  const f = x - 1;
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const hfsq = 0.5 * f * f;
  const dk = <f64>k;
  return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
}

/** e^x for −708 < x < 709 (the sampler only needs x ∈ (−10, 0]). */
export function exp(x: f64): f64 {
  const kf = Math.floor(x * INV_LN2 + 0.5);
  const hi = x - kf * LN2_HI;
  const lo = kf * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1 - ((lo - (r * c) / (2 - c)) - hi);
  return scale2(y, <i32>kf);
}

/** ln(k!) for k < 16, correctly rounded (same literals as the TypeScript table). */
@inline function logFactorialSmall(k: i32): f64 {
  switch (k) {
    case 0: return 0.0;
    case 1: return 0.0;
    case 2: return 0.6931471805599453;
    case 3: return 1.791759469228055;
    case 4: return 3.1780538303479458;
    case 5: return 4.787491742782046;
    case 6: return 6.579251212010101;
    case 7: return 8.525161361065415;
    case 8: return 10.60460290274525;
    case 9: return 12.801827480081469;
    case 10: return 15.104412573075516;
    case 11: return 17.502307845873887;
    case 12: return 19.987214495661885;
    case 13: return 22.552163853123425;
    case 14: return 25.19122118273868;
    default: return 27.89927138384089;
  }
}

/** ln(k!) for integer-valued k ≥ 0: table below 16, else Stirling's series (see TS file). */
export function logFactorial(k: f64): f64 {
  if (k < 16) return logFactorialSmall(<i32>k);
  const x = k + 1;
  const r = 1 / x;
  const r2 = r * r;
  const series = r * (0.08333333333333333 - r2 * (0.002777777777777778 - r2 * (0.0007936507936507937 - r2 * 0.0005952380952380953)));
  return (x - 0.5) * log(x) - x + HALF_LN_2PI + series;
}
