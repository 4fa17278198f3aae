/**
 * @module test/contract/kernels.case
 * The Kernels contract as one reusable suite: every implementation (Wasm, reference, any
 * future one) must pass it unchanged. Counts are checked against naive oracles written
 * independently in kernels-fixtures.ts; bootstrap against distributional properties.
 */

import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { CELLS_PER_GROUP, CONFUSION_FIELDS, type Kernels } from "../../worker/engine/kernels/types.js";
import {
  cellMoments,
  chiSquareCritical,
  columnsFromRows,
  expectSameCounts,
  makeColumns,
  naiveConfusion,
  naiveHistogram,
  poissonChiSquare,
} from "./kernels-fixtures.js";

/** Produces a fresh Kernels implementation for the suite. */
export type KernelsFactory = () => Promise<Kernels>;

/** A row tuple (group, selected byte, outcome byte) for groups < groupCount. */
function rowArb(groupCount: number) {
  return fc.tuple(
    fc.nat(groupCount - 1),
    fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })),
    fc.oneof(fc.constantFrom(0, 1, 255), fc.integer({ min: 0, max: 255 })),
  );
}

/**
 * Arrays of `item`: short ones (where shrinking is most useful) and long ones with ≥ 64 rows so
 * every SIMD block path and the scalar tail get exercised (fast-check's default size caps
 * arrays at ~10 elements).
 */
function rowsArb<T>(item: fc.Arbitrary<T>, maxLength: number): fc.Arbitrary<T[]> {
  return fc.oneof(
    fc.array(item, { maxLength: 12 }),
    fc.array(item, { minLength: 64, maxLength, size: "max" }),
  );
}

