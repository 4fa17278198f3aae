/**
 * Reports and alert payloads read evaluations defensively: an evaluation in the
 * richer shape (per-slice results with intervals, tiers and statuses, group
 * intervals and calibration, warnings, baseline regressions, replay) renders
 * every part, and a minimal one still renders.
 */
import { describe, expect, it } from "vitest";
import { evaluationAlert } from "../../worker/domain/alerts.js";
import { buildReport } from "../../worker/domain/report.js";
import { renderReportHtml } from "../../worker/report/html.js";

const group = (value: string, n: number, selected: number, lo: number, hi: number, excluded = false) => ({
  value, n, selected, labeled: n, positives: n / 2, tp: 1, fp: 1, tn: 1, fn: 1, selectionRate: selected / n, tpr: 0.5, fpr: 0.2, fnr: 0.5, ppv: 0.5, fnFpRatio: 1, excluded,
  intervals: { selectionRate: { lower: lo, upper: hi }, tpr: null, fpr: null, fnr: null, ppv: null },
  calibration: { n, ece: 0.05, bins: [{ lower: 0, upper: 0.5, n: n / 2, meanScore: 0.25, observedRate: 0.3 }, { lower: 0.5, upper: 1, n: n / 2, meanScore: 0.75, observedRate: 0.7 }] },
});
const metric = (value: number | null, status: string, threshold: unknown = null, interval: unknown = null) => ({ value, interval, note: null, excluded: [], threshold, status, sampleSizeHint: null });

const rich = {
  id: "ev-1", flowId: "f-1", flowKey: "cards", version: 3, trigger: "recheck", verdict: "pass", reason: null,
  sensitiveAttribute: "ageBand", sensitiveAttributes: ["ageBand", "region"],
  window: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-08T00:00:00.000Z", days: 7 }, sampleSize: 400,
  metrics: { disparateImpactRatio: 0.82, demographicParityGap: 0.1, equalOpportunityGap: 0.05 }, metricNotes: {},
  groups: [group("18-24", 200, 100, 0.43, 0.57), group("65+", 180, 74, 0.34, 0.48), group("tiny", 20, 10, 0.3, 0.7, true)],
  excludedFromEqualOpportunity: [], violations: [],
  warnings: [{ tier: "critical", kind: "threshold", slice: "ageBand", source: "observed", metric: "disparateImpactRatio", message: "disparate impact ratio 0.820 < threshold 0.85 (critical)" }],
  insufficientEvidence: [], decisionRule: "point", minGroupSize: 30,
  intervals: { level: 0.95, groupRates: "wilson", aggregates: "poisson-bootstrap", replicates: 1000, seed: 1 },
  results: [
    {
      slice: "ageBand", attributes: ["ageBand"], source: "observed", sampleSize: 380, groups: [],
      excludedGroups: [{ value: "tiny", n: 20, reason: "below minGroupSize 30" }],
      metrics: { disparateImpactRatio: metric(0.82, "critical", { critical: 0.85, block: 0.8 }, { lower: 0.7, upper: 0.95 }), calibrationGap: metric(null, "not_checked") },
      counterfactual: { requests: 100, trials: 100, flips: 3, rate: 0.03, interval: null, pairs: [], pairsTruncated: false, refused: 0 },
    },
    { slice: "ageBand|region", attributes: ["ageBand", "region"], source: "observed", sampleSize: 380, groups: [], excludedGroups: [], metrics: { demographicParityGap: metric(0.12, "pass", { block: 0.2 }) }, counterfactual: null },
  ],
  replay: { version: 3, requests: 500, refused: 0, changed: 12 },
  baseline: { evaluationId: "ev-0", createdAt: "2025-12-31T00:00:00.000Z", regressions: [{ slice: "ageBand", source: "observed", metric: "disparateImpactRatio", baseline: 0.9, current: 0.82, worsening: 0.08, maxRegression: 0.05, message: "…" }] },
  policy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: { critical: 0.85, block: 0.8 } }, minSampleSize: 100 },
  overrideId: null, approvedBy: null, createdAt: "2026-01-08T00:00:00.000Z",
};

const input = (evaluation: unknown) => ({ tenant: { id: "t", name: "T" }, evaluation, flowDefinition: { offers: [] }, datasetHash: "ab".repeat(32), datasetHashScope: "test", overrides: [], generatedAt: "2026-01-09T00:00:00.000Z" });

describe("report and alert shapes", () => {
  it("renders the richer evaluation: intervals, tiers, slices, warnings, calibration, counterfactual, replay, baseline", async () => {
    const r = await buildReport(input(rich));
    expect(r.groups[1]).toMatchObject({ value: "65+", selectionRateInterval: { low: 0.34, high: 0.48 } });
    expect(r.groups[2]!.excluded).toBe(true);
    expect(r.metrics.find((m) => m.metric === "disparateImpactRatio")!.tiers).toEqual([
      { tier: "critical", threshold: 0.85, pass: false },
      { tier: "block", threshold: 0.8, pass: true },
    ]);
    expect(r.sliceMetrics.map((s) => s.slice)).toEqual(["ageBand", "ageBand|region"]);
    expect(r.sliceMetrics[0]!.metrics).toHaveLength(1); // the unchecked, uncomputed metric is left out
    expect(r.sliceMetrics[0]!.metrics[0]).toMatchObject({ interval: { low: 0.7, high: 0.95 }, status: "critical" });
    expect(r.excludedSmallCells).toContain("ageBand: tiny (n=20, below minGroupSize 30)");
    expect(r.summary.points.join(" ")).toContain("critical level");
    expect(r.counterfactual).toEqual([expect.objectContaining({ slice: "ageBand", flips: 3 })]);
    expect(r.replay).toMatchObject({ changed: 12 });
    const html = renderReportHtml(r);
    expect(html).toContain('aria-label="Calibration by group"');
    expect(html.match(/class="whisker"/g)).toHaveLength(3);
    expect(html).toContain("Slice ageBand|region (observed, 380 decisions)");
    expect(html).toContain("Warnings (published anyway)");
    expect(html).not.toContain("no-calibration");
  });

  it("a critical alert names the metric, slice, threshold, interval and baseline delta", () => {
    const a = evaluationAlert({ id: "a1", event: "critical", tenantId: "t", occurredAt: rich.createdAt, evaluation: rich });
    expect(a.failing).toEqual([
      { metric: "disparateImpactRatio", sliceName: "ageBand", value: 0.82, threshold: 0.85, interval: { low: 0.7, high: 0.95 }, baselineDelta: expect.closeTo(-0.08, 9), slice: { attribute: "ageBand", group: "65+", selectionRate: 74 / 180 } },
    ]);
    expect(a.reportUrl).toBe("/api/v1/fairness-evaluations/ev-1/report.html");
  });

  it("a minimal or malformed evaluation still renders", async () => {
    for (const e of [{ id: "x", verdict: "skip", reason: "no fairness policy configured" }, {}, null, { groups: "nope", metrics: [1], results: [null] }]) {
      const html = renderReportHtml(await buildReport(input(e)));
      expect(html).toContain("<title>");
      expect(html).toContain("No groups");
    }
  });
});
