/**
 * Reports and alert payloads of parsed evaluations: an evaluation with every
 * part (per-slice results with intervals, tiers and statuses, group intervals
 * and calibration, warnings, baseline regressions, replay) renders every part —
 * every metric of every slice and source against each tier, with its interval,
 * hint and delta to the baseline evaluation — and a minimal one still renders.
 * A malformed stored body never reaches the report: reading it fails.
 */
import { describe, expect, it } from "vitest";
import { evaluationAlert } from "../../worker/domain/alerts.js";
import type { BaselineView } from "../../worker/domain/baseline.js";
import { StoredRecordError } from "../../worker/domain/errors.js";
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { readEvaluation } from "../../worker/domain/evaluation-read.js";
import { buildReport } from "../../worker/domain/report.js";
import { METRIC_NAMES, type MetricName, type MetricStatus } from "../../worker/domain/tiers.js";
import { renderReportHtml } from "../../worker/report/html.js";

type SliceResult = Evaluation["results"][number];
type MetricEvidence = SliceResult["metrics"][MetricName];

const group = (value: string, n: number, selected: number, lo: number, hi: number, excluded = false): Evaluation["groups"][number] => ({
  value, n, selected, labeled: n, positives: n / 2, tp: 1, fp: 1, tn: 1, fn: 1, selectionRate: selected / n, tpr: 0.5, fpr: 0.2, fnr: 0.5, ppv: 0.5, fnFpRatio: 1, excluded,
  intervals: { selectionRate: { lower: lo, upper: hi }, tpr: null, fpr: null, fnr: null, ppv: null },
  calibration: { n, ece: 0.05, bins: [{ lower: 0, upper: 0.5, n: n / 2, meanScore: 0.25, observedRate: 0.3 }, { lower: 0.5, upper: 1, n: n / 2, meanScore: 0.75, observedRate: 0.7 }] },
});
const metric = (value: number | null, status: MetricStatus, threshold: MetricEvidence["threshold"] = null, interval: MetricEvidence["interval"] = null, sampleSizeHint: MetricEvidence["sampleSizeHint"] = null): MetricEvidence => ({ value, interval, note: null, excluded: [], threshold, status, sampleSizeHint });
/** A result's metrics: the given ones, every other metric recorded as not checked (as the evaluator records them). */
const metrics = (given: Partial<Record<MetricName, MetricEvidence>>): SliceResult["metrics"] =>
  Object.fromEntries(METRIC_NAMES.map((m) => [m, given[m] ?? metric(null, "not_checked")])) as SliceResult["metrics"];
const hint = { factor: 2.5, additionalPerGroup: [{ value: "18-24", n: 200, additional: 300 }, { value: "65+", n: 180, additional: 270 }], note: "assumes the estimate holds and the interval narrows as 1/√n" };

const rich: Evaluation = {
  id: "ev-1", flowId: "f-1", flowKey: "cards", version: 3, trigger: "recheck", verdict: "pass", reason: null,
  sensitiveAttribute: "ageBand", sensitiveAttributes: ["ageBand", "region"],
  window: { from: "2026-01-01T00:00:00.000Z", to: "2026-01-08T00:00:00.000Z", days: 7 }, sampleSize: 400,
  metrics: { disparateImpactRatio: 0.82, demographicParityGap: 0.1, equalOpportunityGap: 0.05 }, metricNotes: {},
  groups: [group("18-24", 200, 100, 0.43, 0.57), group("65+", 180, 74, 0.34, 0.48), group("tiny", 20, 10, 0.3, 0.7, true)],
  excludedFromEqualOpportunity: [], violations: [],
  warnings: [{ tier: "critical", kind: "threshold", slice: "ageBand", source: "observed", metric: "disparateImpactRatio", message: "disparate impact ratio 0.820 < threshold 0.85 (critical)" }],
  insufficientEvidence: [], highestTier: null, decisionRule: "point", minGroupSize: 30,
  intervals: { level: 0.95, groupRates: "wilson", aggregates: "poisson-bootstrap", replicates: 1000, seed: 1 },
  results: [
    {
      slice: "ageBand", attributes: ["ageBand"], source: "observed", sampleSize: 380, groups: [],
      excludedGroups: [{ value: "tiny", n: 20, reason: "below minGroupSize 30" }],
      metrics: metrics({
        disparateImpactRatio: metric(0.82, "critical", { critical: 0.85, block: 0.8 }, { lower: 0.7, upper: 0.95 }),
        equalizedOddsGap: metric(0.25, "warning", { warning: 0.1, block: 0.3 }, { lower: 0.12, upper: 0.31 }, hint),
        calibrationGap: metric(null, "not_checked"),
      }),
      counterfactual: { requests: 100, trials: 100, flips: 3, rate: 0.03, interval: null, pairs: [], pairsTruncated: false, refused: 0 },
    },
    { slice: "ageBand|region", attributes: ["ageBand", "region"], source: "observed", sampleSize: 380, groups: [group("18-24|north", 100, 50, 0.4, 0.6)], excludedGroups: [], metrics: metrics({ demographicParityGap: metric(0.12, "pass", { block: 0.2 }) }), counterfactual: null },
    { slice: "ageBand", attributes: ["ageBand"], source: "replayed", sampleSize: 500, groups: [], excludedGroups: [], metrics: metrics({ disparateImpactRatio: metric(0.78, "block", { critical: 0.85, block: 0.8 }, { lower: 0.7, upper: 0.86 }) }), counterfactual: null },
  ],
  replay: { version: 3, requests: 500, refused: 0, changed: 12 },
  baseline: { evaluationId: "ev-0", createdAt: "2025-12-31T00:00:00.000Z", regressions: [{ slice: "ageBand", source: "observed", metric: "disparateImpactRatio", baseline: 0.9, current: 0.82, worsening: 0.08, maxRegression: 0.05, message: "…" }] },
  policy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: { critical: 0.85, block: 0.8 } }, maxRegression: { disparateImpactRatio: 0.05 }, minSampleSize: 100 },
  overrideId: null, approvedBy: null, createdAt: "2026-01-08T00:00:00.000Z",
};

