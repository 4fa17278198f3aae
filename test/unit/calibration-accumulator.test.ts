/**
 * The calibration accumulator's two entry points — raw scores, and a batch prepared once
 * for several slices — checked against bins, counts and score sums worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { createCalibrationAccumulator, createCalibrationBatch } from "../../worker/engine/calibration-accumulator.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";

// Scores chosen so each bin (of 4) and each score unit (score × 2^24) is plain arithmetic.
const score = new Float32Array([0.125, 0.875, 0.5, Number.NaN, 0.25, 1, 0]);
// 255 = unknown outcome: left out of calibration even with a score.
const outcome = new Uint8Array([1, 0, 1, 1, 255, 1, 0]);
const group = new Uint16Array([0, 0, 1, 1, 1, 0, 1]);
const U = 16_777_216;

const kernelSets: [string, () => Promise<Kernels>][] = [
  ["reference", async () => createReferenceKernels()],
  ["wasm", () => loadWasmKernelsFromFile()],
];

describe.each(kernelSets)("calibration batch (%s kernels)", (_, load) => {
  it("keeps the labelled traces that have a score, with their bins and score units", () => {
    const b = createCalibrationBatch(score, outcome, 4);
    // Trace 3 has no score, trace 4 no label.
    expect([...b.at]).toEqual([0, 1, 2, 5, 6]);
    // 0.125·4 = 0.5 → bin 0; 0.875·4 = 3.5 → 3; 0.5·4 = 2 → 2; a score of 1 falls in the last bin; 0 → 0.
    expect([...b.bin]).toEqual([0, 3, 2, 3, 0]);
    expect([...b.units]).toEqual([0.125 * U, 0.875 * U, 0.5 * U, U, 0]);
    expect(Number.isNaN(b.masked[4]!)).toBe(true);
    expect(b.masked[2]).toBe(0.5);
  });

  it("adds the same bins whether given raw scores or a prepared batch", async () => {
    const kernels = await load();
    const expected = {
      bins: 4,
      groups: [
        // group "a": traces 0 (bin 0, positive), 1 (bin 3, negative), 5 (bin 3, positive)
        { value: "a", count: [1, 0, 0, 2], positives: [1, 0, 0, 1], scoreSum: [0.125 * U, 0, 0, 0.875 * U + U] },
        // group "b": traces 2 (bin 2, positive) and 6 (bin 0, negative)
        { value: "b", count: [1, 0, 1, 0], positives: [0, 0, 1, 0], scoreSum: [0, 0, 0.5 * U, 0] },
      ],
    };
    const raw = createCalibrationAccumulator(kernels, 4);
    raw.add(group, score, outcome, 2, null);
    const prepared = createCalibrationAccumulator(kernels, 4);
    const batch = createCalibrationBatch(score, outcome, 4);
    prepared.add(group, batch, outcome, 2, null);
    expect(raw.table(["a", "b"])).toEqual(expected);
    expect(prepared.table(["a", "b"])).toEqual(expected);
  });

  it("refuses a batch prepared for other bins or another batch", async () => {
    const acc = createCalibrationAccumulator(await load(), 4);
    expect(() => acc.add(group, createCalibrationBatch(score, outcome, 5), outcome, 2, null)).toThrow(RangeError);
    expect(() => acc.add(group.subarray(0, 3), createCalibrationBatch(score, outcome, 4), outcome.subarray(0, 3), 2, null)).toThrow(RangeError);
  });
});
