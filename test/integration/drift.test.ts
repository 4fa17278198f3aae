/**
 * @module test/integration/drift
 * POST /api/v1/decision-flows/{id}/drift over real HTTP: traces back-filled into a
 * reference and a current window; the PSI, KS D and verdict equal the values
 * computed by hand (see test/unit/drift.test.ts for the arithmetic); roles,
 * validation and a read-only answer (the flow is unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, expectProblem, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
const FLOW = { offers: [{ id: "card", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 };

describe("feature drift", () => {
  let app: InProcessApp;
  let api: Api;
  let fx: TenantFixture;
  let flowId: string;
  const now = Date.now();
  const at = (daysAgo: number, i: number) => new Date(now - daysAgo * DAY + i * 1000).toISOString();
  const body = {
    referenceFrom: new Date(now - 10 * DAY).toISOString(),
    referenceTo: new Date(now - 8 * DAY).toISOString(),
    currentFrom: new Date(now - 3 * DAY).toISOString(),
    currentTo: new Date(now - 1 * DAY).toISOString(),
  };
  afterAll(async () => app?.close());

  beforeAll(async () => {
    app = await createInProcessApp();
    api = inProcessClient(app);
    fx = await createTenant(app, "drift");
    flowId = await createFlow(api, fx.keys.publisher, "drift-flow", FLOW);
    // 100 traces per window. income: 1..20 five times (reference) vs 11..30 five times (current);
    // tier: 50/30/20 a/b/c vs 30/30/40; channel: always "web"; score present only in the reference.
    const tiers = (a: number, b: number, c: number) => [...Array(a).fill("a"), ...Array(b).fill("b"), ...Array(c).fill("c")] as string[];
    const ref = tiers(50, 30, 20).map((tier, i) => ({ tier, income: (i % 20) + 1, channel: "web" }));
    const cur = tiers(30, 30, 40).map((tier, i) => ({ tier, income: (i % 20) + 11, channel: "web" }));
    const lines = [
      ...ref.map((attributes, i) => ({ decisionFlowKey: "drift-flow", customerId: `r${i}`, attributes, selected: false, timestamp: at(9.5, i) })),
      ...cur.map((attributes, i) => ({ decisionFlowKey: "drift-flow", customerId: `c${i}`, attributes, selected: false, timestamp: at(2.5, i) })),
      // Outside both windows: never read.
      ...Array.from({ length: 20 }, (_, i) => ({ decisionFlowKey: "drift-flow", customerId: `o${i}`, attributes: { tier: "zzz", income: 1e9 }, selected: false, timestamp: at(5.5, i) })),
    ];
    expect((await bulk(api, fx.keys.operator, lines)).status).toBe(201);
  });

  it("PSI per attribute, KS for numbers, and the verdict match the hand-computed values", async () => {
    const r = await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: fx.keys.publisher, body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.reference).toMatchObject({ traces: 100, compared: 100, sampled: false });
    expect(r.body.current).toMatchObject({ traces: 100, compared: 100, sampled: false });
    const by = Object.fromEntries(r.body.attributes.map((a: { attribute: string }) => [a.attribute, a]));
    expect(Object.keys(by).sort()).toEqual(["channel", "income", "tier"]);
    // 0.2·ln(5/3) + 0.2·ln 2 = 0.2407946 → monitor
    expect(by.tier).toMatchObject({ kind: "categorical", band: "monitor", ks: null, ksPValue: null, alert: false });
    expect(by.tier.psi).toBeCloseTo(0.2407946, 6);
    // reference deciles 2, 4, …, 18: 5·(1e-4 − 0.1)·ln(1e-3) + 0.5·ln 6 = 4.3463035; D = 0.5
    expect(by.income).toMatchObject({ kind: "numeric", band: "alert", ks: 0.5, alert: true });
    expect(by.income.psi).toBeCloseTo(4.3463035, 6);
    // λ = (√50 + 0.12 + 0.11/√50)·0.5 = 3.6033 → Q_KS < 1e-10
    expect(by.income.ksPValue).toBeLessThan(1e-10);
    expect(by.channel).toMatchObject({ psi: 0, band: "none", alert: false });
    expect(r.body.verdict).toBe("alert");
    expect(r.body.method.maxTracesPerWindow).toBe(20_000);
  });

  it("attributes narrows the comparison; auditors may ask; the flow is unchanged", async () => {
    const before = (await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: fx.keys.publisher })).body;
    const r = await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: fx.keys.auditor, body: { ...body, attributes: ["tier", "channel"] } });
    expect(r.status).toBe(200);
    expect(r.body.attributes.map((a: { attribute: string }) => a.attribute)).toEqual(["tier", "channel"]);
    expect(r.body.verdict).toBe("monitor");
    expect((await api.request("GET", `/api/v1/decision-flows/${flowId}`, { token: fx.keys.publisher })).body).toEqual(before);
  });

  it("the per-window cap samples evenly and deterministically (bounded memory)", async () => {
    const { store } = await app.deps.tenants.get((await app.deps.control.getTenant(fx.id))!);
    const from = Date.parse(body.referenceFrom);
    const to = Date.parse(body.referenceTo);
    const all = await store.drift.windowAttributes("drift-flow", from, to, 1000, 1);
    expect(all).toHaveLength(100);
    const sample = await store.drift.windowAttributes("drift-flow", from, to, 30, 1);
    expect(sample).toHaveLength(30);
    expect(await store.drift.windowAttributes("drift-flow", from, to, 30, 1)).toEqual(sample);
    // A sample without replacement of the window's traces: every sampled request is one of the window's.
    const key = (a: Record<string, unknown>) => JSON.stringify(a);
    const pool = new Map<string, number>();
    for (const a of all) pool.set(key(a), (pool.get(key(a)) ?? 0) + 1);
    for (const a of sample) {
      expect(pool.get(key(a)) ?? 0).toBeGreaterThan(0);
      pool.set(key(a), pool.get(key(a))! - 1);
    }
    // Spread over the window: the 30 traces are not simply the first or last in time.
    const incomes = new Set(sample.map((a) => a.income));
    expect(incomes.size).toBeGreaterThan(10);
  });

  it("roles, unknown flows and invalid windows", async () => {
    for (const role of ["operator", "admin", "approver"] as const)
      expectProblem(await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: fx.keys[role], body }), 403, "missing_role");
    expectProblem(await api.request("POST", `/api/v1/decision-flows/nope/drift`, { token: fx.keys.publisher, body }), 404, "not_found");
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: fx.keys.publisher, body: { ...body, currentTo: body.currentFrom } }), 400, "validation_failed");
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: fx.keys.publisher, body: { ...body, extra: 1 } }), 400, "validation_failed");
    // Another tenant's flow id is simply not found.
    const other = await createTenant(app, "drift-other");
    expectProblem(await api.request("POST", `/api/v1/decision-flows/${flowId}/drift`, { token: other.keys.publisher, body }), 404, "not_found");
  });
});
