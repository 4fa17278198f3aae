/**
 * domain/order-statistics: quickselect's order statistics and quantiles are exactly what
 * sorting gives — the oracle here is a sorted copy (TypedArray sort) and NumPy's linear
 * interpolation written out — on arrays with many ties, signed zeros and infinities, with
 * several reads of the same array in a row (each works on the order the last one left).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quantilesOf, selectInPlace } from "../../worker/domain/order-statistics.js";
import { bootstrapSamples, sampleInterval } from "../../worker/domain/intervals.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";

/** NumPy's default quantile (linear) read from a sorted array. */
function sortedQuantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const value = fc.oneof(
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 1, 0.5, Infinity, -Infinity),
  fc.integer({ min: -3, max: 3 }).map((x) => x / 4),
);

describe("order statistics by selection", () => {
  it("select the value sorting puts at each index", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), (xs, ks) => {
        const sorted = Float64Array.from(xs).sort();
        const a = Float64Array.from(xs);
        for (const k0 of ks) {
          const k = k0 % xs.length;
          // Equal as numbers: selection may return +0 where sorting has −0 first (they compare equal).
          expect(selectInPlace(a, k) === sorted[k]).toBe(true);
        }
        expect(Float64Array.from(a).sort()).toEqual(sorted);
      }),
      { numRuns: 400 },
    );
  });

  it("give the sorted array's quantiles, bit for bit, read repeatedly at any level, in the tails and between them", () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 1200 }),
        fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 0.05, noNaN: true }), fc.double({ min: 0.95, max: 1, noNaN: true })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(0.05, 0.01, 0.3),
        (xs, qs, tail) => {
          const sorted = Float64Array.from(xs).sort();
          const a = Float64Array.from(xs);
          const quantile = quantilesOf(a, tail);
          for (const q of [...qs, 0, 1, 0.025, 0.975, ...qs]) expect(Object.is(quantile(q), sortedQuantile(sorted, q))).toBe(true);
          // Only rearranged: the same values.
          expect(Float64Array.from(a).sort()).toEqual(sorted);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects an index outside the array or its range, and a quantile of nothing", () => {
    expect(() => selectInPlace(new Float64Array(3), 3)).toThrow(RangeError);
    expect(() => selectInPlace(new Float64Array(0), 0)).toThrow(RangeError);
    expect(() => selectInPlace(new Float64Array(5), 1, 2, 4)).toThrow(RangeError);
    expect(() => quantilesOf(new Float64Array(0))(0.5)).toThrow(RangeError);
  });

  it("give bootstrap intervals equal to those read from the sorted replicates", () => {
    const kernels = createReferenceKernels();
    const groups = [
      { value: "a", n: 900, selected: 300, labeled: 400, positives: 150, tp: 80, fp: 40, fn: 70, tn: 210 },
      { value: "b", n: 700, selected: 150, labeled: 300, positives: 130, tp: 50, fp: 20, fn: 80, tn: 150 },
      { value: "c", n: 40, selected: 2, labeled: 10, positives: 0, tp: 0, fp: 1, fn: 0, tn: 9 },
    ];
    const samples = bootstrapSamples(groups, null, { resample: (c, r, s) => kernels.bootstrap(c, r, s), replicates: 999, seed: 7 });
    let checked = 0;
    for (const s of Object.values(samples)) {
      const sorted = Float64Array.from(s.values).sort();
      for (const level of [0.95, 0.99, 0.5]) {
        const iv = sampleInterval(s, level);
        if (sorted.length * 2 < s.replicates) expect(iv).toBeNull();
        else {
          expect(iv).toEqual({ lower: sortedQuantile(sorted, (1 - level) / 2), upper: sortedQuantile(sorted, 1 - (1 - level) / 2) });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(6);
  });
});
