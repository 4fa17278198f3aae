/**
 * @module engine/kernels/portable-math
 * Transcendental functions built only from IEEE-754 +, −, ×, ÷ and comparisons, so that the
 * TypeScript reference and the AssemblyScript kernels (wasm-core/assembly/portable-math.ts,
 * a line-for-line mirror) produce bit-identical results. Platform Math.log/Math.exp are not
 * used on purpose: V8 and AssemblyScript's libm may differ in the last ulp, and one ulp is
 * enough to flip a bootstrap rejection test and desynchronise the two implementations.
 *
 * Algorithms follow fdlibm (e_log.c, e_exp.c) with the same minimax coefficients; accuracy
 * is < 1 ulp over the ranges used by the Poisson sampler. Any edit here must be mirrored in
 * the AssemblyScript file with the same operation order.
 */

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700e0;
const SQRT2 = 1.41421356237309504880;
const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;
const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;
const HALF_LN_2PI = 0.9189385332046728;
const TWO_POW_64 = 18446744073709551616;
const TWO_POW_M1000 = 9.332636185032189e-302;

/** Exponents 512, 256, …, 1 used for exact binary range reduction. */
const STEPS = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1] as const;

/** 2^s for each entry of STEPS, built by repeated squaring (exact: powers of two). */
const POW2_UP: readonly number[] = Object.freeze(STEPS.map((s) => pow2(s)));
/** 2^−s for each entry of STEPS. */
const POW2_DOWN: readonly number[] = Object.freeze(STEPS.map((s) => 1 / pow2(s)));
/** 2^(1−s) for each entry of STEPS: the "below this, shift up by s" thresholds. */
const POW2_LOW: readonly number[] = Object.freeze(STEPS.map((s) => 2 / pow2(s)));

/** ln(k!) for k < 16, correctly rounded (computed with 50-digit arithmetic). */
const LOG_FACTORIAL: readonly number[] = Object.freeze([
  0.0, 0.0, 0.6931471805599453, 1.791759469228055, 3.1780538303479458, 4.787491742782046,
  6.579251212010101, 8.525161361065415, 10.60460290274525, 12.801827480081469,
  15.104412573075516, 17.502307845873887, 19.987214495661885, 22.552163853123425,
  25.19122118273868, 27.89927138384089,
]);

function pow2(s: number): number {
  let r = 1;
  let b = 2;
  for (let e = s; e > 0; e >>>= 1) {
    if (e & 1) r *= b;
    b *= b;
  }
  return r;
}

/** Multiplies x by 2^k exactly (k integer, result assumed normal). */
export function scale2(x: number, k: number): number {
  for (let i = 0; i < STEPS.length; i++) {
    const s = STEPS[i]!;
    if (k >= s) {
      x *= POW2_UP[i]!;
      k -= s;
    } else if (k <= -s) {
      x *= POW2_DOWN[i]!;
      k += s;
    }
  }
  return x;
}

/**
 * Natural logarithm. log(0) = −∞, log(+∞) = +∞, NaN for negative or NaN input.
 * The exponent is extracted by comparisons against exact powers of two instead of bit
 * reinterpretation, which keeps this file free of shared scratch buffers.
 */
export function log(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return x;
  let k = 0;
  if (x < TWO_POW_M1000) {
    x *= TWO_POW_64;
    k -= 64;
  }
  if (x >= 2) {
    for (let i = 0; i < STEPS.length; i++) {
      if (x >= POW2_UP[i]!) {
        x *= POW2_DOWN[i]!;
        k += STEPS[i]!;
      }
    }
  } else if (x < 1) {
    for (let i = 0; i < STEPS.length; i++) {
      if (x < POW2_LOW[i]!) {
        x *= POW2_UP[i]!;
        k -= STEPS[i]!;
      }
    }
  }
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
  return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
}

/** e^x for −708 < x < 709 (the sampler only needs x ∈ (−10, 0]). */
export function exp(x: number): number {
  const k = Math.floor(x * INV_LN2 + 0.5);
  const hi = x - k * LN2_HI;
  const lo = k * LN2_LO;
  const r = hi - lo;
  const t = r * r;
  const c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  const y = 1 - ((lo - (r * c) / (2 - c)) - hi);
  return scale2(y, k);
}

/**
 * ln(k!) for integer k ≥ 0: exact table below 16, else Stirling's series for ln Γ(k + 1)
 * with four correction terms (absolute error < 1e-14 for k ≥ 16).
 */
export function logFactorial(k: number): number {
  if (k < 16) return LOG_FACTORIAL[k]!;
  const x = k + 1;
  const r = 1 / x;
  const r2 = r * r;
  const series = r * (0.08333333333333333 - r2 * (0.002777777777777778 - r2 * (0.0007936507936507937 - r2 * 0.0005952380952380953)));
  return (x - 0.5) * log(x) - x + HALF_LN_2PI + series;
}
