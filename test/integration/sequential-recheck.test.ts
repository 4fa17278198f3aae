/**
 * decisionRule "sequential" through the real recheck (in-process app, libSQL files):
 * each recheck advances the version's kept sequence by the traces recorded since the
 * previous look only, the state row and the stored (hash-chained) evaluation agree,
 * the flow is paused once the sequence lies wholly beyond, and a new version starts
 * a new sequence.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFairnessRecheck } from "../../worker/services/recheck.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, line, openTenantDb, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

let nowMs = Date.parse("2031-08-01T12:00:00.000Z");
const clock = () => new Date(nowMs++);

let app: InProcessApp;
let api: Api;

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off" });
  api = inProcessClient(app);
});
afterAll(async () => {
  await app?.close();
});

/** `sel` of `n` customers in each of the two age bands selected. */
const traffic = (key: string, n: number, selOld: number, selYoung: number) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push(line(key, "65+", i < selOld), line(key, "25-34", i < selYoung));
  return out;
};

async function stateRows(fx: TenantFixture, flowId: string) {
  const db = openTenantDb(app, fx.id);
  try {
    const rs = await db.execute({ sql: "SELECT version, slice, metric, body, evaluation_id FROM sequential_states WHERE flow_id = ? ORDER BY version", args: [flowId] });
    return rs.rows.map((r) => ({ version: Number(r.version), slice: String(r.slice), metric: String(r.metric), body: JSON.parse(String(r.body)), evaluationId: String(r.evaluation_id) }));
  } finally {
    db.close();
  }
}

