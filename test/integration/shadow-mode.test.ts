/**
 * Shadow enforcement over HTTP, side by side with enforce: two
 * tenants with the same policy (but `enforcement`), the same flows and the same
 * traffic. The enforce tenant's publish is refused and its drifting flow paused;
 * the shadow tenant publishes everything and pauses nothing, while both record
 * the same evaluations (verdict, violations) and audit and alert each one — the
 * shadow tenant with `wouldBlock: true`, `shadow_*` audit rows and
 * `shadow_block` alerts, and no remediation record (nothing was stopped).
 * A repeated shadow recheck with the same outcome does not alert again; the
 * switch shadow → enforce is an audited settings change after which the next
 * recheck pauses for real. The last block replays the acceptance story's steps
 * (policy, publish with no traffic, recommend traffic and outcomes, edit and
 * publish into a breach, an approved override that bypasses, the override's
 * expiry and the sweep it triggers) for an enforce and a shadow tenant.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, allAudit, breachingLines, bulk, createFlow, createTenant, expectProblem, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

let nowMs = Date.parse("2031-07-01T12:00:00.000Z");
const clock = () => new Date(nowMs++);

let app: InProcessApp;
let api: Api;
let ENF: TenantFixture;
let SHD: TenantFixture;
const flows: Record<"enf" | "shd", { gated: string; drifting: string }> = { enf: { gated: "", drifting: "" }, shd: { gated: "", drifting: "" } };

const settings = (enforcement?: "enforce" | "shadow") => ({
  ...policy(enforcement ? { enforcement } : {}),
  alerts: { webhookUrl: "http://127.0.0.1:9/hook", secret: "whsec-shadow-0123456789", minTier: "warning" },
});
const publish = (fx: TenantFixture, id: string) => api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id } });
const status = async (fx: TenantFixture, id: string) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: fx.keys.auditor })).body.status;
const evaluationsOf = async (fx: TenantFixture, id: string) => (await api.request("GET", `/api/v1/fairness-evaluations?flowId=${id}&limit=200`, { token: fx.keys.auditor })).body.items as any[];
const alerts = async (fx: TenantFixture) => ((await api.request("GET", "/api/v1/alert-deliveries?limit=200", { token: fx.keys.auditor })).body.items as any[]).map((a) => a.event).sort();
const remediations = async (fx: TenantFixture) => (await api.request("GET", "/api/v1/remediations", { token: fx.keys.auditor })).body.items as any[];
const flowAudit = async (fx: TenantFixture, id: string) =>
  (await allAudit(api, fx.keys.auditor)).filter((a) => a.entityId === id && !String(a.action).startsWith("evaluation_")).map((a) => a.action);
const recheck = async () => {
  const r = await api.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${app.cronSecret}` } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (fx: TenantFixture) => r.body.tenants.find((t: { tenantId: string }) => t.tenantId === fx.id);
};
const recommend = (fx: TenantFixture, key: string) =>
  api.request("POST", "/api/v1/recommend", { token: fx.keys.operator, body: { customerId: "c-1", decisionFlowKey: key, attributes: { tier: "gold", income: 90000, ageBand: "25-34" } } });
/** What must agree between the two runs: the verdict and everything it was decided on. */
const judged = (e: any) => ({ trigger: e.trigger, verdict: e.verdict, violations: e.violations, metrics: e.metrics, groups: e.groups, sampleSize: e.sampleSize, highestTier: e.highestTier });

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off" });
  api = inProcessClient(app);
  ENF = await createTenant(app, "enf");
  SHD = await createTenant(app, "shd");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: ENF.keys.admin, body: settings() })).status).toBe(200);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: SHD.keys.admin, body: settings("shadow") })).status).toBe(200);
  for (const [fx, f] of [[ENF, flows.enf], [SHD, flows.shd]] as const) {
    f.gated = await createFlow(api, fx.keys.publisher, "gated", PLATINUM_FLOW);
    f.drifting = await createFlow(api, fx.keys.publisher, "drifting", PLATINUM_FLOW);
    // Published while it has no traffic (the gate skips); its drift arrives later.
    expect((await publish(fx, f.drifting)).status).toBe(200);
    expect((await bulk(api, fx.keys.operator, breachingLines("gated"))).status).toBe(201);
  }
});

afterAll(async () => {
  await app?.close();
});

