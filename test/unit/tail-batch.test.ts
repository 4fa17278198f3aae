/**
 * A tail page counted and hashed as one column batch (engine/column-batch tailBatch, the merge's
 * path) gives exactly the tables and dataset hash of the same traces as rows (addSliceRows and
 * hashSliceRows, the row path's code): on group texts whose labels coincide (1 and "1", true and
 * "true"), absent and empty values, one to three attributes, pages spanning days, null scores
 * and outcomes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addBatch, tailBatch } from "../../worker/engine/column-batch.js";
import { createDatasetHasher } from "../../worker/engine/dataset-hash.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { SliceWindowRow, TailPage } from "../../worker/engine/ports.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { addSliceRows, createSliceAccumulators, rowLabels } from "../../worker/engine/window.js";
import { dayOf, direct, hashSliceRows } from "../../worker/engine/window-hash.js";

const TEXTS = [null, "null", '""', '"a"', '"b"', "1", '"1"', "true", '"true"', "1.5", '{"n":1}', '[1,"a"]', '"é\\u2028"'];
const kernels = createReferenceKernels();

describe("a tail page as one column batch", () => {
  it("counts and hashes exactly as its traces as rows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }).chain((k) =>
          fc.record({
            k: fc.constant(k),
            lists: fc.array(fc.array(fc.constantFrom(...TEXTS), { minLength: k, maxLength: k }), { minLength: 1, maxLength: 6 }),
            traces: fc.array(
              fc.record({ list: fc.nat(), gap: fc.integer({ min: 1, max: DAY_MS / 2 }), selected: fc.integer({ min: 0, max: 1 }), converted: fc.constantFrom(null, 0, 1), score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }) }),
              { minLength: 1, maxLength: 60 },
            ),
          }),
        ),
        async ({ k, lists, traces }) => {
          // A page holds only traces carrying a usable value (the store drops the others).
          const usable = lists.filter((l) => l.some((g) => g !== null && g !== "null" && g !== '""'));
          fc.pre(usable.length > 0);
          let t = Date.UTC(2026, 2, 1);
          const page: TailPage = { seq: [], createdAt: [], groupOf: [], groupLists: usable, selected: [], converted: [], score: [], generation: 0 };
          traces.forEach((x, i) => {
            t += x.gap;
            page.seq.push(100 + i);
            page.createdAt.push(t);
            page.groupOf.push(x.list % usable.length);
            page.selected.push(x.selected);
            page.converted.push(x.converted);
            page.score.push(x.score);
          });
          const attributes = ["a", "b", "c"].slice(0, k);
          const rows: SliceWindowRow[] = page.seq.map((seq, i) => ({ seq, createdAt: page.createdAt[i]!, groups: usable[page.groupOf[i]!]!, selected: page.selected[i]!, converted: page.converted[i]!, score: page.score[i]! }));

          const byRows = createSliceAccumulators(kernels, attributes, { calibrationBins: 10 });
          const hRows = createDatasetHasher(attributes);
          const labels = rowLabels(rows, k);
          addSliceRows(byRows, rows, labels);
          hashSliceRows(direct(hRows), rows, labels);

          const byBatch = createSliceAccumulators(kernels, attributes, { calibrationBins: 10 });
          const hBatch = createDatasetHasher(attributes);
          const b = tailBatch(page, k);
          addBatch(byBatch, b, 1);
          for (let i = 0; i < rows.length; ) {
            const day = dayOf(page.createdAt[i]!);
            let end = i + 1;
            while (end < rows.length && dayOf(page.createdAt[end]!) === day) end++;
            hBatch.columns(day, b.time.subarray(i, end), b.selected.subarray(i, end), b.outcome.subarray(i, end), b.score.subarray(i, end), b.cols.map((c) => ({ dict: c.dict, codes: c.codes.subarray(i, end) })));
            i = end;
          }
          expect(byBatch.tables()).toEqual(byRows.tables());
          expect(hBatch.rows).toBe(hRows.rows);
          expect(await hBatch.digest()).toBe(await hRows.digest());
        },
      ),
      { numRuns: 150 },
    );
  });
});
