/**
 * From a block to a fix, over the in-process app (real libSQL files, real Wasm):
 * a version with a weight on the sensitive attribute is blocked; its top driver is
 * that weight (directUse), the class is direct_use, and the 422 body, the stored
 * evaluation, the remediation (class + the tenant's playbook), the alert (class,
 * drivers, first step) and both reports carry it. The what-if finds the one passing
 * change, with its utility counted by hand; applying it makes a draft that publishes.
 *
 * The window (recorded by a fair v1; every trace converted):
 *   25-34: 10 × (gold, score 1, selected), 10 × (gold, score −1, not selected)
 *   65+:   10 × (gold, score 1, selected), 10 × (silver, score 1, not selected)
 * v1: offered when tier = gold and logistic(score) ≥ 0.5 → SR 0.5 / 0.5, DIR 1.
 * v2 = v1 + weight −3 on ageBand = 65+: 65+ gold z = −2 → SR 0 → DIR 0 (blocked).
 *   weight → 0: DIR 1 (contribution 1); minPropensity → 0: 25-34 1.0, 65+ 0.5 → DIR 0.5;
 *   score weight → 0 or the tier rule dropped: DIR stays 0.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, expectProblem, line, policy, type TenantFixture } from "./_support.js";

let nowMs = Date.parse("2031-09-01T12:00:00.000Z");
const clock = () => new Date(nowMs++);

const offer = (categorical: Record<string, Record<string, number>>) => ({
  offers: [{ id: "card", eligibility: [{ attribute: "tier", op: "in", value: ["gold"] }], model: { intercept: 0, numeric: { score: 1 }, categorical }, minPropensity: 0.5 }],
  maxOffers: 1,
});
const V1 = offer({});
const V2 = offer({ ageBand: { "65+": -3 } });
const PLAYBOOK = ["Remove the ageBand weight from the card offer.", "Ask legal whether any remaining use is justified."];
const SIGMA1 = 1 / (1 + Math.exp(-1));

let app: InProcessApp;
let api: Api;
let A: TenantFixture;
let B: TenantFixture;
let flowId = "";
let blocked: any;

const req = (fx: TenantFixture, role: string, method: string, path: string, body?: unknown) => api.request(method, path, { token: fx.keys[role]!, body });
const whatIf = (fx: TenantFixture, role: string, body?: unknown, query = "") => req(fx, role, "POST", `/api/v1/decision-flows/${flowId}/what-if${query}`, body);

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off" });
  api = inProcessClient(app);
  A = await createTenant(app, "guide-a");
  B = await createTenant(app, "guide-b");
  const settings = { ...policy(), alerts: { webhookUrl: "http://127.0.0.1:9/hook", secret: "whsec-guidance-0123456789", minTier: "warning" }, remediationPlaybooks: { direct_use: PLAYBOOK } };
  const put = await req(A, "admin", "PUT", "/api/v1/tenant-settings", settings);
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  flowId = await createFlow(api, A.keys.publisher, "cards", V1);
  const lines = [];
  for (let i = 0; i < 10; i++) {
    lines.push(line("cards", "25-34", true, { attributes: { ageBand: "25-34", tier: "gold", score: 1 } }));
    lines.push(line("cards", "25-34", false, { attributes: { ageBand: "25-34", tier: "gold", score: -1 } }));
    lines.push(line("cards", "65+", true, { attributes: { ageBand: "65+", tier: "gold", score: 1 } }));
    lines.push(line("cards", "65+", false, { attributes: { ageBand: "65+", tier: "silver", score: 1 } }));
  }
  expect((await bulk(api, A.keys.operator, lines)).status).toBe(201);
  const v1 = await req(A, "publisher", "POST", "/api/v1/decision-flows/publish", { id: flowId });
  expect(v1.status, JSON.stringify(v1.body)).toBe(200);
  expect((await req(A, "publisher", "PUT", `/api/v1/decision-flows/${flowId}`, { definition: V2 })).status).toBe(200);
  blocked = await req(A, "publisher", "POST", "/api/v1/decision-flows/publish", { id: flowId });
});
afterAll(async () => {
  await app?.close();
});

describe("drivers and failure class of a block", () => {
  it("the 422 names the direct-use weight as the top driver, with hand-counted before/after, and the class direct_use", () => {
    expectProblem(blocked, 422, "fairness_gate_blocked");
    expect(blocked.body.failureClass).toBe("direct_use");
    expect(blocked.body.driversReplayed).toBe(40);
    const [top, second] = blocked.body.drivers;
    expect(top).toMatchObject({ kind: "categorical_weight", offer: "card", attribute: "ageBand", value: "65+", directUse: true, effect: { metric: "disparateImpactRatio", slice: "ageBand", before: 0, after: 1 }, contribution: 1 });
    expect(second).toMatchObject({ kind: "min_propensity", offer: "card", attribute: null, directUse: false, effect: { before: 0, after: 0.5 }, contribution: 0.5 });
    expect(blocked.body.drivers).toHaveLength(2);
  });

  it("the stored evaluation carries the drivers and how many requests were replayed", async () => {
    const e = await req(A, "auditor", "GET", `/api/v1/fairness-evaluations/${blocked.body.evaluationId}`);
    expect(e.status).toBe(200);
    expect(e.body.drivers).toMatchObject({ requests: 40, refused: 0, parts: 4, note: null });
    expect(e.body.drivers.items.map((d: any) => d.kind)).toEqual(["categorical_weight", "min_propensity"]);
  });

  it("the remediation carries the class and the tenant's playbook for it; the alert the class, drivers and first step", async () => {
    const rem = (await req(A, "auditor", "GET", `/api/v1/remediations?flowId=${flowId}`)).body.items;
    expect(rem).toHaveLength(1);
    expect(rem[0]).toMatchObject({ evaluationId: blocked.body.evaluationId, failureClass: "direct_use", playbook: PLAYBOOK });
    const alerts = (await req(A, "auditor", "GET", "/api/v1/alert-deliveries?limit=50")).body.items as any[];
    const block = alerts.find((a) => a.event === "block");
    expect(block.payload).toMatchObject({ failureClass: "direct_use", firstStep: PLAYBOOK[0], drivers: [{ kind: "categorical_weight", value: "65+", directUse: true }, { kind: "min_propensity" }] });
  });

  it("both reports show the drivers and the class", async () => {
    const id = blocked.body.evaluationId;
    const json = await req(A, "auditor", "GET", `/api/v1/fairness-evaluations/${id}/report.json`);
    expect(json.body.failureClass).toBe("direct_use");
    expect(json.body.drivers.items[0]).toMatchObject({ kind: "categorical_weight", value: "65+" });
    expect(json.body.summary.points.join(" ")).toContain('the weight on ageBand = "65+" of offer "card" (direct use of a sensitive attribute): disparateImpactRatio 0.000 with it, 1.000 without');
    const html = await req(A, "auditor", "GET", `/api/v1/fairness-evaluations/${id}/report.html`);
    expect(html.body).toContain('<h2 id="drivers">Drivers of the breach</h2>');
    expect(html.body).toContain("Failure class: <strong>direct_use</strong>");
  });

  it("settings show the effective playbooks (the tenant's class, defaults elsewhere) and refuse an unknown class", async () => {
    const s = await req(A, "auditor", "GET", "/api/v1/tenant-settings");
    expect(s.body.remediationPlaybooks.direct_use).toEqual(PLAYBOOK);
    expect(s.body.remediationPlaybooks.threshold[0]).toMatch(/operating point/);
    const bad = await req(A, "admin", "PUT", "/api/v1/tenant-settings", { ...policy(), remediationPlaybooks: { astrology: ["look up"] } });
    expectProblem(bad, 400, "validation_failed");
  });
});

describe("an auto-pause", () => {
  it("is classified the same way: the daily recheck of a live direct-use version opens a remediation with class and playbook", async () => {
    // Published before it had traffic (the gate skips), then its own decisions breach: 65+ gold never selected.
    const paused = await createFlow(api, A.keys.publisher, "cards-live", V2);
    expect((await req(A, "publisher", "POST", "/api/v1/decision-flows/publish", { id: paused })).status).toBe(200);
    const lines = [];
    for (let i = 0; i < 10; i++) {
      lines.push(line("cards-live", "25-34", true, { attributes: { ageBand: "25-34", tier: "gold", score: 1 } }));
      lines.push(line("cards-live", "25-34", false, { attributes: { ageBand: "25-34", tier: "gold", score: -1 } }));
      lines.push(line("cards-live", "65+", false, { attributes: { ageBand: "65+", tier: "gold", score: 1 } }));
      lines.push(line("cards-live", "65+", false, { attributes: { ageBand: "65+", tier: "silver", score: 1 } }));
    }
    expect((await bulk(api, A.keys.operator, lines)).status).toBe(201);
    const run = await api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect((await req(A, "auditor", "GET", `/api/v1/decision-flows/${paused}`)).body.status).toBe("paused");
    const rem = (await req(A, "auditor", "GET", `/api/v1/remediations?flowId=${paused}`)).body.items;
    expect(rem).toHaveLength(1);
    expect(rem[0]).toMatchObject({ openedByAction: "auto_pause", failureClass: "direct_use", playbook: PLAYBOOK });
    const e = await req(A, "auditor", "GET", `/api/v1/fairness-evaluations/${rem[0].evaluationId}`);
    expect(e.body.drivers.items[0]).toMatchObject({ kind: "categorical_weight", value: "65+", directUse: true, effect: { before: 0, after: 1 } });
    const pause = ((await req(A, "auditor", "GET", "/api/v1/alert-deliveries?limit=50")).body.items as any[]).find((a) => a.event === "auto_pause");
    expect(pause.payload).toMatchObject({ failureClass: "direct_use", firstStep: PLAYBOOK[0] });
    // The recorded decisions breach on their own and every publish is judged on them too: no draft can pass yet, and the what-if says why.
    const w = await req(A, "publisher", "POST", `/api/v1/decision-flows/${paused}/what-if`, {});
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body).toMatchObject({ suggestions: [], evaluated: 7 });
    expect(w.body.note).toMatch(/recorded in the window breach the policy on their own/);
  });
});

describe("what-if", () => {
  it("finds the one passing change, with its utility counted by hand, and stores only an audit row", async () => {
    const before = (await req(A, "auditor", "GET", `/api/v1/fairness-evaluations?flowId=${flowId}`)).body.items.length;
    const r = await whatIf(A, "publisher", {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ flowId, version: 2, requests: 40, evaluated: 7, truncated: false, note: null });
    expect(r.body.current).toMatchObject({ verdict: "block", metrics: { disparateImpactRatio: 0 }, utility: { selected: 10, observedConversions: 10, selectedDelta: 0 } });
    expect(r.body.current.utility.expectedConversions).toBeCloseTo(10 * SIGMA1, 10);
    expect(r.body.suggestions).toHaveLength(1);
    const [s] = r.body.suggestions;
    expect(s).toMatchObject({ change: { type: "zero_weight", offer: "card", attribute: "ageBand", value: "65+" }, verdict: "pass", violations: [], metrics: { disparateImpactRatio: 1 } });
    expect(s.utility).toMatchObject({ selected: 20, selectedDelta: 10, observedConversions: 20, observedConversionsDelta: 10 });
    expect(s.utility.expectedConversions).toBeCloseTo(20 * SIGMA1, 10);
    expect(s.utility.expectedConversionsDelta).toBeCloseTo(10 * SIGMA1, 10);
    // No suggestion is a threshold tied to a group: every change is one of the three global kinds.
    for (const x of r.body.suggestions) {
      expect(["zero_weight", "drop_rule", "set_min_propensity"]).toContain(x.change.type);
      if (x.change.type === "set_min_propensity") expect(Object.keys(x.change).sort()).toEqual(["minPropensity", "offer", "type"]);
    }
    expect((await req(A, "auditor", "GET", `/api/v1/fairness-evaluations?flowId=${flowId}`)).body.items.length).toBe(before);
    const audit = (await req(A, "auditor", "GET", `/api/v1/audit-log?entityType=decision_flow&entityId=${flowId}`)).body.items as any[];
    expect(audit.filter((a) => a.action === "what_if")).toHaveLength(1);
    expect((await req(A, "auditor", "GET", `/api/v1/decision-flows/${flowId}`)).body.version).toBe(2);
  });

  it("refuses a per-group threshold, bad input, other roles and other tenants", async () => {
    const perGroup = { change: { type: "set_min_propensity", offer: "card", minPropensity: 0.1, attribute: "ageBand", value: "65+" } };
    expectProblem(await whatIf(A, "publisher", perGroup, "?apply=true"), 400, "validation_failed");
    expectProblem(await whatIf(A, "publisher", { version: "two" }), 400, "validation_failed");
    expectProblem(await whatIf(A, "publisher", {}, "?apply=yes"), 400, "validation_failed");
    expectProblem(await whatIf(A, "publisher", {}, "?apply=true"), 400, "what_if_change_required");
    expectProblem(await whatIf(A, "publisher", { change: { type: "drop_rule", offer: "card", rule: 5 } }, "?apply=true"), 400, "what_if_change_invalid");
    expectProblem(await whatIf(A, "publisher", { version: 9 }), 404, "not_found");
    expectProblem(await whatIf(A, "auditor", {}), 403);
    expectProblem(await whatIf(A, "operator", {}), 403);
    expectProblem(await whatIf(B, "publisher", {}), 404, "not_found");
    expect((await whatIf(A, "admin", {})).status).toBe(200);
    // Applying makes a new version, which only a publisher may (as PUT /decision-flows/{id}): an admin may ask, not apply.
    expectProblem(await whatIf(A, "admin", { change: { type: "zero_weight", offer: "card", attribute: "ageBand", value: "65+" } }, "?apply=true"), 403, "missing_role");
    expect((await req(A, "auditor", "GET", `/api/v1/decision-flows/${flowId}`)).body.version).toBe(2);
  });

  it("applies the suggestion as a new draft, and that draft publishes through the gate", async () => {
    const r = await whatIf(A, "publisher", { change: { type: "zero_weight", offer: "card", attribute: "ageBand", value: "65+" } }, "?apply=true");
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.applied).toMatchObject({ verdict: "pass", draft: { id: flowId, version: 3, status: "active" } });
    const flow = (await req(A, "auditor", "GET", `/api/v1/decision-flows/${flowId}`)).body;
    expect(flow.definition.offers[0].model.categorical).toEqual({ ageBand: { "65+": 0 } });
    const edit = ((await req(A, "auditor", "GET", `/api/v1/audit-log?entityType=decision_flow&entityId=${flowId}`)).body.items as any[]).find((a) => a.action === "edit" && a.after.version === 3);
    expect(edit.details.whatIf).toMatchObject({ basedOnVersion: 2, verdict: "pass", change: { type: "zero_weight", value: "65+" } });
    const pub = await req(A, "publisher", "POST", "/api/v1/decision-flows/publish", { id: flowId });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    expect(pub.body).toMatchObject({ version: 3, evaluation: { verdict: "pass" } });
  });
});

/**
 * A threshold breach, counted by hand. One offer, p = logistic(score), offered at p ≥ 0.7; no
 * weight on the sensitive attribute. Window (recorded by a fair version):
 *   25-34: 10 × score 2 (p 0.881, selected), 10 × score 0.5 (p 0.622, not)
 *   65+:   10 × score 0.5 (p 0.622, selected), 10 × score −1 (p 0.269, not)
 * At 0.7: 25-34 10/20, 65+ 0/20 → DIR 0, blocked. minPropensity → 0: everyone → DIR 1, the top
 * driver → class threshold. The search tries the propensities nearest 0.7 first: 0.622 (25-34
 * 20/20, 65+ 10/20: DIR 0.5), 0.881 (DIR 0), 0.269 (20/20 and 20/20: DIR 1, passes).
 * Zeroing the score weight (p = 0.5 < 0.7 for all) selects nobody: DIR is undefined, which a
 * DIR-only policy does not block — it is suggested last, with 0 expected conversions.
 */
