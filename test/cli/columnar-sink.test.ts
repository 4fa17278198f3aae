/**
 * The batch sink's fast paths for dictionary columns (codes that are already the group
 * codes, copied natively; a [1, 0] outcome dictionary flipped a word at a time) give the
 * same confusion tables as the row path, for any dictionary order, nulls, and unaligned
 * batch views, with or without the reader's bound on the codes (`max`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBatchSink } from "../../scripts/cli/columnar.js";
import { createSlices, parseBinary, parseGroup } from "../../scripts/cli/encode.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";
import type { Cell } from "../../worker/engine/sources/columns.js";

describe("batch sink dictionary fast paths", () => {
  it("equal the row path", () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(["A", "B", "C", "D", "E", ""], { minLength: 1 }),
        fc.constantFrom<Cell[]>([0, 1], [1, 0], [1], [0], ["1", "0"]),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 90 }),
        fc.nat(7),
        fc.boolean(),
        fc.boolean(),
        (groupDict, labelDict, rows, skip, nulls, hinted) => {
          // Codes past the dictionary are nulls (the Parquet decoder's null code is dict.length).
          const gRange = groupDict.length + (nulls ? 1 : 0);
          const lRange = labelDict.length + (nulls ? 1 : 0);
          const n = rows.length;
          const gBuf = new Uint8Array(n + skip);
          const lBuf = new Uint8Array(n + skip);
          const dBuf = new Uint8Array(n + skip);
          rows.forEach(([g, l, d], i) => {
            gBuf[skip + i] = g % gRange;
            lBuf[skip + i] = l % lRange;
            dBuf[skip + i] = d ? 1 : 0;
          });
          // A reader that checked its codes says so (`max`, as the Parquet decoder does); the sink then skips its own scans.
          const max = (dict: readonly Cell[]) => (hinted ? { max: dict.length - (nulls ? 0 : 1) } : {});
          const kernels = createReferenceKernels();
          const [fast] = createSlices(["g"], kernels);
          const [slow] = createSlices(["g"], kernels);
          const sink = createBatchSink({ slices: [fast!], attributes: 1, labelAt: 1, selection: { kind: "decision" }, columns: ["g", "label", "decision"], file: "f" });
          sink.add({
            firstRow: 0,
            length: n,
            columns: [
              { kind: "dict", codes: gBuf.subarray(skip), dict: groupDict, ...max(groupDict) },
              { kind: "dict", codes: lBuf.subarray(skip), dict: labelDict, ...max(labelDict) },
              { kind: "bool", values: dBuf.subarray(skip), ...(hinted ? { max: 1 } : {}) },
            ],
          });
          for (let i = 0; i < n; i++) {
            const g = gBuf[skip + i]!;
            const l = lBuf[skip + i]!;
            const label = l < labelDict.length ? (parseBinary(labelDict[l]) ?? OUTCOME_UNKNOWN) : OUTCOME_UNKNOWN;
            slow!.add([g < groupDict.length ? parseGroup(groupDict[g]) : null], dBuf[skip + i]!, label);
          }
          expect(fast!.table()).toEqual(slow!.table());
        },
      ),
      { numRuns: 400 },
    );
  });
});
