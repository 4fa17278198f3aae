/**
 * The calibration gap's bootstrap runs only when the policy gates the gap: its bins are
 * most of the resampled cells, and an ungated interval decides nothing. Ungated, the gap
 * keeps its value and says why it has no interval; every other metric's interval is the
 * same bits either way (calibration replicates have their own stream).
 */
import { describe, expect, it } from "vitest";
import { decideGate } from "../../worker/domain/gate.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { UNGATED_CALIBRATION_NOTE } from "../../worker/domain/results.js";
import type { SliceTable } from "../../worker/domain/slices.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { SliceWindowRow } from "../../worker/engine/ports.js";
import { addSliceRows, createSliceAccumulators } from "../../worker/engine/window.js";

const kernels = createReferenceKernels();

/** 2 groups × 400 traces, all labelled and scored; group b's scores are off by ~0.2. */
function window(): SliceTable[] {
  const rows: SliceWindowRow[] = [];
  for (let i = 0; i < 800; i++) {
    const b = i % 2 === 1;
    const p = ((i * 37) % 100) / 100;
    const label = ((i * 61) % 100) / 100 < p ? 1 : 0;
    rows.push({ seq: i + 1, createdAt: 1_000 + i, groups: [JSON.stringify(b ? "b" : "a")], selected: p > 0.5 ? 1 : 0, converted: label, score: b ? Math.min(0.99, p + 0.2) : p });
  }
  const s = createSliceAccumulators(kernels, ["ageBand"], { calibrationBins: 10 });
  addSliceRows(s, rows);
  return s.tables();
}

const decide = (thresholds: Record<string, number>, extra: Record<string, unknown> = {}) =>
  decideGate(fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", minGroupSize: 30, thresholds, ...extra }), { observed: window() }, null, {
    resample: kernels.bootstrap,
  }).results[0]!.metrics;

describe("calibration gap interval", () => {
  it("ungated: the value is reported, no interval, and the note says why", () => {
    const m = decide({ demographicParityGap: 0.9 });
    expect(m.calibrationGap.value).toBeGreaterThan(0);
    expect(m.calibrationGap.interval).toBeNull();
    expect(m.calibrationGap.intervalMethod).toBeNull();
    expect(m.calibrationGap.note).toBe(UNGATED_CALIBRATION_NOTE);
  });

  it("gated by a threshold or a maxRegression: bootstrapped, around its value", () => {
    for (const m of [decide({ calibrationGap: 0.5 }), decide({ demographicParityGap: 0.9 }, { maxRegression: { calibrationGap: 0.05 } })]) {
      const c = m.calibrationGap;
      expect(c.intervalMethod).toBe("poisson-bootstrap");
      expect(c.interval).not.toBeNull();
      expect(c.interval!.lower).toBeLessThanOrEqual(c.value!);
      expect(c.interval!.upper).toBeGreaterThanOrEqual(c.value!);
      expect(c.note).toBeNull();
    }
  });

  it("the same value and, for every other metric, the same interval whether calibration is gated or not", () => {
    const ungated = decide({ demographicParityGap: 0.9 });
    const gated = decide({ demographicParityGap: 0.9, calibrationGap: 0.5 });
    expect(ungated.calibrationGap.value).toBe(gated.calibrationGap.value);
    for (const k of Object.keys(gated) as (keyof typeof gated)[]) {
      if (k === "calibrationGap") continue;
      expect([k, ungated[k].interval]).toEqual([k, gated[k].interval]);
    }
  });
});
