/**
 * @module test/contract/kernels-cross-check.test
 * Wasm output must equal reference output bit for bit on random data, including the
 * portable log/exp/ln k! the bootstrap depends on (exported by the module for this check).
 */

import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { exp, log, logFactorial } from "../../worker/engine/kernels/portable-math.js";
import { threefry2x32 } from "../../worker/engine/kernels/poisson.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { wrapWasmInstance } from "../../worker/engine/kernels/wasm.js";
import { DEFAULT_WASM_URL } from "../../worker/engine/kernels/wasm-node.js";
import { expectSameCounts, makeColumns } from "./kernels-fixtures.js";

interface MathExports {
  log(x: number): number;
  exp(x: number): number;
  logFactorial(k: number): number;
}

describe("Wasm ≡ reference", () => {
  const ref = createReferenceKernels();
  let wasm: Kernels;
  let math: MathExports;
  beforeAll(async () => {
    const { instance } = await WebAssembly.instantiate(await readFile(DEFAULT_WASM_URL), {});
    wasm = wrapWasmInstance(instance);
    math = instance.exports as unknown as MathExports;
  });

  it("Threefry-2×32-20 matches the Random123 known-answer vectors", () => {
    const out = new Uint32Array(2);
    const kat: Array<[number, number, number, number, number, number]> = [
      [0, 0, 0, 0, 0x6b200159, 0x99ba4efe],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x1cb996fc, 0xbb002be7],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xc4923a9c, 0x483df7a0],
    ];
    for (const [c0, c1, k0, k1, o0, o1] of kat) {
      threefry2x32(c0, c1, k0, k1, out);
      expect(Array.from(out)).toEqual([o0, o1]);
    }
  });

  it("portable log, exp and ln k! agree bit for bit and stay within 1 ulp-ish of libm", () => {
    const positive = fc.oneof(
      fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true }),
      fc.double({ min: 0.5, max: 2, noNaN: true }),
      fc.integer({ min: 1, max: 0xffffffff }).map(Number),
    );
    fc.assert(
      fc.property(positive, (x) => {
        expect(Object.is(math.log(x), log(x))).toBe(true);
        expect(Math.abs(log(x) - Math.log(x))).toBeLessThanOrEqual(Math.abs(Math.log(x)) * 4e-16 + 1e-300);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.double({ min: -700, max: 700, noNaN: true }), (x) => {
        expect(Object.is(math.exp(x), exp(x))).toBe(true);
        expect(Math.abs(exp(x) / Math.exp(x) - 1)).toBeLessThanOrEqual(4e-16);
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (k) => {
        expect(Object.is(math.logFactorial(k), logFactorial(k))).toBe(true);
      }),
      { numRuns: 3_000 },
    );
    for (const x of [0, -1, Number.NaN, Infinity, 5e-324, 2 ** -1022, 1, 2, Math.SQRT2]) {
      expect(Object.is(math.log(x), log(x))).toBe(true);
    }
  });

  it("confusion counts and histograms are identical on random data", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.boolean(),
        (rows, groupCount, seed, noisyBytes) => {
          const cols = makeColumns({ rows, groupCount, seed, noisyBytes });
          expectSameCounts(wasm.confusion(cols, groupCount), ref.confusion(cols, groupCount));
          const score = Float32Array.from(cols.group, (_, i) => ((i * 2654435761) % 4099) / 4096 - 0.0005);
          const w = wasm.histogram(cols.group, score, cols.outcome, groupCount, 1 + (seed % 50));
          const r = ref.histogram(cols.group, score, cols.outcome, groupCount, 1 + (seed % 50));
          expectSameCounts(w.count, r.count);
          expectSameCounts(w.positives, r.positives);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("bootstrap replicates are identical for the same seed (random tables)", () => {
    const cellCount = fc.oneof(fc.nat(12), fc.integer({ min: 10, max: 2_000 }), fc.integer({ min: 0, max: 0xffffffff }));
    fc.assert(
      fc.property(
        fc.array(cellCount, { minLength: 1, maxLength: 4 }).map((g) => g.length * 6),
        fc.array(cellCount, { minLength: 24, maxLength: 24 }),
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 1, max: 300 }),
        (width, counts, seed, reps) => {
          const cells = Uint32Array.from(counts.slice(0, width));
          expectSameCounts(wasm.bootstrap(cells, reps, seed), ref.bootstrap(cells, reps, seed));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("bootstrap is identical where PTRS rejects or takes its slow test (a million draws, λ from 10 to 2^32 − 1)", () => {
    // ~1 in 5 draws at λ ≥ 10 misses PTRS's quick accept and is decided by its log test, which
    // the Wasm computes with one log except near the bound: these are ~200,000 such decisions.
    const cells = Uint32Array.from([10, 11, 16, 37, 99, 1_000, 5_000, 65_537, 1_234_567, 0xfffffffe, 0xffffffff, 4e9]);
    for (const seed of [1, 2, 0xdeadbeef, 0xffffffff]) expectSameCounts(wasm.bootstrap(cells, 20_000, seed), ref.bootstrap(cells, 20_000, seed));
  });

  it("bootstrap is identical across the wrapper's replicate chunks (wide tables)", () => {
    const cells = Uint32Array.from({ length: 6 * 30_000 }, (_, i) => (i * 7919) % 13);
    expectSameCounts(wasm.bootstrap(cells, 12, 99), ref.bootstrap(cells, 12, 99));
  });
});
