/**
 * @module test/integration/explanation
 * GET /api/v1/decision-traces/{id}/explanation over real HTTP: the README flow
 * serving three customers (offered, declined by the model, ineligible); the
 * explanation reproduces each recorded decision with hand-computed propensities and
 * plain-word reasons; roles; privacy mode (protected values used, never shown; an
 * erased person can no longer be reproduced); a bulk back-fill.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, expectProblem, openTenantDb, PLATINUM_FLOW, type TenantFixture } from "./_support.js";

describe("decision explanations", () => {
  let app: InProcessApp;
  let api: Api;
  afterAll(async () => app?.close());
  beforeAll(async () => {
    app = await createInProcessApp();
    api = inProcessClient(app);
  });

  async function activeFlow(fx: TenantFixture, key: string) {
    const id = await createFlow(api, fx.keys.publisher, key, PLATINUM_FLOW);
    const p = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    return id;
  }
  const decide = async (fx: TenantFixture, key: string, customerId: string, attributes: Record<string, unknown>) => {
    const r = await api.request("POST", "/api/v1/recommend", { token: fx.keys.operator, body: { customerId, decisionFlowKey: key, attributes } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const explain = (token: string, traceId: string) => api.request("GET", `/api/v1/decision-traces/${traceId}/explanation`, { token });

  it("re-runs the served version: offered, declined by the model, ineligible", async () => {
    const fx = await createTenant(app, "explain");
    const flowId = await activeFlow(fx, "nbo");

    const offered = await decide(fx, "nbo", "c-1", { tier: "gold", income: 100_000, ageBand: "25-34" });
    const e1 = await explain(fx.keys.operator, offered.traceId);
    expect(e1.status, JSON.stringify(e1.body)).toBe(200);
    // z = −1 + 0.00002·100000 = 1 → logistic(1) = 0.7310585786300049
    expect(e1.body).toMatchObject({ traceId: offered.traceId, flowId, decisionFlowKey: "nbo", version: 1, source: "recommend", selected: true, reproduced: true, reasons: [], withheldAttributes: [] });
    expect(e1.body.offers).toEqual([{ id: "platinum-card", propensity: 0.7310585786300049 }]);
    expect(e1.body.offers).toEqual(offered.offers);
    expect(e1.body.perOffer[0]).toMatchObject({ eligible: true, offered: true, minPropensity: 0.5 });

    const declined = await decide(fx, "nbo", "c-2", { tier: "gold", income: 100_000, ageBand: "65+" });
    const e2 = (await explain(fx.keys.auditor, declined.traceId)).body;
    // z = 1 − 2 = −1 → 0.2689414213699951; without the age term 0.7310585786300049: lowered by 46.2 points.
    expect(e2).toMatchObject({ selected: false, offers: [], score: 0.2689414213699951, reproduced: true });
    expect(e2.perOffer[0].contributions.map((c: { attribute: string | null; contribution: number }) => [c.attribute, c.contribution])).toEqual([
      ["income", 2],
      ["ageBand", -2],
      [null, -1],
    ]);
    expect(e2.reasons.map((r: { text: string }) => r.text)).toEqual([
      'ageBand "65+" lowered the likelihood score of offer platinum-card by 46.2 percentage points, to 26.9%; the offer requires at least 50.0%.',
    ]);

    const ineligible = await decide(fx, "nbo", "c-3", { tier: "silver", income: 500_000 });
    const e3 = (await explain(fx.keys.operator, ineligible.traceId)).body;
    expect(e3).toMatchObject({ selected: false, score: null, reproduced: true });
    expect(e3.perOffer[0]).toMatchObject({ eligible: false, failedRule: { index: 0, attribute: "tier", op: "in", value: ["gold", "platinum"], requestValue: "silver" } });
    expect(e3.reasons[0].text).toBe('tier "silver" does not meet a requirement of offer platinum-card: tier must be one of "gold", "platinum".');

    // A later draft does not change what explains an earlier decision (the served version does).
    const edit = await api.request("PUT", `/api/v1/decision-flows/${flowId}`, { token: fx.keys.publisher, body: { definition: { ...PLATINUM_FLOW, offers: [{ ...PLATINUM_FLOW.offers[0], minPropensity: 0.1 }] } } });
    expect(edit.status).toBe(200);
    expect((await explain(fx.keys.operator, declined.traceId)).body).toMatchObject({ version: 1, selected: false, reproduced: true });

    for (const role of ["publisher", "admin", "approver"] as const) expectProblem(await explain(fx.keys[role], offered.traceId), 403, "missing_role");
    expectProblem(await explain(fx.keys.operator, "no-such-trace"), 404, "not_found");
    const other = await createTenant(app, "explain-other");
    expectProblem(await explain(other.keys.operator, offered.traceId), 404, "not_found");
  });

  it("privacy mode: protected attributes reproduce the decision but are never shown; erased ones cannot", async () => {
    const fx = await createTenant(app, "explain-private");
    const put = await api.request("PUT", "/api/v1/tenant-settings", {
      token: fx.keys.admin,
      body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, sensitiveAttributeStorage: "separate" } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await activeFlow(fx, "nbo");
    const declined = await decide(fx, "nbo", "p-1", { tier: "gold", income: 100_000, ageBand: "65+" });
    const e = await explain(fx.keys.operator, declined.traceId);
    expect(e.body).toMatchObject({ selected: false, score: 0.2689414213699951, reproduced: true, withheldAttributes: ["ageBand"] });
    expect(JSON.stringify(e.body)).not.toContain("65+");
    expect(e.body.perOffer[0].contributions.find((c: { attribute: string }) => c.attribute === "ageBand")).toMatchObject({ value: null, withheld: true, contribution: -2 });
    expect(e.body.reasons[0].text).toBe("ageBand (a protected attribute; its value is not shown) lowered the likelihood score of offer platinum-card by 46.2 percentage points, to 26.9%; the offer requires at least 50.0%.");

    expect((await api.request("DELETE", "/api/v1/protected-attributes/p-1", { token: fx.keys.admin })).status).toBe(200);
    // Without the erased age the stored version would have made the offer: the re-run no longer reproduces the record.
    expect((await explain(fx.keys.operator, declined.traceId)).body).toMatchObject({ selected: true, reproduced: false, recorded: { selected: false, offers: [] } });
  });

  it("a bulk back-fill: decided elsewhere, compared on selected only", async () => {
    const fx = await createTenant(app, "explain-bulk");
    await activeFlow(fx, "nbo");
    expect((await bulk(api, fx.keys.operator, [{ decisionFlowKey: "nbo", customerId: "b-1", attributes: { tier: "gold", income: 100_000, ageBand: "25-34" }, selected: true }])).status).toBe(201);
    // The bulk answer carries no trace id: read it from the tenant database.
    const db = openTenantDb(app, fx.id);
    const id = String((await db.execute("SELECT id FROM decision_traces")).rows[0]!.id);
    db.close();
    const e = (await explain(fx.keys.auditor, id)).body;
    expect(e).toMatchObject({ source: "bulk", recorded: { selected: true, offers: null }, selected: true, reproduced: true });
  });
});
