/**
 * @module test/unit/fairness-tests
 * Significance tests next to the four-fifths rule, against values computed by hand
 * from the hypergeometric formula, SciPy's documented Fisher example and published
 * erfc / normal-tail table values (Abramowitz & Stegun).
 */
import { describe, expect, it } from "vitest";
import {
  compareRates,
  erfc,
  fisherExactTwoSided,
  fourFifthsFlipsWithOneSelection,
  impactRatio,
  twoProportionZ,
} from "../../worker/domain/fairness-tests.js";

describe("Fisher's exact test (two-sided)", () => {
  it("[[8, 2], [1, 5]] = 400/11440 = 0.0349650 (hand-computed; SciPy's documented value)", () => {
    // Margins 10, 6 | 9, 7; N = 16; C(16,9) = 11440. P(x) ∝ C(10,x)·C(6,9−x) for x = 3..9:
    // 120, 1260, 3780, 4200, 1800, 270 (observed), 10 → the tables no likelier than 270: 270 + 10 + 120.
    expect(fisherExactTwoSided(8, 2, 1, 5)).toBeCloseTo(400 / 11440, 10);
    expect(fisherExactTwoSided(8, 2, 1, 5)).toBeCloseTo(0.034965, 6);
  });
  it("Fisher's tea tasting [[3, 1], [1, 3]] = 34/70 (ties on both sides are counted)", () => {
    expect(fisherExactTwoSided(3, 1, 1, 3)).toBeCloseTo(34 / 70, 10);
  });
  it("[[3, 0], [0, 3]] = 2/20", () => {
    expect(fisherExactTwoSided(3, 0, 0, 3)).toBeCloseTo(0.1, 10);
  });
  it("a table at the expected counts has p = 1", () => {
    expect(fisherExactTwoSided(5, 5, 5, 5)).toBeCloseTo(1, 9);
  });
});

describe("erfc and the z-test", () => {
  it("matches published erfc values", () => {
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 13);
    expect(erfc(1)).toBeCloseTo(0.1572992070502851, 13);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 10);
    // Two-sided normal tails: z = 1.96 → 0.0499958, z = 3 → 0.0026998.
    expect(erfc(1.96 / Math.SQRT2)).toBeCloseTo(0.04999579029644087, 12);
    expect(erfc(3 / Math.SQRT2)).toBeCloseTo(0.0026997960632601866, 13);
  });
  it("30/100 vs 50/100: pooled p = 0.4, SE = √(0.4·0.6·0.02), z = −2.886751, two-sided p = 0.0038924", () => {
    const { z, pValue } = twoProportionZ({ selected: 30, n: 100 }, { selected: 50, n: 100 });
    expect(z).toBeCloseTo(-0.2 / Math.sqrt(0.0048), 12);
    expect(z).toBeCloseTo(-2.886751, 6);
    expect(pValue).toBeCloseTo(0.003892417122778627, 9);
  });
  it("equal rates of 0% or 100% give z = 0, p = 1", () => {
    expect(twoProportionZ({ selected: 0, n: 10 }, { selected: 0, n: 20 })).toEqual({ z: 0, pValue: 1 });
  });
});

describe("compareRates picks the test by the smallest expected cell", () => {
  it("uses Fisher when an expected cell is below 5", () => {
    // group 1/6 selected, reference 8/10: 9 selected of 16 → expected group-selected cell 6·9/16 = 3.375.
    const r = compareRates({ selected: 1, n: 6 }, { selected: 8, n: 10 });
    expect(r.test).toBe("fisher-exact");
    expect(r.minExpectedCell).toBeCloseTo(6 * 7 / 16, 12);
    expect(r.pValue).toBeCloseTo(400 / 11440, 10);
    expect(r.significant).toBe(true);
  });
  it("uses the z-test when every expected cell is at least 5", () => {
    const r = compareRates({ selected: 30, n: 100 }, { selected: 50, n: 100 });
    expect(r.test).toBe("two-proportion-z");
    expect(r.pValue).toBeCloseTo(0.003892417122778627, 9);
  });
});

describe("practical significance (one selection moved)", () => {
  it("7/20 vs 10/20: ratio 0.7; with 8/20 vs 9/20 it is 0.889 → the conclusion flips", () => {
    expect(impactRatio({ selected: 7, n: 20 }, { selected: 10, n: 20 })).toBeCloseTo(0.7, 12);
    expect(fourFifthsFlipsWithOneSelection({ selected: 7, n: 20 }, { selected: 10, n: 20 })).toBe(true);
  });
  it("2/20 vs 10/20: ratio 0.2; with 3/20 vs 9/20 it is 0.333 → no flip", () => {
    expect(fourFifthsFlipsWithOneSelection({ selected: 2, n: 20 }, { selected: 10, n: 20 })).toBe(false);
  });
  it("a ratio at or above four-fifths never flips by moving a selection towards the group", () => {
    expect(fourFifthsFlipsWithOneSelection({ selected: 9, n: 20 }, { selected: 10, n: 20 })).toBe(false);
  });
});
