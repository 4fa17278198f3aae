/**
 * Review: addSliceRows/rowLabels (per-page label cache, per-attribute code maps) give the
 * same slice tables as the implementation they replaced (77cf5cc), on values that collapse
 * to one label (1, "1", true/"true"), absent/empty values (null → no label), and labels
 * holding the intersection separator or its escape.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { groupLabel, intersectionValue } from "../../worker/domain/slices.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { SliceWindowRow } from "../../worker/engine/ports.js";
import { addSliceRows, createSliceAccumulators } from "../../worker/engine/window.js";

const kernels = createReferenceKernels();
import { OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";

function beforeAdd(s: ReturnType<typeof createSliceAccumulators>, rows: readonly SliceWindowRow[]): void {
  const n = rows.length;
  const k = s.specs.filter((x) => x.attributes.length === 1).length;
  const labels = rows.map((r) => r.groups.slice(0, k).map((g) => (g === null ? null : groupLabel(JSON.parse(g)))));
  s.specs.forEach((spec, si) => {
    const idx = spec.attributes.length === 1 ? [si] : spec.attributes.map((_, j) => j);
    const acc = s.accs[si]!;
    const group = new Uint16Array(n);
    const selected = new Uint8Array(n);
    const outcome = new Uint8Array(n);
    const score = new Float32Array(n);
    let m = 0;
    rows.forEach((r, i) => {
      const parts: string[] = [];
      for (const j of idx) {
        const l = labels[i]![j];
        if (l === null || l === undefined) return;
        parts.push(l);
      }
      group[m] = acc.code(intersectionValue(parts));
      selected[m] = r.selected;
      outcome[m] = r.converted === null ? OUTCOME_UNKNOWN : r.converted;
      score[m] = r.score === null ? NaN : r.score;
      m++;
    });
    acc.add(group.subarray(0, m), selected.subarray(0, m), outcome.subarray(0, m), score.subarray(0, m));
  });
}

const value = fc.constantFrom<unknown>(null, "", "a", "b", "a|b", "a\\", "\\|", 1, "1", true, "true", 0, "0", 2.5, "__proto__", "constructor");
const row = (k: number) =>
  fc.record({
    groups: fc.array(fc.option(value.map((v) => JSON.stringify(v)), { nil: null }), { minLength: k, maxLength: k }),
    selected: fc.constantFrom(0, 1),
    converted: fc.constantFrom(null, 0, 1),
    score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
  });

describe("review: addSliceRows ≡ its 77cf5cc implementation", () => {
  for (const k of [1, 2, 3])
    it(`${k} attribute(s)`, () => {
      fc.assert(
        fc.property(fc.array(row(k), { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), (raw, pages) => {
          const rows: SliceWindowRow[] = raw.map((r, i) => ({ seq: i + 1, createdAt: 1_000 + i, ...r }));
          const attrs = ["a", "b", "c"].slice(0, k);
          const now = createSliceAccumulators(kernels, attrs, { calibrationBins: 5 });
          const old = createSliceAccumulators(kernels, attrs, { calibrationBins: 5 });
          // Several pages: the caches are per call, the codes per accumulator.
          const size = Math.ceil(rows.length / pages) || 1;
          for (let i = 0; i < rows.length; i += size) {
            addSliceRows(now, rows.slice(i, i + size));
            beforeAdd(old, rows.slice(i, i + size));
          }
          expect(now.tables()).toEqual(old.tables());
        }),
        { numRuns: 300 },
      );
    });
});