/** The baseline evaluation `rich` was compared with (the flow's last pass). */
const baselineEvaluation: BaselineView = {
  id: "ev-0", createdAt: "2025-12-31T00:00:00.000Z", sensitiveAttribute: "ageBand", metrics: { disparateImpactRatio: 0.9 },
  results: [{ slice: "ageBand", source: "observed", metrics: { disparateImpactRatio: metric(0.9, "pass"), equalizedOddsGap: metric(0.3, "pass") } }],
};

const input = (evaluation: Evaluation, baseline: BaselineView | null = null) => ({ tenant: { id: "t", name: "T" }, evaluation, baselineEvaluation: baseline, flowDefinition: { offers: [] }, datasetHash: "ab".repeat(32), datasetHashScope: "test", overrides: [], generatedAt: "2026-01-09T00:00:00.000Z" });

describe("report and alert shapes", () => {
  it("renders the richer evaluation: intervals, tiers, slices, warnings, calibration, counterfactual, replay, baseline", async () => {
    const r = await buildReport(input(rich, baselineEvaluation));
    expect(r.groups[1]).toMatchObject({ value: "65+", selectionRateInterval: { low: 0.34, high: 0.48 } });
    expect(r.groups[2]!.excluded).toBe(true);
    expect(r.metrics.find((m) => m.metric === "disparateImpactRatio")!.tiers).toEqual([
      { tier: "critical", threshold: 0.85, pass: false },
      { tier: "block", threshold: 0.8, pass: true },
    ]);
    // Every slice × source, labelled.
    expect(r.sliceMetrics.map((s) => [s.slice, s.source])).toEqual([["ageBand", "observed"], ["ageBand|region", "observed"], ["ageBand", "replayed"]]);
    expect(r.sliceMetrics[2]!.sourceLabel).toBe("replayed: candidate version 3 re-run on 500 recorded requests");
    // Every recorded metric, uncomputed ones too (with their status), each tier with pass/fail and the interval.
    const observed = r.sliceMetrics[0]!.metrics;
    const row = (m: MetricName) => observed.find((x) => x.metric === m)!;
    expect(observed.map((m) => m.metric)).toEqual(METRIC_NAMES);
    expect(row("disparateImpactRatio")).toMatchObject({ interval: { low: 0.7, high: 0.95 }, status: "critical" });
    expect(row("equalizedOddsGap")).toMatchObject({
      label: "equalized odds gap",
      value: 0.25,
      interval: { low: 0.12, high: 0.31 },
      tiers: [{ tier: "warning", threshold: 0.1, pass: false }, { tier: "block", threshold: 0.3, pass: true }],
      status: "warning",
      hint: expect.stringContaining("2.5× the decisions would settle it (+300 for 18-24, +270 for 65+)"),
    });
    expect(row("calibrationGap")).toMatchObject({ value: null, status: "not_checked", tiers: [] });
    // Deltas against the baseline evaluation, slice by slice; the flagged regression is marked.
    expect(row("disparateImpactRatio").baseline).toEqual({ value: 0.9, delta: expect.closeTo(-0.08, 9), worsening: expect.closeTo(0.08, 9), maxRegression: 0.05, regression: true });
    expect(row("equalizedOddsGap").baseline).toMatchObject({ value: 0.3, delta: expect.closeTo(-0.05, 9), regression: false });
    expect(r.sliceMetrics[1]!.metrics.find((m) => m.metric === "demographicParityGap")!.baseline).toBeNull(); // the baseline has no such slice
    expect(r.warnings).toEqual([{ tier: "critical", kind: "threshold", slice: "ageBand", source: "observed", metric: "disparateImpactRatio", message: rich.warnings[0]!.message }]);
    expect(r).toMatchObject({ highestTier: null, decisionRule: "point", minGroupSize: 30, intervals: { replicates: 1000, seed: 1 } });
    expect(r.excludedSmallCells).toContain("ageBand: tiny (n=20, below minGroupSize 30)");
    const summary = r.summary.points.join(" ");
    expect(summary).toContain("critical level");
    expect(summary).toContain("The equalized odds gap (ageBand, recorded decisions) was 0.250 (95% interval 0.120 to 0.310); the policy's warning level is at most 0.1.");
    expect(summary).toContain("The disparate impact ratio (ageBand, new version replayed on recorded requests) was 0.780");
    expect(summary).toContain("got worse than in the flow's last passing evaluation");
    expect(r.counterfactual).toEqual([expect.objectContaining({ slice: "ageBand", flips: 3 })]);
    expect(r.replay).toMatchObject({ changed: 12 });

    const html = renderReportHtml(r);
    expect(html).toContain('aria-label="Calibration by group"');
    expect(html.match(/class="whisker"/g)).toHaveLength(3); // the chart's; tables carry no SVG
    expect(html).toContain("Metrics by slice");
    expect(html).toContain('Slice ageBand|region <span class="src observed">observed</span>');
    expect(html).toContain('Slice ageBand <span class="src replayed">replayed</span>');
    expect(html).toContain("candidate version 3 re-run on 500 recorded requests (0 refused, 12 changed their decision)");
    expect(html).toContain("<th>warning tier</th><th>critical tier</th><th>block tier</th><th>result</th><th>vs baseline</th>");
    expect(html).toContain("<td>equalized odds gap<div class=\"sub\">the interval straddles the threshold");
    expect(html).toContain("[0.120, 0.310]");
    expect(html).toContain('≤ 0.1: <span class="fail">FAIL</span>');
    expect(html).toContain('≥ 0.8: <span class="fail">FAIL</span>'); // the replayed candidate
    expect(html).toContain('was 0.900<br>−0.080 <span class="warn">worse</span><br><span class="fail">regression &gt; 0.05</span>');
    expect(html).toContain("18-24|north"); // a non-primary slice's groups
    expect(html).toContain("Counterfactual:</strong> 3 of 100 re-run decisions changed");
    expect(html).toContain("Warnings (published anyway)");
    expect(html).toContain('<td><span class="crit">critical</span></td><td>threshold</td>');
    expect(html).toContain("Compared with evaluation <code>ev-0</code>");
    expect(html).toContain("1000 replicates, seed 1");
    expect(html).not.toContain("no-calibration");
  });

  it("a critical alert names the metric, slice, threshold, interval and baseline delta", () => {
    const a = evaluationAlert({ id: "a1", event: "critical", tenantId: "t", occurredAt: rich.createdAt, evaluation: rich });
    expect(a.failing).toEqual([
      { metric: "disparateImpactRatio", sliceName: "ageBand", value: 0.82, threshold: 0.85, interval: { low: 0.7, high: 0.95 }, baselineDelta: expect.closeTo(-0.08, 9), slice: { attribute: "ageBand", group: "65+", selectionRate: 74 / 180 } },
    ]);
    expect(a.reportUrl).toBe("/api/v1/fairness-evaluations/ev-1/report.html");
  });

  it("under the confident rule the block tier follows the evaluator: undecided while the interval straddles", async () => {
    const confident: Evaluation = {
      ...rich,
      decisionRule: "confident",
      insufficientEvidence: ["insufficient evidence: disparate impact ratio 0.780, 95% interval [0.700, 0.860] straddles threshold 0.8"],
      results: [{ ...rich.results[0]!, metrics: metrics({ disparateImpactRatio: metric(0.78, "insufficient_evidence", { block: 0.8 }, { lower: 0.7, upper: 0.86 }) }) }],
    };
    const r = await buildReport(input(confident));
    expect(r.sliceMetrics[0]!.metrics[0]!.tiers).toEqual([{ tier: "block", threshold: 0.8, pass: null }]);
    expect(r.summary.points.join(" ")).toContain("the data could not decide");
    const html = renderReportHtml(r);
    expect(html).toContain('≥ 0.8: <span class="note">undecided</span>');
    expect(html).toContain("<h2>Insufficient evidence</h2>");
    // The recorded baseline is named; without its evaluation there are no per-metric deltas.
    expect(html).toContain("Compared with evaluation <code>ev-0</code>");
    expect(r.sliceMetrics[0]!.metrics[0]!.baseline).toBeNull();
  });

  it("a minimal evaluation still renders; a malformed stored body is refused before any report", async () => {
    const minimal: Evaluation = {
      ...rich, verdict: "skip", reason: "no fairness policy configured", sensitiveAttribute: null, sensitiveAttributes: [], window: null, sampleSize: 0,
      metrics: { disparateImpactRatio: null, demographicParityGap: null, equalOpportunityGap: null }, groups: [], warnings: [], decisionRule: null, minGroupSize: null,
      intervals: null, results: [], replay: null, baseline: null, policy: null,
    };
    const html = renderReportHtml(await buildReport(input(minimal)));
    expect(html).toContain("<title>");
    expect(html).toContain("No groups");
    for (const e of [{ id: "x", verdict: "skip", reason: "no fairness policy configured" }, {}, null, { groups: "nope", metrics: [1], results: [null] }])
      expect(() => readEvaluation(e)).toThrow(StoredRecordError);
  });
});
