/**
 * @module domain/fairness-tests
 * Significance of a difference between two selection rates, as the EEOC's
 * Uniform Guidelines (29 CFR § 1607.4D) discuss next to the four-fifths rule:
 *
 * - a two-sided test of the two rates: Fisher's exact test when any expected
 *   cell of the 2×2 table is below 5, else the pooled two-proportion z-test;
 * - the "practical significance" check: would the four-fifths conclusion flip
 *   if one selection moved from the favoured group to the other group?
 *
 * Pure functions of counts; no I/O.
 */

/** One group's counts: `selected` of `n`. */
export interface RateCounts {
  selected: number;
  n: number;
}

export type SignificanceTest = "fisher-exact" | "two-proportion-z";

export interface RateComparison {
  test: SignificanceTest;
  /** Two-sided p-value. */
  pValue: number;
  /** z statistic (z-test only; null for Fisher). */
  z: number | null;
  /** pValue < alpha. */
  significant: boolean;
  alpha: number;
  /** Smallest expected cell of the 2×2 table (what chose the test). */
  minExpectedCell: number;
}

/** Expected cells below this use Fisher's exact test (the usual rule of thumb, also UGESP practice). */
export const MIN_EXPECTED_CELL = 5;
/** Four-fifths: the impact ratio below which UGESP speaks of adverse impact. */
export const FOUR_FIFTHS = 0.8;

// Lanczos approximation (g = 7, n = 9): |relative error| < 1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * Fisher's exact test, two-sided, for the table [[a, b], [c, d]]: the sum of the
 * hypergeometric probabilities of every table with the same margins that is no more
 * likely than the observed one (the definition R and SciPy use, with the same
 * relative tolerance of 1e-7 so ties are not lost to rounding).
 */
export function fisherExactTwoSided(a: number, b: number, c: number, d: number): number {
  const r1 = a + b;
  const r2 = c + d;
  const c1 = a + c;
  const n = r1 + r2;
  const lo = Math.max(0, c1 - r2);
  const hi = Math.min(r1, c1);
  const logDenominator = logChoose(n, c1);
  const logP = (x: number) => logChoose(r1, x) + logChoose(r2, c1 - x) - logDenominator;
  const observed = logP(a);
  const cutoff = observed + Math.log1p(1e-7);
  let p = 0;
  for (let x = lo; x <= hi; x++) {
    const lp = logP(x);
    if (lp <= cutoff) p += Math.exp(lp);
  }
  return Math.min(1, p);
}

/**
 * erfc(x) for x ≥ 0: the Maclaurin series of erf below 2.5 (converges fast there,
 * rounding ~1e-15), Lentz's continued fraction for erfc above (no cancellation
 * in the tail, where p-values live).
 */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    let term = x;
    let sum = x;
    for (let k = 1; k < 200; k++) {
      term *= (-x * x) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const an = k / 2;
    D = x + an * D;
    D = Math.abs(D) < tiny ? tiny : D;
    C = x + an / C;
    C = Math.abs(C) < tiny ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Pooled two-proportion z-test, two-sided. z is (rate of `a` − rate of `b`) / pooled SE; 0 with p = 1 when the SE is 0. */
export function twoProportionZ(a: RateCounts, b: RateCounts): { z: number; pValue: number } {
  const pooled = (a.selected + b.selected) / (a.n + b.n);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n));
  if (!(se > 0)) return { z: 0, pValue: 1 };
  const z = (a.selected / a.n - b.selected / b.n) / se;
  return { z, pValue: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/** Compares the rate of `group` with the rate of `reference` (the favoured group). Both n must be ≥ 1. */
export function compareRates(group: RateCounts, reference: RateCounts, alpha = 0.05): RateComparison {
  const a = group.selected;
  const b = group.n - group.selected;
  const c = reference.selected;
  const d = reference.n - reference.selected;
  const n = group.n + reference.n;
  const selected = a + c;
  const expected = [
    (group.n * selected) / n,
    (group.n * (n - selected)) / n,
    (reference.n * selected) / n,
    (reference.n * (n - selected)) / n,
  ];
  const minExpectedCell = Math.min(...expected);
  if (minExpectedCell < MIN_EXPECTED_CELL) {
    const pValue = fisherExactTwoSided(a, b, c, d);
    return { test: "fisher-exact", pValue, z: null, significant: pValue < alpha, alpha, minExpectedCell };
  }
  const { z, pValue } = twoProportionZ(group, reference);
  return { test: "two-proportion-z", pValue, z, significant: pValue < alpha, alpha, minExpectedCell };
}

/** The impact ratio of `group` against `reference`, or null when the reference selects nobody. */
export function impactRatio(group: RateCounts, reference: RateCounts): number | null {
  const ref = reference.selected / reference.n;
  return ref > 0 ? group.selected / group.n / ref : null;
}

/**
 * UGESP's practical-significance check: does the four-fifths conclusion (ratio below
 * `threshold` or not) change if one selection moves from the reference (favoured)
 * group to `group`? Only a ratio below the threshold can flip that way; false when
 * there is no selection to move or no room in `group`.
 */
export function fourFifthsFlipsWithOneSelection(group: RateCounts, reference: RateCounts, threshold = FOUR_FIFTHS): boolean {
  const before = impactRatio(group, reference);
  if (before === null || reference.selected < 1 || group.selected >= group.n) return false;
  const after = impactRatio({ selected: group.selected + 1, n: group.n }, { selected: reference.selected - 1, n: reference.n });
  // With the reference's last selection gone the ratio is undefined: the conclusion no longer holds either.
  if (after === null) return before < threshold;
  return before < threshold !== after < threshold;
}

/** Formats a p-value for sentences: 3 significant digits, "< 0.0001" below that. */
export function formatP(p: number): string {
  return p < 0.0001 ? "< 0.0001" : `= ${Number(p.toPrecision(3))}`;
}