describe("a threshold breach", () => {
  const sigma = (z: number) => 1 / (1 + Math.exp(-z));
  const LOANS = { offers: [{ id: "loan", eligibility: [], model: { intercept: 0, numeric: { score: 1 }, categorical: {} }, minPropensity: 0.7 }], maxOffers: 1 };
  let loans = "";
  let res: any;
  beforeAll(async () => {
    expect((await req(B, "admin", "PUT", "/api/v1/tenant-settings", policy())).status).toBe(200);
    loans = await createFlow(api, B.keys.publisher, "loans", LOANS);
    const lines = [];
    for (let i = 0; i < 10; i++) {
      lines.push(line("loans", "25-34", true, { attributes: { ageBand: "25-34", score: 2 } }));
      lines.push(line("loans", "25-34", false, { attributes: { ageBand: "25-34", score: 0.5 } }));
      lines.push(line("loans", "65+", true, { attributes: { ageBand: "65+", score: 0.5 } }));
      lines.push(line("loans", "65+", false, { attributes: { ageBand: "65+", score: -1 } }));
    }
    expect((await bulk(api, B.keys.operator, lines)).status).toBe(201);
    res = await req(B, "publisher", "POST", "/api/v1/decision-flows/publish", { id: loans });
  });

  it("is classed threshold, its top driver the offer's minPropensity; the remediation carries the default threshold playbook", async () => {
    expectProblem(res, 422, "fairness_gate_blocked");
    expect(res.body.failureClass).toBe("threshold");
    expect(res.body.drivers).toEqual([expect.objectContaining({ kind: "min_propensity", offer: "loan", directUse: false, effect: { metric: "disparateImpactRatio", slice: "ageBand", before: 0, after: 1 } })]);
    const rem = (await req(B, "auditor", "GET", `/api/v1/remediations?flowId=${loans}`)).body.items;
    expect(rem[0].failureClass).toBe("threshold");
    expect(rem[0].playbook[0]).toMatch(/^Recalibrate the operating point/);
  });

  it("what-if suggests the nearest passing global threshold first, then the change that selects nobody; the threshold draft publishes", async () => {
    const r = await req(B, "publisher", "POST", `/api/v1/decision-flows/${loans}/what-if`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.suggestions.map((x: any) => x.change)).toEqual([
      { type: "set_min_propensity", offer: "loan", minPropensity: sigma(-1) },
      { type: "zero_weight", offer: "loan", attribute: "score" },
    ]);
    const [t, z] = r.body.suggestions;
    expect(t.metrics.disparateImpactRatio).toBe(1);
    expect(t.utility).toMatchObject({ selected: 40, selectedDelta: 30, observedConversions: 20, observedConversionsDelta: 10 });
    expect(t.utility.expectedConversions).toBeCloseTo(10 * sigma(2) + 20 * sigma(0.5) + 10 * sigma(-1), 10);
    expect(r.body.current.utility.expectedConversions).toBeCloseTo(10 * sigma(2), 10);
    expect(z).toMatchObject({ verdict: "pass", metrics: { disparateImpactRatio: null }, utility: { selected: 0, expectedConversions: 0 } });
    // Weight, then the threshold's grid: 0.622 and 0.881 fail, 0.269 passes (the rest of the grid is not needed).
    expect(r.body.evaluated).toBe(4);
    const applied = await req(B, "publisher", "POST", `/api/v1/decision-flows/${loans}/what-if?apply=true`, { change: t.change });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    const pub = await req(B, "publisher", "POST", "/api/v1/decision-flows/publish", { id: loans });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    expect(pub.body).toMatchObject({ version: 2, evaluation: { verdict: "pass" } });
  });
});

