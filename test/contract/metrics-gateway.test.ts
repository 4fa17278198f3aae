/**
 * The metrics issue end to end through the gateway (in-process app, real libSQL,
 * Wasm kernels): several sensitive attributes and their intersection, the candidate
 * replay blocking a draft the live traffic would not, tiered warnings returned by a
 * successful publish, a regression against the last passing evaluation raised by the
 * recheck, the counterfactual — and the same window, policy and seed giving the same
 * stored evaluation bit for bit through both window paths.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluationSchema, type Evaluation } from "../../worker/domain/evaluation.js";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { evaluateFlow } from "../../worker/services/evaluate.js";
import { runFairnessRecheck } from "../../worker/services/recheck.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { bulk, createFlow, createTenant, type TenantFixture } from "../integration/_support.js";

/** Selects on income alone: fair by construction. */
const FAIR = { offers: [{ id: "card", eligibility: [{ attribute: "income", op: "gte", value: 50_000 }], model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 };
/** The draft: the same, but customers aged 65+ are scored down below the cut-off. */
const BIASED = { offers: [{ ...FAIR.offers[0]!, model: { intercept: 0, categorical: { ageBand: { "65+": -2 } } } }], maxOffers: 1 };

let app: InProcessApp;
let api: ReturnType<typeof inProcessClient>;
let T: TenantFixture;
let flowId = "";

/** 240 recorded decisions of the fair flow: every (ageBand, gender) cell of 60 has the same incomes. */
function traffic(n: number, tweak: (i: number) => boolean = () => false) {
  return Array.from({ length: n }, (_, i) => {
    const income = 40_000 + (i % 4) * 10_000;
    const ageBand = Math.floor(i / 4) % 2 === 0 ? "65+" : "25-34";
    return {
      decisionFlowKey: "cards",
      customerId: `c${i}`,
      attributes: { ageBand, gender: Math.floor(i / 8) % 2 === 0 ? "f" : "m", income },
      selected: income >= 50_000 && !(ageBand === "65+" && tweak(i)),
      converted: i % 3 !== 0,
    };
  });
}

beforeAll(async () => {
  app = await createInProcessApp();
  api = inProcessClient(app);
  T = await createTenant(app, "metrics");
  const put = await api.request("PUT", "/api/v1/tenant-settings", {
    token: T.keys.admin,
    body: {
      fairnessPolicy: {
        enabled: true,
        sensitiveAttributes: ["ageBand", "gender"],
        thresholds: { disparateImpactRatio: { warning: 0.95, block: 0.8 }, counterfactualFlipRate: 0.05 },
        maxRegression: { demographicParityGap: 0.02 },
        minSampleSize: 100,
        continuousRecheck: true,
      },
    },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  flowId = await createFlow(api, T.keys.publisher, "cards", FAIR);
  const b = await bulk(api, T.keys.operator, traffic(240));
  expect(b.status, JSON.stringify(b.body)).toBe(201);
}, 60_000);
afterAll(() => app?.close());

describe("publish through the gate", () => {
  it("a first publish evaluates the window (observed) and the version being published (replayed), per slice", async () => {
    const r = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    const ev = evaluationSchema.parse(r.body.evaluation);
    expect(ev.verdict).toBe("pass");
    expect(r.body.warnings).toEqual([]);
    expect(ev.results.map((x) => `${x.source}:${x.slice}`)).toEqual([
      "observed:ageBand", "observed:gender", "observed:ageBand|gender", "replayed:ageBand", "replayed:gender", "replayed:ageBand|gender",
    ]);
    expect(ev.replay).toEqual({ version: 1, requests: 240, refused: 0, changed: 0 });
    expect(ev.results[2]!.groups.map((g) => [g.value, g.n])).toEqual([["25-34|f", 60], ["25-34|m", 60], ["65+|f", 60], ["65+|m", 60]]);
    // The counterfactual belongs to the version under evaluation: income decides, so nothing flips.
    expect(ev.results[3]!.metrics.counterfactualFlipRate).toMatchObject({ value: 0, status: "pass" });
    expect(ev.results[0]!.metrics.counterfactualFlipRate).toMatchObject({ value: null, status: "unavailable" });
    expect(ev.intervals).toMatchObject({ replicates: 1000, seed: 1 });
  });

  it("a draft that would breach is blocked even though the live version is fine", async () => {
    expect((await api.request("PUT", `/api/v1/decision-flows/${flowId}`, { token: T.keys.publisher, body: { definition: BIASED } })).status).toBe(200);
    const r = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe("fairness_gate_blocked");
    // Live: DIR 1. Candidate: 65+ never selected → DIR 0 on ageBand and the intersection; every age change flips.
    expect(r.body.metrics.disparateImpactRatio).toBe(1);
    expect(r.body.violations).toEqual([
      "candidate ageBand: disparate impact ratio 0.000 < threshold 0.8",
      "candidate ageBand: counterfactual flip rate 0.750 > threshold 0.05",
      "candidate ageBand|gender: disparate impact ratio 0.000 < threshold 0.8",
      "candidate ageBand|gender: counterfactual flip rate 0.500 > threshold 0.05",
    ]);
    const flow = await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: T.keys.publisher });
    expect(flow.body).toMatchObject({ status: "active", activeVersion: 1, version: 2 });
    const stored = await api.request("GET", `/api/v1/fairness-evaluations/${r.body.evaluationId}`, { token: T.keys.auditor });
    expect(stored.body.replay).toEqual({ version: 2, requests: 240, refused: 0, changed: 90 });
    const cf = stored.body.results.find((x: Evaluation["results"][number]) => x.source === "replayed" && x.slice === "ageBand").counterfactual;
    expect(cf.pairs).toEqual([
      { from: "25-34", to: "65+", trials: 120, flips: 90, rate: 0.75 },
      { from: "65+", to: "25-34", trials: 120, flips: 90, rate: 0.75 },
    ]);
  });
});

describe("the recheck against the last passing evaluation", () => {
  it("warns (does not pause) when a metric worsens by more than maxRegression inside its threshold", async () => {
    // More live traffic where 10 of the 65+ customers were not selected: the DPG rises from 0 to .042
    // (more than maxRegression .02), the DIR falls to .944 (a warning, above the block at .8).
    expect((await bulk(api, T.keys.operator, traffic(240, (i) => i % 24 === 1))).status).toBe(201);
    const report = await runFairnessRecheck(app.deps, new Date());
    const mine = report.tenants.find((t) => t.tenantId === T.id)!;
    expect(mine).toMatchObject({ status: "checked", paused: [] });
    const ev = (await api.request("GET", `/api/v1/fairness-evaluations/${mine.evaluations[0]}`, { token: T.keys.auditor })).body as Evaluation;
    expect(ev.verdict).toBe("pass");
    expect(ev.baseline!.regressions.map((g) => [g.slice, g.metric])).toEqual([["ageBand", "demographicParityGap"], ["ageBand|gender", "demographicParityGap"]]);
    expect(ev.warnings.map((w) => [w.kind, w.tier, w.slice])).toEqual([
      ["threshold", "warning", "ageBand"], ["threshold", "warning", "ageBand|gender"], ["regression", "warning", "ageBand"], ["regression", "warning", "ageBand|gender"],
    ]);
    expect(ev.highestTier).toBe("warning");
    // The run's own report names the flow that stayed active with warnings.
    expect(mine.warnings).toEqual([{ flowId, flowKey: expect.any(String), evaluationId: ev.id, highestTier: "warning", warnings: ev.warnings.map((w) => w.message) }]);
    // No draft is replayed by a recheck; the active version's counterfactual is on the observed results.
    expect(ev.results.every((x) => x.source === "observed")).toBe(true);
    expect(ev.results[0]!.metrics.counterfactualFlipRate.value).toBe(0);
    expect((await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: T.keys.publisher })).body.status).toBe("active");
  });
});

describe("the same window, policy and seed give the same evaluation, bit for bit", () => {
  it("twice, and through the row and the columnar window paths", async () => {
    const tenant = (await app.deps.control.getTenant(T.id))!;
    const { store } = await app.deps.tenants.get(tenant);
    const flow = (await store.flows.get(flowId))!;
    const now = new Date();
    const deps = { ...app.deps, clock: () => now, newId: () => "fixed-id" };
    const run = async (reader: "row" | "columnar") => {
      const windowReader = reader === "row" ? (s: typeof store) => createRowWindowReader(s.window, app.deps.kernels) : (s: typeof store) => createColumnarWindowReader(s.window, app.deps.kernels);
      // The dataset hash comes out of the same pass and must agree across paths too.
      const r = await evaluateFlow({ ...deps, windowReader }, store, flow, 2, "publish");
      expect(r.datasetHash).toMatch(/^[0-9a-f]{64}$/);
      return JSON.stringify([r.evaluation, r.datasetHash]);
    };
    const a = await run("columnar");
    expect(await run("columnar")).toBe(a);
    expect(await run("row")).toBe(a);
  });
});
