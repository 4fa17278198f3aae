/**
 * The acceptance story, black-box over HTTP: tenant and keys, policy, publish,
 * traffic, a blocked publish, a four-eyes override, then three same-day rechecks
 * (under the override, after its expiry, again). Runtime-agnostic: each runtime's
 * test file supplies a running target. Step names carry the runtime name so a
 * runtime-specific failure says which runtime broke. Every call goes through the
 * typed client (fairgate/client) over a fetch that checks each exchange against
 * the OpenAPI document (documented status, content type, body schema).
 */
import { describe, expect, it } from "vitest";
import { createFairgateClient, type FairgateClient } from "fairgate/client";
import type { TestClient } from "../helpers/client.js";
import { createContractChecker, createContractClient } from "../helpers/contract.js";

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
      eligibility: [{ attribute: "tier", op: "in" as const, value: ["gold", "platinum"] }],
      model: { intercept: -1.0, numeric: { income: 0.00002 }, categorical: { ageBand: { "65+": -2.0 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};

/** A documented success (else the step fails with what came back). */
function ok<R extends { ok: boolean; status: number; body: unknown }>(r: R): Extract<R, { ok: true }> {
  expect(r.ok, `${r.status} ${JSON.stringify(r.body)}`).toBe(true);
  return r as Extract<R, { ok: true }>;
}
/** A problem answer (else the step fails). */
function refused<R extends { ok: boolean; status: number; body: unknown }>(r: R): Extract<R, { ok: false }>["body"] & Record<string, any> {
  expect(r.ok, `${r.status} ${JSON.stringify(r.body)}`).toBe(false);
  return (r as Extract<R, { ok: false }>).body as Extract<R, { ok: false }>["body"] & Record<string, any>;
}

/** Registers the story as a sequence of steps against `target()`. */
export function acceptanceStory(runtime: string, target: () => StoryTarget) {
  describe(`[${runtime}] acceptance story`, () => {
    let http: TestClient;
    let fg: FairgateClient;
    let t: StoryTarget;
    const keys: Record<string, string> = {};
    let tenantId = "";
    let flowId = "";
    let overrideId = "";
    const traceIds: string[] = [];

    it(`[${runtime}] 1-2. operator creates a tenant and keys for three people`, async () => {
      t = target();
      const checker = createContractChecker();
      http = createContractClient(t.baseUrl, checker);
      fg = createFairgateClient({ baseUrl: t.baseUrl, fetch: checker.fetch() });
      expect((await fg.call("healthz")).status).toBe(200);
      expect((await fg.call("readyz")).status).toBe(200);
      // The contract is served by every runtime: the document, and the docs page that renders it.
      const spec = ok(await fg.call("openapi"));
      expect(spec.body).toMatchObject({ openapi: "3.1.0", paths: expect.any(Object) });
      const docs = ok(await fg.call("docs"));
      expect(docs.body).toContain('<script src="/docs/assets/scalar.js"></script>');
      const ten = await fg.call("createTenant", { token: t.adminToken, body: { name: `acme-${runtime}-${Date.now()}` } });
      expect(ten.status).toBe(201);
      const tenant = ok(ten).body;
      expect(tenant).toMatchObject({ name: expect.any(String), region: expect.any(String), id: expect.any(String) });
      tenantId = tenant.id;
      const mk = async (principal: string, roles: ("admin" | "publisher" | "operator" | "approver")[]) => {
        const r = await fg.call("createTenantApiKey", { token: t.adminToken, params: { id: tenantId }, body: { principal, roles } });
        expect(r.status).toBe(201);
        const created = ok(r).body;
        expect(created.roles).toEqual(roles);
        return created.key;
      };
      keys.admin = await mk("alice@acme.test", ["admin"]);
      keys.publisher = await mk("bob@acme.test", ["publisher", "operator"]);
      keys.approver = await mk("carol@acme.test", ["approver"]);
      // The same person as the admin, holding the approver role too: four-eyes must still refuse.
      keys.aliceApprover = await mk("alice@acme.test", ["approver"]);
      expect((await fg.call("createTenant", { token: "wrong-token", body: { name: "x" } })).status).toBe(401);
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
      const put = await fg.call("putTenantSettings", { token: keys.admin, body: policy });
      expect(put.status).toBe(200);
      expect(ok(await fg.call("getTenantSettings", { token: keys.admin })).body.fairnessPolicy).toMatchObject(policy.fairnessPolicy);

      const created = await fg.call("createFlow", { token: keys.publisher, body: { key: "nbo-cards", name: "Next best card", definition: PLATINUM_FLOW } });
      expect(created.status).toBe(201);
      expect(ok(created).body).toMatchObject({ key: "nbo-cards", status: "draft", version: 1 });
      flowId = ok(created).body.id;

      const pub = await fg.call("publishFlow", { token: keys.publisher, body: { id: flowId } });
      expect(pub.status).toBe(200);
      const published = ok(pub).body;
      expect(published).toMatchObject({ id: flowId, status: "active", version: 1 });
      expect(published.evaluation).toMatchObject({ verdict: "skip", reason: "no usable samples" });
      const audit = ok(await fg.call("listAuditLog", { token: keys.admin, query: { entityType: "fairness_evaluation", entityId: published.evaluation.id } }));
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
            fg.call("recommend", {
              token: keys.publisher,
              body: { customerId: c.customerId, decisionFlowKey: "nbo-cards", attributes: { ageBand: c.ageBand, tier: c.tier, income: c.income } },
            }),
          ),
        );
        for (const r of res) {
          expect(r.status).toBe(200);
          expect(ok(r).body).toMatchObject({ decisionFlowKey: "nbo-cards", version: 1, selected: expect.any(Boolean) });
          traceIds.push(ok(r).body.traceId);
        }
      }
      for (const id of traceIds.slice(0, 40)) expect((await fg.call("recordOutcome", { token: keys.publisher, body: { traceId: id, converted: true } })).status).toBe(200);
      expect((await fg.call("recordOutcome", { token: keys.publisher, body: { traceId: traceIds[0]!, converted: false } })).status).toBe(409);
      expect((await fg.call("recordOutcome", { token: keys.publisher, body: { traceId: "nope", converted: false } })).status).toBe(404);
    });

    it(`[${runtime}] 5. edit + publish again: the window breaches → 422, flow unchanged`, async () => {
      const edited = await fg.call("editFlow", { token: keys.publisher, params: { id: flowId }, body: { definition: { ...PLATINUM_FLOW, maxOffers: 2 } } });
      expect(edited.status).toBe(200);
      expect(ok(edited).body.version).toBe(2);
      const before = ok(await fg.call("getFlow", { token: keys.publisher, params: { id: flowId } })).body;
      const pub = await fg.call("publishFlow", { token: keys.publisher, body: { id: flowId } });
      expect(pub.status).toBe(422);
      expect(pub.headers.get("content-type")).toContain("application/problem+json");
      const blocked = refused(pub);
      expect(blocked).toMatchObject({
        title: "Fairness gate blocked publish",
        code: "fairness_gate_blocked",
        detail: "One or more fairness thresholds configured on this tenant were breached over the last 7 days of decision traces.",
        evaluationId: expect.any(String),
        override: expect.stringContaining("To bypass"),
      });
      expect(blocked.violations.some((v: string) => /^disparate impact ratio \d\.\d{3} < threshold 0\.8$/.test(v))).toBe(true);
      expect(blocked.metrics.sampleSize).toBe(160);
      const after = ok(await fg.call("getFlow", { token: keys.publisher, params: { id: flowId } })).body;
      expect(after).toEqual(before);
      expect(after).toMatchObject({ status: "active", activeVersion: 1, version: 2 });
      const ev = await fg.call("getEvaluation", { token: keys.publisher, params: { id: blocked.evaluationId } });
      expect(ev.status).toBe(200);
      expect(ok(ev).body).toMatchObject({ verdict: "block", sampleSize: 160, violations: blocked.violations });
    });

    /** Fires the daily recheck the runtime's way; over HTTP also checks this tenant's line of the report. */
    const recheck = async (expected: Record<string, unknown>) => {
      if (t.triggerRecheck) return t.triggerRecheck(http);
      const r = await fg.call("runCron", { token: t.cronSecret });
      expect(r.status).toBe(200);
      // Run here, not enqueued (this runtime has no queue): a report with every tenant's line.
      const body = ok(r).body;
      if (!("tenants" in body)) throw new Error(`the recheck was not run here: ${JSON.stringify(body)}`);
      expect(body.tenants.find((x) => x.tenantId === tenantId)).toMatchObject(expected);
    };
    const recheckEvaluations = async () =>
      ok(await fg.call("listEvaluations", { token: keys.publisher, query: { flowId, limit: 100 } })).body.items.filter((e) => e.trigger === "recheck");
    const autoPauses = async () =>
      ok(await fg.call("listAuditLog", { token: keys.admin, query: { entityType: "decision_flow", entityId: flowId } })).body.items.filter((a) => a.action === "auto_pause");

    it(`[${runtime}] 6. four-eyes override: self-approval refused, approver approves, publish bypasses`, async () => {
      // Short-lived (any future expiry within 90 days is valid), so the story can watch it expire over real HTTP.
      const expiresAt = new Date(Date.now() + 12_000).toISOString();
      const req = await fg.call("requestOverride", { token: keys.admin, body: { reason: "Regulator-approved pilot, ticket RISK-42", expiresAt, flowId } });
      expect(req.status).toBe(201);
      expect(ok(req).body.status).toBe("pending");
      overrideId = ok(req).body.id;
      // A pending override changes nothing.
      expect((await fg.call("publishFlow", { token: keys.publisher, body: { id: flowId } })).status).toBe(422);
      const self = await fg.call("approveOverride", { token: keys.aliceApprover, params: { id: overrideId } });
      expect(self.status).toBe(403);
      expect(refused(self).code).toBe("self_approval_forbidden");
      expect((await fg.call("approveOverride", { token: keys.admin, params: { id: overrideId } })).status).toBe(403);
      // approvedBy is never taken from a body: a body with it is refused outright (sent past the client's types on purpose).
      const withApprover = await fg.call("approveOverride", { token: keys.approver, params: { id: overrideId }, body: { approvedBy: "mallory" } as unknown as Record<string, never> });
      expect(withApprover.status).toBe(400);
      const ok2 = await fg.call("approveOverride", { token: keys.approver, params: { id: overrideId } });
      expect(ok2.status).toBe(200);
      expect(ok(ok2).body).toMatchObject({ status: "active", approvedBy: "carol@acme.test" });
      const pub = await fg.call("publishFlow", { token: keys.publisher, body: { id: flowId } });
      expect(pub.status).toBe(200);
      expect(ok(pub).body).toMatchObject({ status: "active", version: 2, evaluation: { verdict: "bypass", approvedBy: "carol@acme.test" } });
      const audit = ok(await fg.call("listAuditLog", { token: keys.admin, query: { entityType: "fairness_evaluation", entityId: ok(pub).body.evaluation.id } }));
      expect(audit.body.items[0]).toMatchObject({ reason: "Fairness gate bypassed via active override", details: { approvedBy: "carol@acme.test" } });
    });

    it(`[${runtime}] 7a. a recheck under the active override evaluates (bypass) and the flow stays active`, async () => {
      const o = ok(await fg.call("getOverride", { token: keys.admin, params: { id: overrideId } }));
      await recheck({ status: "checked", paused: [] });
      // Only meaningful while the override was in force for the whole run.
      expect(Date.now(), "the override expired before the first recheck finished; lengthen its lifetime").toBeLessThan(Date.parse(o.body.expiresAt));
      expect((await recheckEvaluations()).map((e) => e.verdict)).toEqual(["bypass"]);
      expect(ok(await fg.call("getFlow", { token: keys.publisher, params: { id: flowId } })).body.status).toBe("active");
      expect(await autoPauses()).toEqual([]);
    });

    it(`[${runtime}] 7b. the same day, after the override's expiry, the recheck auto-pauses the flow; recommend answers 409`, async () => {
      const o = ok(await fg.call("getOverride", { token: keys.admin, params: { id: overrideId } }));
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(o.body.expiresAt) - Date.now() + 200)));
      await recheck({ status: "checked", paused: [{ flowId }] });
      const flow = ok(await fg.call("getFlow", { token: keys.publisher, params: { id: flowId } }));
      expect(flow.body.status).toBe("paused");
      expect((await recheckEvaluations()).map((e) => e.verdict).sort()).toEqual(["block", "bypass"]);
      const pauses = await autoPauses();
      expect(pauses).toHaveLength(1);
      const pause = pauses[0] as Record<string, any>;
      expect(pause).toMatchObject({ entityType: "decision_flow", action: "auto_pause", reason: "fairness_recheck_drift", violations: expect.any(Array) });
      expect(pause.violations.length).toBeGreaterThan(0);
      const rec = await fg.call("recommend", { token: keys.publisher, body: { customerId: "late", decisionFlowKey: "nbo-cards", attributes: { ageBand: "65+" } } });
      expect(rec.status).toBe(409);
      expect(refused(rec).code).toBe("flow_not_active");
    });

    it(`[${runtime}] 7c. a third recheck the same day writes no new auto_pause row`, async () => {
      await recheck({ status: "checked", paused: [] });
      expect(ok(await fg.call("getFlow", { token: keys.publisher, params: { id: flowId } })).body.status).toBe("paused");
      // The paused flow is no longer active, so it is not evaluated or paused again.
      expect(await recheckEvaluations()).toHaveLength(2);
      expect(await autoPauses()).toHaveLength(1);
    });
  });
}
