/**
 * Stored evaluations are parsed on the way out of the database: a body
 * rewritten in the database file into a shape of no known version is an
 * integrity fault — 503 problem+json `stored_record_invalid`, no details — on
 * every read route (not a 500, not a half-rendered report); a first-version
 * body is read upgraded, and reported.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTenantDb } from "../integration/_support.js";
import { blockedAndBypassed, type EvidenceFixture } from "./_fixture.js";

describe("stored evaluation bodies are parsed when read", () => {
  let f: EvidenceFixture;
  beforeAll(async () => {
    f = await blockedAndBypassed();
  });
  afterAll(async () => {
    await f.app.close();
  });
  const get = (path: string) => f.api.request("GET", path, { token: f.fx.keys.auditor });

  /** Rewrites an evaluation's stored body directly in the tenant's database file, as a tamperer with the file could. */
  async function rewriteBody(id: string, body: string): Promise<void> {
    const db = openTenantDb(f.app, f.fx.id);
    try {
      await db.execute("PRAGMA busy_timeout = 5000");
      // The append-only trigger refuses the UPDATE; someone with the file can drop it.
      await db.execute("DROP TRIGGER IF EXISTS fairness_evaluations_no_update");
      await db.execute({ sql: "UPDATE fairness_evaluations SET body = ? WHERE id = ?", args: [body, id] });
    } finally {
      db.close();
    }
  }

  it("a body of unknown shape gives 503 stored_record_invalid on read, list and report routes; other evaluations still read", async () => {
    const before = await get(`/api/v1/fairness-evaluations/${f.blockedEvaluationId}`);
    expect(before.status).toBe(200);
    const { results: _dropped, ...rest } = before.body;
    await rewriteBody(f.blockedEvaluationId, JSON.stringify({ ...rest, verdict: "approved-by-magic", results: "none" }));

    for (const path of [
      `/api/v1/fairness-evaluations/${f.blockedEvaluationId}`,
      `/api/v1/fairness-evaluations/${f.blockedEvaluationId}/report.json`,
      `/api/v1/fairness-evaluations/${f.blockedEvaluationId}/report.html`,
      `/api/v1/fairness-evaluations?flowId=${f.flowId}`,
    ]) {
      const r = await get(path);
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(503);
      expect(r.contentType).toContain("application/problem+json");
      expect(r.body).toMatchObject({ status: 503, code: "stored_record_invalid", title: "Service unavailable" });
      // Nothing about the record's content or the schema reaches the client.
      expect(JSON.stringify(r.body)).not.toMatch(/approved-by-magic|results|verdict|invalid_value|expected/i);
    }
    // Text that is not JSON at all is the same fault.
    await rewriteBody(f.blockedEvaluationId, "{not json");
    expect((await get(`/api/v1/fairness-evaluations/${f.blockedEvaluationId}`)).body).toMatchObject({ status: 503, code: "stored_record_invalid" });
    expect((await get(`/api/v1/fairness-evaluations/${f.bypassEvaluationId}`)).status).toBe(200);
  });

  it("a first-version body reads upgraded and reports", async () => {
    const current = (await get(`/api/v1/fairness-evaluations/${f.bypassEvaluationId}`)).body;
    const v1 = {
      id: current.id, flowId: current.flowId, flowKey: current.flowKey, version: current.version, trigger: current.trigger, verdict: current.verdict,
      reason: current.reason, sensitiveAttribute: current.sensitiveAttribute, window: current.window, sampleSize: current.sampleSize,
      metrics: current.metrics, metricNotes: current.metricNotes,
      groups: current.groups.map(({ value, n, selected, labeled, positives, tp, fp, tn, fn, selectionRate, tpr, fpr, fnr, ppv }: Record<string, unknown>) => ({ value, n, selected, labeled, positives, tp, fp, tn, fn, selectionRate, tpr, fpr, fnr, ppv })),
      excludedFromEqualOpportunity: current.excludedFromEqualOpportunity, violations: current.violations,
      policy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 100, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" },
      overrideId: current.overrideId, approvedBy: current.approvedBy, createdAt: current.createdAt,
    };
    await rewriteBody(f.bypassEvaluationId, JSON.stringify(v1));
    const r = await get(`/api/v1/fairness-evaluations/${f.bypassEvaluationId}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ id: current.id, verdict: "bypass", sensitiveAttributes: ["ageBand"], highestTier: "block", results: [], warnings: [], baseline: null, overrideId: current.overrideId });
    expect(r.body.groups[0]).toMatchObject({ excluded: false, calibration: null, intervals: { selectionRate: { lower: expect.any(Number), upper: expect.any(Number) } } });
    const report = await get(`/api/v1/fairness-evaluations/${f.bypassEvaluationId}/report.json`);
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body).toMatchObject({ evaluation: { verdict: "bypass" }, sliceMetrics: [], overrideTrail: [expect.objectContaining({ appliedToThisEvaluation: true })] });
    expect(report.body.metrics.find((m: { metric: string }) => m.metric === "disparateImpactRatio").tiers).toEqual([{ tier: "block", threshold: 0.8, pass: false }]);
    expect((await get(`/api/v1/fairness-evaluations/${f.bypassEvaluationId}/report.html`)).status).toBe(200);
  });
});
