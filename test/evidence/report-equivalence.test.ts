/**
 * The report says in plain words whether each gated metric was shown within its
 * threshold, shown beyond it, or neither — from an evaluation the domain gate built
 * (analytic intervals), in report.json (sliceMetrics, summary) and in the HTML.
 */
import { describe, expect, it } from "vitest";
import { buildEvaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { buildReport } from "../../worker/domain/report.js";
import { renderReportHtml } from "../../worker/report/html.js";

const grp = (value: string, n: number, selected: number) => ({ value, n, selected, labeled: 0, positives: 0, tp: 0, fp: 0, fn: 0, tn: 0 });

describe("equivalence in the report", () => {
  it("names shown within, shown beyond and not shown either way", async () => {
    // 500/1000 vs 490/1000: gap 0.01 (interval about ±0.044) and ratio 0.98 (interval about [0.90, 1.07]).
    const policy = fairnessPolicySchema.parse({
      enabled: true,
      sensitiveAttribute: "g",
      minSampleSize: 10,
      intervalMethod: "analytic",
      thresholds: { demographicParityGap: 0.1, disparateImpactRatio: 0.95 },
    });
    const table = { groups: [grp("a", 1000, 500), grp("b", 1000, 490)] };
    const gate = decideGate(policy, { observed: [{ name: "g", attributes: ["g"], table, calibration: null }] }, null);
    const evaluation = evaluationSchema.parse(
      buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "recheck", policy, window: null, now: new Date("2026-12-01T00:00:00Z") }, gate),
    );
    expect(evaluation.verdict).toBe("pass");
    const report = await buildReport({ tenant: { id: "t", name: "T" }, evaluation, flowDefinition: null, datasetHash: null, datasetHashScope: "test", overrides: [], generatedAt: "2026-12-01T00:00:00Z" });
    const rows = report.sliceMetrics[0]!.metrics;
    expect(rows.find((m) => m.metric === "demographicParityGap")).toMatchObject({ equivalence: "shown_within" });
    expect(rows.find((m) => m.metric === "disparateImpactRatio")).toMatchObject({ equivalence: "undetermined" });
    expect(report.summary.points.join(" ")).toMatch(/Of 2 gated metric\(s\), 1 was shown within the threshold .*, 0 shown beyond it, and 1 could not be shown either way: for those, passing means a breach was not shown, not that fairness was shown\./);
    const html = renderReportHtml(report);
    expect(html).toContain("shown within</div>");
    expect(html).toContain("not shown either way</div>");
    expect(html).toMatch(/a pass there means a breach was not shown, not that fairness was shown/);
  });
  it("under the sequential rule says where the interval comes from", async () => {
    const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, decisionRule: "sequential", intervalMethod: "analytic", thresholds: { demographicParityGap: 0.1 } });
    const table = { groups: [grp("a", 1000, 500), grp("b", 1000, 490)] };
    const prior = [{ slice: "g", metric: "demographicParityGap" as const, looks: 4, since: "2026-11-01T00:00:00.000Z", through: "2026-11-30T00:00:00.000Z", groups: table.groups, block: { index: 3, since: "2026-11-29T00:00:00.000Z", groups: table.groups } }];
    const sequential = { prior, increment: [{ name: "g", attributes: ["g"], table, calibration: null }], from: "2026-11-24T00:00:00.000Z", through: "2026-12-01T00:00:00.000Z", persist: true };
    const gate = decideGate(policy, { observed: [{ name: "g", attributes: ["g"], table, calibration: null }], sequential }, null);
    const evaluation = evaluationSchema.parse(buildEvaluation({ id: "e", flowId: "f", flowKey: "k", version: 1, trigger: "recheck", policy, window: null, now: new Date("2026-12-01T00:00:00Z") }, gate));
    const report = await buildReport({ tenant: { id: "t", name: "T" }, evaluation, flowDefinition: null, datasetHash: null, datasetHashScope: "test", overrides: [], generatedAt: "2026-12-01T00:00:00Z" });
    const row = report.sliceMetrics[0]!.metrics.find((m) => m.metric === "demographicParityGap")!;
    expect(row.sequenceText).toMatch(/^anytime-valid confidence sequence kept across 5 rechecks; the interval covers (all decisions since 2026-11-01|its current 14-day block \(block 3, since 2026-11-29\))$/);
    expect(renderReportHtml(report)).toContain("anytime-valid confidence sequence kept across 5 rechecks");
  });
});