describe("sequential recheck", () => {
  let T: TenantFixture;
  let flowId = "";
  const recheck = async () => {
    const r = (await runFairnessRecheck(app.deps, new Date(nowMs))).tenants.find((t) => t.tenantId === T.id)!;
    expect(r.status).toBe("checked");
    return (await api.request("GET", `/api/v1/fairness-evaluations/${r.evaluations[0]}`, { token: T.keys.auditor })).body;
  };
  const dpg = (e: any) => e.results[0].metrics.demographicParityGap;

  it("advances by the increment, keeps state with the evaluation, pauses only when wholly beyond", async () => {
    T = await createTenant(app, "seq1");
    const settings = policy({ decisionRule: "sequential", intervalMethod: "analytic", thresholds: { demographicParityGap: 0.2 }, minGroupSize: 10 });
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: settings })).status).toBe(200);
    flowId = await createFlow(api, T.keys.publisher, "seq", PLATINUM_FLOW);
    expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } })).status).toBe(200);

    expect((await bulk(api, T.keys.operator, traffic("seq", 20, 10, 10))).status).toBe(201);
    const first = await recheck();
    expect(first.decisionRule).toBe("sequential");
    expect(dpg(first).sequence).toMatchObject({ looks: 1, persisted: true });
    expect(dpg(first).sequence.groups.map((g: any) => g.n)).toEqual([20, 20]);
    expect(first.verdict).not.toBe("block");

    expect((await bulk(api, T.keys.operator, traffic("seq", 20, 10, 10))).status).toBe(201);
    const second = await recheck();
    // 20 + 20 per group: the second look added the 20 new traces, not the 40 of the window.
    expect(dpg(second).sequence).toMatchObject({ looks: 2, since: dpg(first).sequence.since });
    expect(dpg(second).sequence.groups.map((g: any) => g.n)).toEqual([40, 40]);
    const rows = await stateRows(T, flowId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ version: 1, slice: "ageBand", metric: "demographicParityGap", evaluationId: second.id });
    expect(rows[0]!.body.groups).toEqual(dpg(second).sequence.groups);

    // Younger customers always selected, older never: the sequence moves wholly beyond 0.2.
    expect((await bulk(api, T.keys.operator, traffic("seq", 400, 0, 400))).status).toBe(201);
    const third = await recheck();
    expect(dpg(third).interval.lower).toBeGreaterThan(0.2);
    expect(third.verdict).toBe("block");
    expect((await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: T.keys.auditor })).body.status).toBe("paused");
    expect((await stateRows(T, flowId))[0]!.body.looks).toBe(3);
    expect((await api.request("GET", "/api/v1/audit-log/verify", { token: T.keys.auditor })).body.ok).toBe(true);
  });

  it("a new version starts a new sequence", async () => {
    const put = await api.request("PUT", `/api/v1/decision-flows/${flowId}`, { token: T.keys.publisher, body: { definition: PLATINUM_FLOW } });
    expect(put.status).toBe(200);
    // Fair traffic again so that the publish gate (the same rule on the window) lets version 2 through.
    nowMs += 8 * 86_400_000;
    expect((await bulk(api, T.keys.operator, traffic("seq", 30, 15, 15))).status).toBe(201);
    const pub = await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id: flowId } });
    expect(pub.status).toBe(200);
    expect(dpg(pub.body.evaluation).sequence).toMatchObject({ looks: 1, persisted: false });
    const e = await recheck();
    expect(e.version).toBe(2);
    expect(dpg(e).sequence).toMatchObject({ looks: 1, persisted: true });
    expect(dpg(e).sequence.groups.map((g: any) => g.n)).toEqual([30, 30]);
    expect((await stateRows(T, flowId)).map((r) => [r.version, r.body.looks])).toEqual([[1, 3], [2, 1]]);
  });

  it("the FN/FP, calibration, flip-rate and error-rate sequences keep their streams in the store and pause on the flip rate", async () => {
    const U = await createTenant(app, "seq2");
    const thresholds = { treatmentEqualityGap: 1000, calibrationGap: 0.9, counterfactualFlipRate: 0.5, errorRateToOverall: 0.9 };
    const settings = policy({ decisionRule: "sequential", thresholds, minGroupSize: 10 });
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: U.keys.admin, body: settings })).status).toBe(200);
    const id = await createFlow(api, U.keys.publisher, "seq3", PLATINUM_FLOW);
    expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: U.keys.publisher, body: { id } })).status).toBe(200);
    // Gold customers with income 100,000: "25-34" gets the offer (logit 1), "65+" does not (logit −1), so every
    // re-run with the other age band flips — a flip rate of 1 against a threshold of 0.5.
    const batch = (n: number) => {
      const out = [];
      for (let i = 0; i < n; i++)
        for (const band of ["65+", "25-34"])
          out.push(line("seq3", band, i % 2 === 0, { converted: i % 3 !== 0, score: 0.05 + (i % 10) / 10, attributes: { ageBand: band, tier: "gold", income: 100_000 } }));
      return out;
    };
    const look = async () => {
      const r = (await runFairnessRecheck(app.deps, new Date(nowMs))).tenants.find((t) => t.tenantId === U.id)!;
      return (await api.request("GET", `/api/v1/fairness-evaluations/${r.evaluations[0]}`, { token: U.keys.auditor })).body;
    };
    expect((await bulk(api, U.keys.operator, batch(20))).status).toBe(201);
    const first = await look();
    const m = (e: any, k: keyof typeof thresholds) => e.results[0].metrics[k];
    for (const k of Object.keys(thresholds) as (keyof typeof thresholds)[]) expect(m(first, k).intervalMethod).toBe("confidence-sequence");
    expect(m(first, "counterfactualFlipRate").sequence.flips).toEqual({ n: 40, sum: 40 });
    expect(m(first, "counterfactualFlipRate").status).toBe("insufficient_evidence");
    // Calibration bins of the 40 labeled scored traces, by group.
    const binTotal = (e: any) => m(e, "calibrationGap").sequence.calibration.map((g: any) => g.count.reduce((a: number, b: number) => a + b, 0));
    expect(binTotal(first)).toEqual([20, 20]);

    expect((await bulk(api, U.keys.operator, batch(300))).status).toBe(201);
    const second = await look();
    // Only the 600 new requests were added to the flip stream, the 300 + 20 traces per group to the bins.
    expect(m(second, "counterfactualFlipRate").sequence.flips).toEqual({ n: 640, sum: 640 });
    expect(binTotal(second)).toEqual([320, 320]);
    expect(m(second, "treatmentEqualityGap").sequence.groups.map((g: any) => g.n)).toEqual([320, 320]);
    expect(m(second, "counterfactualFlipRate").interval.lower).toBeGreaterThan(0.5);
    expect(second.verdict).toBe("block");
    const rows = await stateRows(U, id);
    expect(rows.map((r) => r.metric).sort()).toEqual(["calibrationGap", "counterfactualFlipRate", "errorRateToOverall", "treatmentEqualityGap"]);
    // The recheck's stored evaluation carries the slice error rates: (FP + FN) / labeled per group, against the pooled overall.
    // By hand, per group (both bands get the same lines): selected when i is even, converted when i % 3 ≠ 0, so by i mod 6
    // TP {2, 4}, FP {0}, FN {1, 5}, TN {3}. batch(20), i = 0..19: TP 6, FP 4, FN 7, TN 3; batch(300): TP 100, FP 50, FN 100, TN 50.
    // Each group: TP 106, FP 54, FN 107, TN 53 — 161 errors of 320, error rate 0.503125; pooled: 322 / 640 = 0.503125;
    // so each group's errorRate − overall is 0.
    const res = second.results[0];
    expect(res.groups.map((g: any) => [g.value, g.tp, g.fp, g.fn, g.tn])).toEqual([["25-34", 106, 54, 107, 53], ["65+", 106, 54, 107, 53]]);
    expect(res.overall.errorRate).toBeCloseTo(0.503125, 12);
    for (const g of res.groups) {
      expect(g.errorRate).toBeCloseTo(0.503125, 12);
      expect(g.toOverall.errorRate).toBeCloseTo(0, 12);
    }
    expect(m(second, "errorRateToOverall").sequence.groups.map((g: any) => g.labeled)).toEqual([320, 320]);
    const row = (k: string) => rows.find((r) => r.metric === k)!.body;
    expect(row("counterfactualFlipRate").flips).toEqual(m(second, "counterfactualFlipRate").sequence.flips);
    expect(row("calibrationGap").calibration).toEqual(m(second, "calibrationGap").sequence.calibration);
    expect((await api.request("GET", "/api/v1/audit-log/verify", { token: U.keys.auditor })).body.ok).toBe(true);
  });
});