describe("shadow enforcement", () => {
  it("a shadow block alerts with class, drivers and first step, and opens no remediation", async () => {
    const C = await createTenant(app, "guide-c");
    const settings = { ...policy({ enforcement: "shadow" }), alerts: { webhookUrl: "http://127.0.0.1:9/hook", secret: "whsec-guidance-0123456789", minTier: "warning" } };
    expect((await req(C, "admin", "PUT", "/api/v1/tenant-settings", settings)).status).toBe(200);
    const id = await createFlow(api, C.keys.publisher, "cards", V2);
    const lines = [];
    for (let i = 0; i < 10; i++) {
      lines.push(line("cards", "25-34", true, { attributes: { ageBand: "25-34", tier: "gold", score: 1 } }));
      lines.push(line("cards", "65+", true, { attributes: { ageBand: "65+", tier: "gold", score: 1 } }));
    }
    expect((await bulk(api, C.keys.operator, lines)).status).toBe(201);
    const pub = await req(C, "publisher", "POST", "/api/v1/decision-flows/publish", { id });
    expect(pub.status, JSON.stringify(pub.body)).toBe(200);
    expect(pub.body.wouldBlock).toBe(true);
    const alert = ((await req(C, "auditor", "GET", "/api/v1/alert-deliveries?limit=50")).body.items as any[]).find((a) => a.event === "shadow_block");
    expect(alert.payload.failureClass).toBe("direct_use");
    // All gold here: the threshold at 0 closes the gap as fully as the weight (a tie, listed in kind order).
    expect(alert.payload.drivers.map((d: any) => [d.kind, d.contribution])).toEqual([["categorical_weight", 1], ["min_propensity", 1]]);
    expect(alert.payload.firstStep).toMatch(/^Remove the weight or eligibility rule that reads the sensitive attribute/);
    expect((await req(C, "auditor", "GET", "/api/v1/remediations")).body.items).toEqual([]);
  });
});

describe("what-if rate limit", () => {
  it("takes from the per-key bulk bucket: past its burst the next call is 429 before any work", async () => {
    let t = Date.parse("2031-09-02T00:00:00.000Z");
    const limited = await createInProcessApp({ clock: () => new Date(t), env: { FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: "1", FAIRGATE_BULK_RATE_LIMIT_BURST: "1" } });
    try {
      const c = inProcessClient(limited);
      const fx = await createTenant(limited, "limited");
      const call = () => c.request("POST", "/api/v1/decision-flows/no-such-flow/what-if", { token: fx.keys.publisher, body: {} });
      expectProblem(await call(), 404, "not_found");
      expectProblem(await call(), 429, "rate_limited");
      t += 60_000;
      expectProblem(await call(), 404, "not_found");
    } finally {
      await limited.close();
    }
  });
});
