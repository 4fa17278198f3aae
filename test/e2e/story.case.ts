/**
 * The acceptance story, black-box over HTTP: tenant and keys, policy, publish,
 * traffic, a blocked publish, a four-eyes override, then three same-day rechecks
 * (under the override, after its expiry, again). Runtime-agnostic: each runtime's
 * test file supplies a running target. Step names carry the runtime name so a
 * runtime-specific failure says which runtime broke.
 */
import { describe, expect, it } from "vitest";
import type { TestClient } from "../helpers/client.js";
import { createContractClient } from "../helpers/contract.js";

export interface StoryTarget {
  baseUrl: string;
  adminToken: string;
  cronSecret: string;
  /** Fires the daily recheck; defaults to the secret-guarded HTTP route. */
  triggerRecheck?: (http: TestClient) => Promise<void>;
}

export const PLATINUM_FLOW = {
  offers: [
    {
      id: "platinum-card",
      eligibility: [{ attribute: "tier", op: "in", value: ["gold", "platinum"] }],
      model: { intercept: -1.0, numeric: { income: 0.00002 }, categorical: { ageBand: { "65+": -2.0 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};

/** Registers the story as a sequence of steps against `target()`. */
export function acceptanceStory(runtime: string, target: () => StoryTarget) {
  describe(`[${runtime}] acceptance story`, () => {
    let http: TestClient;
    let t: StoryTarget;
    const keys: Record<string, string> = {};
    let tenantId = "";
    let flowId = "";
    let overrideId = "";
    const traceIds: string[] = [];

    it(`[${runtime}] 1-2. operator creates a tenant and keys for three people`, async () => {
      t = target();
      // Every exchange of the story is checked against the OpenAPI document (status, content type, body schema).
      http = createContractClient(t.baseUrl);
      expect((await http.get("/healthz")).status).toBe(200);
      expect((await http.get("/readyz")).status).toBe(200);
      // The contract is served by every runtime: the document, and the docs page that renders it.
      const spec = await http.get("/openapi.json");
      expect(spec.status).toBe(200);
      expect(spec.body).toMatchObject({ openapi: "3.1.0", paths: expect.any(Object) });
      const docs = await http.get("/docs");
      expect(docs.status).toBe(200);
      expect(docs.body).toContain('fetch("/openapi.json")');
      const ten = await http.post("/api/v1/admin/tenants", t.adminToken, { name: `acme-${runtime}-${Date.now()}` });
      expect(ten.status).toBe(201);
      expect(ten.body).toMatchObject({ name: expect.any(String), region: expect.any(String), id: expect.any(String) });
      tenantId = ten.body.id;
      const mk = async (principal: string, roles: string[]) => {
        const r = await http.post(`/api/v1/admin/tenants/${tenantId}/api-keys`, t.adminToken, { principal, roles });
        expect(r.status).toBe(201);
        expect(r.body.roles).toEqual(roles);
        return r.body.key as string;
      };
      keys.admin = await mk("alice@acme.test", ["admin"]);
      keys.publisher = await mk("bob@acme.test", ["publisher", "operator"]);
      keys.approver = await mk("carol@acme.test", ["approver"]);
      // The same person as the admin, holding the approver role too: four-eyes must still refuse.
      keys.aliceApprover = await mk("alice@acme.test", ["approver"]);
      expect((await http.post("/api/v1/admin/tenants", "wrong-token", { name: "x" })).status).toBe(401);
    });

    it(`[${runtime}] 3. admin sets a policy; publisher creates and publishes a flow (no traces: skip)`, async () => {
      const policy = {
        fairnessPolicy: {
          enabled: true,
          sensitiveAttribute: "ageBand",
          thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 },
          minSampleSize: 100,
          windowDays: 7,
          continuousRecheck: true,
        },
      };
      const put = await http.put("/api/v1/tenant-settings", keys.admin, policy);
      expect(put.status).toBe(200);
      expect((await http.get("/api/v1/tenant-settings", keys.admin)).body.fairnessPolicy).toMatchObject(policy.fairnessPolicy);

      const created = await http.post("/api/v1/decision-flows", keys.publisher, { key: "nbo-cards", name: "Next best card", definition: PLATINUM_FLOW });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ key: "nbo-cards", status: "draft", version: 1 });
      flowId = created.body.id;

      const pub = await http.post("/api/v1/decision-flows/publish", keys.publisher, { id: flowId });
      expect(pub.status).toBe(200);
      expect(pub.body).toMatchObject({ id: flowId, status: "active", version: 1 });
      expect(pub.body.evaluation).toMatchObject({ verdict: "skip", reason: "no usable samples" });
      const audit = await http.get(`/api/v1/audit-log?entityType=fairness_evaluation&entityId=${pub.body.evaluation.id}`, keys.admin);
      expect(audit.body.items[0]).toMatchObject({ action: "evaluation_skip", reason: "no usable samples" });
    });

    it(`[${runtime}] 4. traffic on recommend (with ageBand), outcomes later`, async () => {
      const customers = Array.from({ length: 160 }, (_, i) => ({
        customerId: `c-${i}`,
        ageBand: i % 2 === 0 ? "65+" : "25-34",
        tier: i % 4 === 3 ? "silver" : "gold",
        income: 60_000 + (i % 10) * 5_000,
      }));
      for (let i = 0; i < customers.length; i += 16) {
        const batch = customers.slice(i, i + 16);
        const res = await Promise.all(
          batch.map((c) =>
            http.post("/api/v1/recommend", keys.publisher, {
              customerId: c.customerId,
              decisionFlowKey: "nbo-cards",
              attributes: { ageBand: c.ageBand, tier: c.tier, income: c.income },
            }),
          ),
        );
        for (const r of res) {
          expect(r.status).toBe(200);
          expect(r.body).toMatchObject({ decisionFlowKey: "nbo-cards", version: 1, selected: expect.any(Boolean) });
          traceIds.push(r.body.traceId);
        }
      }
      for (const id of traceIds.slice(0, 40)) expect((await http.post("/api/v1/outcomes", keys.publisher, { traceId: id, converted: true })).status).toBe(200);
      expect((await http.post("/api/v1/outcomes", keys.publisher, { traceId: traceIds[0], converted: false })).status).toBe(409);
      expect((await http.post("/api/v1/outcomes", keys.publisher, { traceId: "nope", converted: false })).status).toBe(404);
    });

    it(`[${runtime}] 5. edit + publish again: the window breaches → 422, flow unchanged`, async () => {
      const edited = await http.put(`/api/v1/decision-flows/${flowId}`, keys.publisher, { definition: { ...PLATINUM_FLOW, maxOffers: 2 } });
      expect(edited.status).toBe(200);
      expect(edited.body.version).toBe(2);
      const before = (await http.get(`/api/v1/decision-flows/${flowId}`, keys.publisher)).body;
      const pub = await http.post("/api/v1/decision-flows/publish", keys.publisher, { id: flowId });
      expect(pub.status).toBe(422);
      expect(pub.contentType).toContain("application/problem+json");
      expect(pub.body).toMatchObject({
        title: "Fairness gate blocked publish",
        code: "fairness_gate_blocked",
        detail: "One or more fairness thresholds configured on this tenant were breached over the last 7 days of decision traces.",
        evaluationId: expect.any(String),
        override: expect.stringContaining("To bypass"),
      });
      expect(pub.body.violations.some((v: string) => /^disparate impact ratio \d\.\d{3} < threshold 0\.8$/.test(v))).toBe(true);
      expect(pub.body.metrics.sampleSize).toBe(160);
      const after = (await http.get(`/api/v1/decision-flows/${flowId}`, keys.publisher)).body;
      expect(after).toEqual(before);
      expect(after).toMatchObject({ status: "active", activeVersion: 1, version: 2 });
      const ev = await http.get(`/api/v1/fairness-evaluations/${pub.body.evaluationId}`, keys.publisher);
      expect(ev.status).toBe(200);
      expect(ev.body).toMatchObject({ verdict: "block", sampleSize: 160, violations: pub.body.violations });
    });

    /** Fires the daily recheck the runtime's way; over HTTP also checks this tenant's line of the report. */
    const recheck = async (expected: Record<string, unknown>) => {
      if (t.triggerRecheck) return t.triggerRecheck(http);
      const r = await http.request("GET", "/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${t.cronSecret}` } });
      expect(r.status).toBe(200);
      expect(r.body.tenants.find((x: { tenantId: string }) => x.tenantId === tenantId)).toMatchObject(expected);
    };
    const recheckEvaluations = async () =>
      ((await http.get(`/api/v1/fairness-evaluations?flowId=${flowId}&limit=100`, keys.publisher)).body.items as { trigger: string; verdict: string }[]).filter((e) => e.trigger === "recheck");
    const autoPauses = async () =>
      ((await http.get(`/api/v1/audit-log?entityType=decision_flow&entityId=${flowId}`, keys.admin)).body.items as { action: string }[]).filter((a) => a.action === "auto_pause");

    it(`[${runtime}] 6. four-eyes override: self-approval refused, approver approves, publish bypasses`, async () => {
      // Short-lived (any future expiry within 90 days is valid), so the story can watch it expire over real HTTP.
      const expiresAt = new Date(Date.now() + 12_000).toISOString();
      const req = await http.post("/api/v1/fairness-overrides", keys.admin, { reason: "Regulator-approved pilot, ticket RISK-42", expiresAt, flowId });
      expect(req.status).toBe(201);
      expect(req.body.status).toBe("pending");
      overrideId = req.body.id;
      // A pending override changes nothing.
      expect((await http.post("/api/v1/decision-flows/publish", keys.publisher, { id: flowId })).status).toBe(422);
      const self = await http.post(`/api/v1/fairness-overrides/${overrideId}/approve`, keys.aliceApprover);
      expect(self.status).toBe(403);
      expect(self.body.code).toBe("self_approval_forbidden");
      expect((await http.post(`/api/v1/fairness-overrides/${overrideId}/approve`, keys.admin)).status).toBe(403);
      const ok = await http.post(`/api/v1/fairness-overrides/${overrideId}/approve`, keys.approver, { approvedBy: "mallory" });
      // approvedBy is never taken from a body: a body with it is refused outright.
      expect(ok.status).toBe(400);
      const ok2 = await http.post(`/api/v1/fairness-overrides/${overrideId}/approve`, keys.approver);
      expect(ok2.status).toBe(200);
      expect(ok2.body).toMatchObject({ status: "active", approvedBy: "carol@acme.test" });
      const pub = await http.post("/api/v1/decision-flows/publish", keys.publisher, { id: flowId });
      expect(pub.status).toBe(200);
      expect(pub.body).toMatchObject({ status: "active", version: 2, evaluation: { verdict: "bypass", approvedBy: "carol@acme.test" } });
      const audit = await http.get(`/api/v1/audit-log?entityType=fairness_evaluation&entityId=${pub.body.evaluation.id}`, keys.admin);
      expect(audit.body.items[0]).toMatchObject({ reason: "Fairness gate bypassed via active override", details: { approvedBy: "carol@acme.test" } });
    });

    it(`[${runtime}] 7a. a recheck under the active override evaluates (bypass) and the flow stays active`, async () => {
      const o = await http.get(`/api/v1/fairness-overrides/${overrideId}`, keys.admin);
      await recheck({ status: "checked", paused: [] });
      // Only meaningful while the override was in force for the whole run.
      expect(Date.now(), "the override expired before the first recheck finished; lengthen its lifetime").toBeLessThan(Date.parse(o.body.expiresAt));
      expect((await recheckEvaluations()).map((e) => e.verdict)).toEqual(["bypass"]);
      expect((await http.get(`/api/v1/decision-flows/${flowId}`, keys.publisher)).body.status).toBe("active");
      expect(await autoPauses()).toEqual([]);
    });

    it(`[${runtime}] 7b. the same day, after the override's expiry, the recheck auto-pauses the flow; recommend answers 409`, async () => {
      const o = await http.get(`/api/v1/fairness-overrides/${overrideId}`, keys.admin);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(o.body.expiresAt) - Date.now() + 200)));
      await recheck({ status: "checked", paused: [{ flowId }] });
      const flow = await http.get(`/api/v1/decision-flows/${flowId}`, keys.publisher);
      expect(flow.body.status).toBe("paused");
      expect((await recheckEvaluations()).map((e) => e.verdict).sort()).toEqual(["block", "bypass"]);
      const pauses = await autoPauses();
      expect(pauses).toHaveLength(1);
      const pause = pauses[0] as Record<string, any>;
      expect(pause).toMatchObject({ entityType: "decision_flow", action: "auto_pause", reason: "fairness_recheck_drift", violations: expect.any(Array) });
      expect(pause.violations.length).toBeGreaterThan(0);
      const rec = await http.post("/api/v1/recommend", keys.publisher, { customerId: "late", decisionFlowKey: "nbo-cards", attributes: { ageBand: "65+" } });
      expect(rec.status).toBe(409);
      expect(rec.body.code).toBe("flow_not_active");
    });

    it(`[${runtime}] 7c. a third recheck the same day writes no new auto_pause row`, async () => {
      await recheck({ status: "checked", paused: [] });
      expect((await http.get(`/api/v1/decision-flows/${flowId}`, keys.publisher)).body.status).toBe("paused");
      // The paused flow is no longer active, so it is not evaluated or paused again.
      expect(await recheckEvaluations()).toHaveLength(2);
      expect(await autoPauses()).toHaveLength(1);
    });
  });
}
