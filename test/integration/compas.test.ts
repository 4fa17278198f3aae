/**
 * Gate math against independent reference values: ProPublica's published COMPAS
 * error-rate table must reproduce on all 7,214 rows — through both kernel
 * implementations, and end to end through the gateway (bulk load + publish gate).
 */
import { afterAll, describe, expect, it } from "vitest";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import type { Kernels } from "../../worker/engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import { createTableAccumulator } from "../../worker/engine/window.js";
import { computeMetrics } from "../../worker/domain/metrics.js";
import { loadCompas, PROPUBLICA } from "../helpers/compas.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

const rows = loadCompas();
const pct = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 100);

function expectPublished(groups: { value: string; tp: number; fp: number; tn: number; fn: number; fpr: number | null; fnr: number | null }[]) {
  for (const race of ["African-American", "Caucasian"] as const) {
    const g = groups.find((x) => x.value === race)!;
    const ref = PROPUBLICA[race];
    expect({ tp: g.tp, fp: g.fp, tn: g.tn, fn: g.fn }).toEqual({ tp: ref.tp, fp: ref.fp, tn: ref.tn, fn: ref.fn });
    expect(pct(g.fpr)).toBe(ref.fpr);
    expect(pct(g.fnr)).toBe(ref.fnr);
  }
  const all = groups.reduce((s, g) => ({ tp: s.tp + g.tp, fp: s.fp + g.fp, tn: s.tn + g.tn, fn: s.fn + g.fn }), { tp: 0, fp: 0, tn: 0, fn: 0 });
  expect(all).toEqual({ tp: PROPUBLICA.all.tp, fp: PROPUBLICA.all.fp, tn: PROPUBLICA.all.tn, fn: PROPUBLICA.all.fn });
  expect(pct(all.fp / (all.fp + all.tn))).toBe(PROPUBLICA.all.fpr);
  expect(pct(all.fn / (all.fn + all.tp))).toBe(PROPUBLICA.all.fnr);
}

/**
 * Error rate = (FP + FN) / labeled from ProPublica's published counts: African-American
 * (805 + 532) / 3,696 = 36.17%, Caucasian (349 + 461) / 2,454 = 33.01%, all defendants
 * (1,282 + 1,216) / 7,214 = 34.63%; the difference to overall is the group's minus the "all" row's.
 */
function expectPublishedErrorRates(groups: { value: string; errorRate?: number | null; accuracy?: number | null }[], comparison?: { overall: { errorRate: number | null }; toOverall: { errorRate: number | null }[] }) {
  const er = (r: { tp: number; fp: number; tn: number; fn: number }) => (r.fp + r.fn) / (r.tp + r.fp + r.tn + r.fn);
  for (const race of ["African-American", "Caucasian"] as const) {
    const i = groups.findIndex((x) => x.value === race);
    expect(groups[i]!.errorRate).toBeCloseTo(er(PROPUBLICA[race]), 12);
    expect(groups[i]!.accuracy).toBeCloseTo(1 - er(PROPUBLICA[race]), 12);
    if (comparison) expect(comparison.toOverall[i]!.errorRate).toBeCloseTo(er(PROPUBLICA[race]) - er(PROPUBLICA.all), 12);
  }
  expect(pct(er(PROPUBLICA["African-American"]))).toBe(36.17);
  expect(pct(er(PROPUBLICA.Caucasian))).toBe(33.01);
  if (comparison) expect(pct(comparison.overall.errorRate)).toBe(34.63);
}

describe("COMPAS (ProPublica table) through the kernels", () => {
  it("has all 7,214 defendants", () => expect(rows.length).toBe(7214));
  for (const [name, make] of [
    ["reference", async () => createReferenceKernels()],
    ["wasm", () => loadWasmKernelsFromFile()],
  ] as [string, () => Promise<Kernels>][]) {
    it(`${name} kernels reproduce the published counts and rates`, async () => {
      const acc = createTableAccumulator(await make());
      const group = new Uint16Array(rows.length);
      const selected = new Uint8Array(rows.length);
      const outcome = new Uint8Array(rows.length);
      rows.forEach((r, i) => {
        group[i] = acc.code(r.race);
        selected[i] = r.decileScore >= 5 ? 1 : 0;
        outcome[i] = r.twoYearRecid;
      });
      acc.add(group, selected, outcome);
      const m = computeMetrics(acc.table());
      expectPublished(m.groups);
      expectPublishedErrorRates(m.groups, m.comparison);
    });
  }
});

describe("COMPAS through the gateway (bulk NDJSON → publish gate)", () => {
  let app: InProcessApp;
  afterAll(async () => app?.close());

  it("the stored evaluation reproduces the published table", async () => {
    app = await createInProcessApp();
    const http = inProcessClient(app);
    const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "broward" } });
    const key = async (roles: string[], principal: string) =>
      (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
    const admin = await key(["admin"], "admin@broward.test");
    const pub = await key(["publisher", "operator"], "pub@broward.test");
    await http.request("PUT", "/api/v1/tenant-settings", {
      token: admin,
      body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "race", thresholds: { equalOpportunityGap: 0.1 }, minSampleSize: 100 } },
    });
    const flow = await http.request("POST", "/api/v1/decision-flows", {
      token: pub,
      body: { key: "compas", name: "COMPAS", definition: { offers: [{ id: "detain", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } },
    });
    const ndjson = rows
      .map((r, i) => JSON.stringify({ decisionFlowKey: "compas", customerId: `d${i}`, attributes: { race: r.race, sex: r.sex }, selected: r.decileScore >= 5, converted: r.twoYearRecid === 1 }))
      .join("\n");
    const bulk = await http.request("POST", "/api/v1/decision-traces/bulk", { token: pub, raw: ndjson, contentType: "application/x-ndjson" });
    expect(bulk.status).toBe(201);
    expect(bulk.body.accepted).toBe(7214);
    const res = await http.request("POST", "/api/v1/decision-flows/publish", { token: pub, body: { id: flow.body.id } });
    // TPR gap between groups is ~0.2 (72.0% vs 52.3%), so a 0.1 threshold blocks.
    expect(res.status).toBe(422);
    const ev = await http.request("GET", `/api/v1/fairness-evaluations/${res.body.evaluationId}`, { token: admin });
    expect(ev.body.sampleSize).toBe(7214);
    expectPublished(ev.body.groups);
    const aa = ev.body.groups.find((g: { value: string }) => g.value === "African-American");
    const cc = ev.body.groups.find((g: { value: string }) => g.value === "Caucasian");
    // TPR = selected among positives = 1 − FNR, from the published rates.
    expect(aa.tpr).toBeCloseTo(1 - 0.2799, 3);
    expect(cc.tpr).toBeCloseTo(1 - 0.4772, 3);
    // The stored evaluation's error rates; its overall pools the groups of at least minGroupSize (30),
    // so Native American defendants (18) are compared but not pooled.
    expectPublishedErrorRates(ev.body.groups);
    const overall = ev.body.results[0].overall;
    const native = ev.body.groups.find((g: { value: string }) => g.value === "Native American");
    expect(native).toMatchObject({ n: 18, excluded: true });
    expect(overall.labeled).toBe(7214 - 18);
    expect(aa.toOverall.errorRate).toBeCloseTo(aa.errorRate - overall.errorRate, 12);
  });
});