describe("shadow enforcement, side by side with enforce", () => {
  it("the policy records the mode; enforce is the default", async () => {
    const e = await api.request("GET", "/api/v1/tenant-settings", { token: ENF.keys.admin });
    expect(e.body.fairnessPolicy.enforcement).toBeUndefined();
    const s = await api.request("GET", "/api/v1/tenant-settings", { token: SHD.keys.admin });
    expect(s.body.fairnessPolicy.enforcement).toBe("shadow");
    expectProblem(await api.request("PUT", "/api/v1/tenant-settings", { token: SHD.keys.admin, body: policy({ enforcement: "warn" }) }), 400, "validation_failed");
  });

  it("publish: enforce refuses (422), shadow publishes with wouldBlock and the same violations", async () => {
    const refused = await publish(ENF, flows.enf.gated);
    expectProblem(refused, 422, "fairness_gate_blocked");
    expect(refused.body.violations.length).toBeGreaterThan(0);

    const shadow = await publish(SHD, flows.shd.gated);
    expect(shadow.status, JSON.stringify(shadow.body)).toBe(200);
    expect(shadow.body).toMatchObject({ status: "active", wouldBlock: true, evaluation: { verdict: "block", wouldBlock: true, enforcement: "shadow", violations: refused.body.violations } });

    expect(await status(ENF, flows.enf.gated)).toBe("draft");
    expect(await status(SHD, flows.shd.gated)).toBe("active");
    expect((await recommend(SHD, "gated")).status).toBe(200);
    expectProblem(await recommend(ENF, "gated"), 409, "flow_not_active");

    const [enfEval] = await evaluationsOf(ENF, flows.enf.gated);
    const [shdEval] = await evaluationsOf(SHD, flows.shd.gated);
    expect(enfEval).toMatchObject({ id: refused.body.evaluationId, enforcement: "enforce", wouldBlock: true });
    expect(shdEval).toMatchObject({ id: shadow.body.evaluation.id, enforcement: "shadow", wouldBlock: true });
    expect(judged(shdEval)).toEqual(judged(enfEval));

    expect(await flowAudit(ENF, flows.enf.gated)).toEqual(["create", "publish_blocked"]);
    expect(await flowAudit(SHD, flows.shd.gated)).toEqual(["create", "shadow_publish_blocked", "publish"]);
    const rows = (await allAudit(api, SHD.keys.auditor)).filter((a) => a.entityId === flows.shd.gated);
    expect(rows.find((a) => a.action === "shadow_publish_blocked")).toMatchObject({ violations: refused.body.violations, details: { evaluationId: shdEval.id, enforcement: "shadow" } });
    expect(rows.find((a) => a.action === "publish")).toMatchObject({ after: { status: "active" }, details: { verdict: "block", wouldBlock: true } });

    // Alerted in both; a remediation only where something was actually stopped.
    expect(await alerts(ENF)).toEqual(["block"]);
    expect(await alerts(SHD)).toEqual(["shadow_block"]);
    expect((await remediations(ENF)).map((r) => r.flowId)).toEqual([flows.enf.gated]);
    expect(await remediations(SHD)).toEqual([]);
  });

  it("recheck: enforce pauses the drifting flow, shadow keeps it active and records the same evaluation", async () => {
    for (const fx of [ENF, SHD]) expect((await bulk(api, fx.keys.operator, breachingLines("drifting"))).status).toBe(201);
    const report = await recheck();
    expect(report(ENF).paused.map((p: { flowId: string }) => p.flowId)).toEqual([flows.enf.drifting]);
    expect(report(SHD).paused).toEqual([]);
    // Shadow: both its active flows would have been paused (the gated one was published over a breach).
    expect(report(SHD).wouldPause.map((p: { flowId: string }) => p.flowId).sort()).toEqual([flows.shd.gated, flows.shd.drifting].sort());
    const enfDrift = report(ENF).paused[0];
    const shdDrift = report(SHD).wouldPause.find((p: { flowId: string }) => p.flowId === flows.shd.drifting);
    expect(shdDrift.violations).toEqual(enfDrift.violations);

    expect(await status(ENF, flows.enf.drifting)).toBe("paused");
    expect(await status(SHD, flows.shd.drifting)).toBe("active");
    expect(await status(SHD, flows.shd.gated)).toBe("active");
    expect((await recommend(SHD, "drifting")).status).toBe(200);

    const [enfEval] = await evaluationsOf(ENF, flows.enf.drifting);
    const [shdEval] = await evaluationsOf(SHD, flows.shd.drifting);
    expect(shdEval).toMatchObject({ trigger: "recheck", verdict: "block", wouldBlock: true, enforcement: "shadow" });
    expect(judged(shdEval)).toEqual(judged(enfEval));

    expect((await flowAudit(ENF, flows.enf.drifting)).slice(-1)).toEqual(["auto_pause"]);
    const shdRows = await flowAudit(SHD, flows.shd.drifting);
    expect(shdRows.slice(-1)).toEqual(["shadow_auto_pause"]);
    expect(shdRows).not.toContain("auto_pause");
    const row = (await allAudit(api, SHD.keys.auditor)).find((a) => a.entityId === flows.shd.drifting && a.action === "shadow_auto_pause");
    expect(row).toMatchObject({ reason: "fairness_recheck_drift", violations: enfDrift.violations, details: { evaluationId: shdEval.id, enforcement: "shadow", trigger: "daily" } });

    expect(await alerts(ENF)).toEqual(["auto_pause", "block"]);
    // The drifting flow's first would-pause alerts; the gated flow's recheck repeats its publish's outcome: no second alert.
    expect(await alerts(SHD)).toEqual(["shadow_block", "shadow_block"]);
    expect(await remediations(SHD)).toEqual([]);
  });

  it("a repeated shadow recheck with the same outcome evaluates and audits again but does not re-alert", async () => {
    const report = await recheck();
    expect(report(SHD).wouldPause).toHaveLength(2);
    expect(report(SHD).evaluations).toHaveLength(2);
    expect(await alerts(SHD)).toEqual(["shadow_block", "shadow_block"]);
    expect((await flowAudit(SHD, flows.shd.drifting)).filter((a) => a === "shadow_auto_pause")).toHaveLength(2);
    // Enforce: the paused flows are no longer active, so nothing more happens there.
    expect(report(ENF).flowsChecked).toBe(0);
  });

  it("switching shadow → enforce is an audited settings change, and the next recheck pauses", async () => {
    expect((await api.request("PUT", "/api/v1/tenant-settings", { token: SHD.keys.admin, body: settings("enforce") })).status).toBe(200);
    const change = (await allAudit(api, SHD.keys.auditor)).filter((a) => a.action === "settings_update").at(-1);
    expect(change).toMatchObject({ actor: SHD.principals.admin, before: { enforcement: "shadow" }, after: { enforcement: "enforce" }, details: { enforcement: { from: "shadow", to: "enforce" } } });

    const report = await recheck();
    expect(report(SHD).paused.map((p: { flowId: string }) => p.flowId).sort()).toEqual([flows.shd.gated, flows.shd.drifting].sort());
    expect(report(SHD).wouldPause).toBeUndefined();
    expect(await status(SHD, flows.shd.drifting)).toBe("paused");
    expect((await remediations(SHD)).length).toBe(2);
  });
});