/** Registers the contract suite for one implementation. */
export function describeKernelsContract(name: string, factory: KernelsFactory): void {
  describe(`Kernels contract — ${name}`, () => {
    let k: Kernels;
    beforeAll(async () => {
      k = await factory();
    });

    describe("confusion", () => {
      it("returns zeroed counts for empty input", () => {
        const empty = { group: new Uint16Array(0), selected: new Uint8Array(0), outcome: new Uint8Array(0) };
        expect(k.confusion(empty, 0)).toEqual(new Uint32Array(0));
        expect(k.confusion(empty, 3)).toEqual(new Uint32Array(3 * CONFUSION_FIELDS));
      });

      it("counts a single row in every selected × outcome combination", () => {
        for (const selected of [0, 1]) {
          for (const outcome of [0, 1, 255]) {
            const cols = columnsFromRows([[2, selected, outcome]]);
            expect(k.confusion(cols, 3)).toEqual(naiveConfusion(cols, 3));
          }
        }
      });

      it("matches the naive count on random rows (fast-check)", () => {
        const arb = fc.integer({ min: 1, max: 40 }).chain((g) =>
          fc.tuple(fc.constant(g), rowsArb(rowArb(g), 600)),
        );
        fc.assert(
          fc.property(arb, ([g, rows]) => {
            const cols = columnsFromRows(rows);
            expect(k.confusion(cols, g)).toEqual(naiveConfusion(cols, g));
          }),
          { numRuns: 150 },
        );
      });

      it("matches the naive count on large seeded batches (chunk boundaries, both strategies)", () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 300_000 }),
            fc.constantFrom(1, 2, 4, 5, 8, 16, 17, 100, 65_535),
            fc.nat(),
            fc.boolean(),
            (rows, groupCount, seed, noisyBytes) => {
              const cols = makeColumns({ rows, groupCount, seed, noisyBytes });
              expectSameCounts(k.confusion(cols, groupCount), naiveConfusion(cols, groupCount));
            },
          ),
          { numRuns: 12 },
        );
      });

      it("handles one group and 65,535 groups", () => {
        const one = makeColumns({ rows: 10_007, groupCount: 1, seed: 1 });
        expect(k.confusion(one, 1)).toEqual(naiveConfusion(one, 1));
        const many = makeColumns({ rows: 200_000, groupCount: 65_535, seed: 2 });
        many.group[0] = 65_534;
        expectSameCounts(k.confusion(many, 65_535), naiveConfusion(many, 65_535));
        many.group[1] = 65_535;
        expectSameCounts(k.confusion(many, 65_536), naiveConfusion(many, 65_536));
      });

      it("counts nothing as labeled when every outcome is unknown", () => {
        const cols = makeColumns({ rows: 5_000, groupCount: 4, seed: 3, outcomeMix: [0, 0] });
        const out = k.confusion(cols, 4);
        expect(out).toEqual(naiveConfusion(cols, 4));
        for (let g = 0; g < 4; g++) {
          const row = Array.from(out.subarray(g * CONFUSION_FIELDS, (g + 1) * CONFUSION_FIELDS));
          expect(row.slice(2)).toEqual([0, 0, 0, 0, 0, 0]);
        }
      });

      it("adds into `into` and leaves it untouched when it throws", () => {
        const a = makeColumns({ rows: 1_000, groupCount: 3, seed: 4 });
        const b = makeColumns({ rows: 777, groupCount: 3, seed: 5 });
        const into = k.confusion(a, 3);
        const same = k.confusion(b, 3, into);
        expect(same).toBe(into);
        const both = naiveConfusion(a, 3).map((v, i) => v + naiveConfusion(b, 3)[i]!);
        expect(into).toEqual(both);
        const before = into.slice();
        b.group[500] = 3;
        expect(() => k.confusion(b, 3, into)).toThrow(RangeError);
        expect(into).toEqual(before);
        expect(() => k.confusion(a, 3, new Uint32Array(5))).toThrow(RangeError);
      });

      it("throws RangeError on mismatched columns, bad groupCount, out-of-range codes", () => {
        const cols = makeColumns({ rows: 300, groupCount: 4, seed: 6 });
        expect(() => k.confusion({ ...cols, selected: cols.selected.subarray(1) }, 4)).toThrow(RangeError);
        expect(() => k.confusion({ ...cols, outcome: new Uint8Array(301) }, 4)).toThrow(RangeError);
        for (const bad of [-1, 1.5, 65_537, Number.NaN]) expect(() => k.confusion(cols, bad)).toThrow(RangeError);
        // In a 64-row block and in the tail; codes around the u16 → i8 narrowing boundaries.
        for (const g of [4, 7, 16]) {
          const base = makeColumns({ rows: 300, groupCount: g, seed: 6 + g });
          for (const code of [g, g + 1, 127, 128, 255, 256, 32_767, 32_768, 65_535]) {
            for (const pos of [0, 10, 64, 255, 299]) {
              const copy = { ...base, group: base.group.slice() };
              copy.group[pos] = code;
              expect(() => k.confusion(copy, g)).toThrow(RangeError);
            }
          }
        }
        const wide = makeColumns({ rows: 300, groupCount: 40, seed: 7 });
        wide.group[200] = 40;
        expect(() => k.confusion(wide, 40)).toThrow(RangeError);
        expect(() => k.confusion(cols, 0)).toThrow(RangeError);
      });
    });

    describe("histogram", () => {
      const special = [0, -0, 1, 0.5, 0.1, 0.99999994, 1.0000001, -0.25, 7, -Infinity, Infinity, Number.NaN];

      it("matches the naive histogram on random and edge-case scores (fast-check)", () => {
        const arb = fc.record({
          g: fc.integer({ min: 1, max: 20 }),
          bins: fc.integer({ min: 1, max: 64 }),
          rows: rowsArb(
            fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...special), fc.float()), fc.constantFrom(0, 1, 255)),
            400,
          ),
        });
        fc.assert(
          fc.property(arb, ({ g, bins, rows }) => {
            const group = Uint16Array.from(rows, (r) => r[0] % g);
            const score = Float32Array.from(rows, (r) => r[1]);
            const outcome = Uint8Array.from(rows, (r) => r[2]);
            const got = k.histogram(group, score, outcome, g, bins);
            const want = naiveHistogram(group, score, outcome, g, bins);
            expect(Array.from(got.count)).toEqual(want.count);
            expect(Array.from(got.positives)).toEqual(want.positives);
          }),
          { numRuns: 150 },
        );
      });

      it("handles empty input, many groups and bad arguments", () => {
        const none = k.histogram(new Uint16Array(0), new Float32Array(0), new Uint8Array(0), 2, 5);
        expect(none.count).toEqual(new Uint32Array(10));
        const cols = makeColumns({ rows: 150_000, groupCount: 65_535, seed: 8 });
        const score = Float32Array.from(cols.group, (_, i) => ((i * 7919) % 1000) / 999);
        const got = k.histogram(cols.group, score, cols.outcome, 65_535, 3);
        const want = naiveHistogram(cols.group, score, cols.outcome, 65_535, 3);
        expectSameCounts(got.count, want.count);
        expectSameCounts(got.positives, want.positives);
        const g = new Uint16Array([0, 1, 2]);
        const s = new Float32Array([0.1, 0.2, 0.3]);
        const o = new Uint8Array([1, 0, 1]);
        expect(() => k.histogram(g, s, o, 2, 4)).toThrow(RangeError);
        expect(() => k.histogram(g, s.subarray(1), o, 3, 4)).toThrow(RangeError);
        expect(() => k.histogram(g, s, o, 3, 0)).toThrow(RangeError);
        expect(() => k.histogram(g, s, o, 3, 2.5)).toThrow(RangeError);
        expect(() => k.histogram(g, s, o, 65_536, 1 << 10)).toThrow(RangeError);
      });
    });

    describe("bootstrap", () => {
      it("is deterministic per seed, differs across seeds, and is prefix-stable in replicates", () => {
        fc.assert(
          fc.property(
            fc.array(fc.oneof(fc.nat(20), fc.nat(200_000)), { minLength: 6, maxLength: 6 }),
            fc.nat({ max: 0xffffffff }),
            fc.nat({ max: 0xffffffff }),
            (counts, seedA, seedB) => {
              fc.pre(seedA !== seedB && counts.some((c) => c > 0));
              const cells = Uint32Array.from(counts);
              const a = k.bootstrap(cells, 40, seedA);
              expect(a.length).toBe(40 * 6);
              expect(k.bootstrap(cells, 40, seedA)).toEqual(a);
              expect(k.bootstrap(cells, 25, seedA)).toEqual(a.subarray(0, 25 * 6));
              expect(k.bootstrap(cells, 40, seedB)).not.toEqual(a);
            },
          ),
          { numRuns: 60 },
        );
      });

      it("reproduces the golden replicates (the sampler and PRNG are part of the contract)", () => {
        // Changing Threefry keying, the uniform construction or the samplers changes these
        // values and silently breaks reproducibility of stored evaluations: bump deliberately.
        const cells = Uint32Array.from([0, 1, 5, 9, 10, 12, 100, 45_000, 125_000, 4_294_967_295, 3, 2]);
        expect(Array.from(k.bootstrap(cells, 3, 42))).toEqual([
          0, 1, 6, 5, 14, 17, 107, 44_898, 125_105, 4_294_967_295, 6, 3,
          0, 1, 5, 10, 5, 11, 87, 45_146, 124_513, 4_294_876_467, 4, 1,
          0, 2, 6, 11, 10, 8, 104, 44_717, 124_540, 4_294_954_093, 5, 2,
        ]);
        expect(Array.from(k.bootstrap(cells, 2, 0xffffffff))).toEqual([
          0, 2, 6, 6, 10, 8, 96, 45_426, 125_072, 4_294_962_253, 3, 3,
          0, 1, 5, 7, 8, 15, 94, 44_671, 124_784, 4_294_923_725, 5, 1,
        ]);
      });

      it("keeps zero cells at zero and handles empty shapes", () => {
        const cells = new Uint32Array([0, 5, 0, 12, 0, 100_000, 0, 0, 0, 0, 0, 0]);
        const out = k.bootstrap(cells, 200, 7);
        for (let r = 0; r < 200; r++) {
          for (const c of [0, 2, 4, 6, 7, 8, 9, 10, 11]) expect(out[r * 12 + c]).toBe(0);
        }
        expect(k.bootstrap(new Uint32Array(0), 10, 1)).toEqual(new Uint32Array(0));
        expect(k.bootstrap(cells, 0, 1)).toEqual(new Uint32Array(0));
      });

      it("has replicate mean ≈ cell count and variance ≈ cell count", () => {
        const lambdas = [1, 3, 9, 10, 11, 50, 1_000, 45_000, 250_000, 4_000_000_000, 7, 0];
        const reps = 4_000;
        const out = k.bootstrap(Uint32Array.from(lambdas), reps, 20_240_601);
        lambdas.forEach((lambda, c) => {
          const { mean, variance } = cellMoments(out, lambdas.length, c);
          // 6 standard errors of the mean; variance within 25 % (its relative s.e. is ≈ 2.2 %).
          expect(Math.abs(mean - lambda)).toBeLessThanOrEqual(6 * Math.sqrt(lambda / reps) + 1e-9);
          if (lambda > 0) expect(Math.abs(variance / lambda - 1)).toBeLessThan(0.25);
        });
      });

      it("matches the Poisson pmf (χ² goodness of fit, both samplers)", () => {
        const lambdas = [1, 3, 9, 10, 37, 400];
        const reps = 20_000;
        const out = k.bootstrap(Uint32Array.from(lambdas), reps, 77);
        lambdas.forEach((lambda, c) => {
          const column = Array.from({ length: reps }, (_, r) => out[r * lambdas.length + c]!);
          const { chi2, df } = poissonChiSquare(column, lambda);
          expect(chi2).toBeLessThan(chiSquareCritical(df));
        });
      });

      it("rejects bad arguments", () => {
        const cells = new Uint32Array(CELLS_PER_GROUP);
        expect(() => k.bootstrap(new Uint32Array(5), 1, 1)).toThrow(RangeError);
        expect(() => k.bootstrap(cells, -1, 1)).toThrow(RangeError);
        expect(() => k.bootstrap(cells, 1.5, 1)).toThrow(RangeError);
        expect(() => k.bootstrap(cells, 1, -1)).toThrow(RangeError);
        expect(() => k.bootstrap(cells, 1, 2 ** 32)).toThrow(RangeError);
      });
    });
  });
}