describe("the acceptance story's steps, enforce and shadow side by side", () => {
  const story = { enf: { fx: null as unknown as TenantFixture, flowId: "" }, shd: { fx: null as unknown as TenantFixture, flowId: "" } };
  const storyPolicy = (enforcement: "enforce" | "shadow") => ({
    fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 }, minSampleSize: 100, windowDays: 7, continuousRecheck: true, enforcement },
    alerts: { webhookUrl: "http://127.0.0.1:9/hook", secret: "whsec-story-0123456789", minTier: "warning" },
  });
  const both = async <R>(fn: (fx: TenantFixture, flowId: string) => Promise<R>) => ({ enf: await fn(story.enf.fx, story.enf.flowId), shd: await fn(story.shd.fx, story.shd.flowId) });

  it("policy, a flow published with no traffic (skip), recommend traffic with outcomes", async () => {
    story.enf.fx = await createTenant(app, "story-enf");
    story.shd.fx = await createTenant(app, "story-shd");
    for (const [mode, s] of [["enforce", story.enf], ["shadow", story.shd]] as const) {
      expect((await api.request("PUT", "/api/v1/tenant-settings", { token: s.fx.keys.admin, body: storyPolicy(mode) })).status).toBe(200);
      s.flowId = await createFlow(api, s.fx.keys.publisher, "nbo-cards", PLATINUM_FLOW);
      const p = await publish(s.fx, s.flowId);
      expect(p.body).toMatchObject({ wouldBlock: false, evaluation: { verdict: "skip", reason: "no usable samples" } });
      const traces: string[] = [];
      for (let i = 0; i < 160; i++) {
        const r = await api.request("POST", "/api/v1/recommend", {
          token: s.fx.keys.operator,
          body: { customerId: `c-${i}`, decisionFlowKey: "nbo-cards", attributes: { ageBand: i % 2 === 0 ? "65+" : "25-34", tier: i % 4 === 3 ? "silver" : "gold", income: 60_000 + (i % 10) * 5_000 } },
        });
        expect(r.status).toBe(200);
        traces.push(r.body.traceId);
      }
      for (const id of traces.slice(0, 40)) expect((await api.request("POST", "/api/v1/outcomes", { token: s.fx.keys.operator, body: { traceId: id, converted: true } })).status).toBe(200);
    }
  });

  it("edit and publish into the breach: enforce 422 with the flow unchanged, shadow 200 with the same violations", async () => {
    await both((fx, id) => api.request("PUT", `/api/v1/decision-flows/${id}`, { token: fx.keys.publisher, body: { definition: { ...PLATINUM_FLOW, maxOffers: 2 } } }));
    const r = await both((fx, id) => publish(fx, id));
    expectProblem(r.enf, 422, "fairness_gate_blocked");
    expect(r.shd.status, JSON.stringify(r.shd.body)).toBe(200);
    expect(r.shd.body).toMatchObject({ version: 2, wouldBlock: true, evaluation: { verdict: "block", sampleSize: 160, violations: r.enf.body.violations } });
    expect(r.enf.body.violations.some((v: string) => /^disparate impact ratio \d\.\d{3} < threshold 0\.8$/.test(v))).toBe(true);
    const flowsNow = await both(async (fx, id) => (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: fx.keys.auditor })).body);
    expect(flowsNow.enf).toMatchObject({ status: "active", activeVersion: 1, version: 2 });
    expect(flowsNow.shd).toMatchObject({ status: "active", activeVersion: 2, version: 2 });
  });

  it("an approved override bypasses in both; when it expires the sweep pauses under enforce and only records under shadow", async () => {
    const o = await both(async (fx, id) => {
      const req = await api.request("POST", "/api/v1/fairness-overrides", { token: fx.keys.admin, body: { reason: "Regulator-approved pilot, ticket RISK-42", expiresAt: new Date(nowMs + 86_400_000).toISOString(), flowId: id } });
      expect((await api.request("POST", `/api/v1/fairness-overrides/${req.body.id}/approve`, { token: fx.keys.approver })).status).toBe(200);
      return req.body.id as string;
    });
    const p = await both((fx, id) => publish(fx, id));
    for (const r of [p.enf, p.shd]) expect(r.body).toMatchObject({ status: "active", wouldBlock: false, evaluation: { verdict: "bypass" } });

    nowMs += 2 * 86_400_000;
    const sweep = await api.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep", { headers: { authorization: `Bearer ${app.cronSecret}` } });
    expect(sweep.status, JSON.stringify(sweep.body)).toBe(200);
    const line = (fx: TenantFixture) => sweep.body.tenants.find((t: { tenantId: string }) => t.tenantId === fx.id);
    expect(line(story.enf.fx)).toMatchObject({ overrides: [o.enf], paused: [{ flowId: story.enf.flowId }] });
    expect(line(story.shd.fx)).toMatchObject({ overrides: [o.shd], paused: [], wouldPause: [{ flowId: story.shd.flowId }] });
    expect(line(story.shd.fx).wouldPause[0].violations).toEqual(line(story.enf.fx).paused[0].violations);

    const st = await both((fx, id) => status(fx, id));
    expect(st).toEqual({ enf: "paused", shd: "active" });
    const rows = await both(async (fx, id) => (await allAudit(api, fx.keys.auditor)).filter((a) => a.entityId === id && /auto_pause$/.test(a.action)));
    expect(rows.enf.map((a) => [a.action, a.details.trigger])).toEqual([["auto_pause", "override_expiry_sweep"]]);
    expect(rows.shd.map((a) => [a.action, a.details.trigger])).toEqual([["shadow_auto_pause", "override_expiry_sweep"]]);
    expect(rows.shd[0].violations).toEqual(rows.enf[0].violations);
    const [enfEval] = await evaluationsOf(story.enf.fx, story.enf.flowId);
    const [shdEval] = await evaluationsOf(story.shd.fx, story.shd.flowId);
    expect(judged(shdEval)).toEqual(judged(enfEval));
    expect(shdEval).toMatchObject({ trigger: "recheck", verdict: "block", wouldBlock: true, enforcement: "shadow" });
    expect((await recommend(story.shd.fx, "nbo-cards")).status).toBe(200);
    expectProblem(await recommend(story.enf.fx, "nbo-cards"), 409, "flow_not_active");
  });
});
