/**
 * Shared setup for the evidence suites (not a test file): an in-process app with
 * one tenant whose flow has been blocked, overridden and published — so it has
 * audit rows, evaluations (block and bypass) and an override trail.
 */
import { expect } from "vitest";
import type { AppDeps } from "../../worker/http/types.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { breachingLines, bulk, createFlow, createTenant, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

export interface EvidenceFixture {
  app: InProcessApp;
  api: ReturnType<typeof inProcessClient>;
  fx: TenantFixture;
  flowId: string;
  blockedEvaluationId: string;
  bypassEvaluationId: string;
  overrideId: string;
}

/** Builds the story: policy, flow, breaching traffic, blocked publish, approved override, bypassed publish. */
export async function blockedAndBypassed(opts: { groupValue?: string; env?: Record<string, string>; wrap?: (deps: AppDeps) => AppDeps } = {}): Promise<EvidenceFixture> {
  const app = await createInProcessApp({ env: opts.env, wrap: opts.wrap });
  const api = inProcessClient(app);
  const fx = await createTenant(app, `ev-${crypto.randomUUID().slice(0, 8)}`);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: policy() })).status).toBe(200);
  const flowId = await createFlow(api, fx.keys.publisher, "nbo", PLATINUM_FLOW);
  const lines = breachingLines("nbo", 12).map((l) => (opts.groupValue && l.attributes.ageBand === "65+" ? { ...l, attributes: { ageBand: opts.groupValue } } : l));
  expect((await bulk(api, fx.keys.operator, lines)).status).toBe(201);
  const blocked = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flowId } });
  expect(blocked.status, JSON.stringify(blocked.body)).toBe(422);
  const ov = await api.request("POST", "/api/v1/fairness-overrides", {
    token: fx.keys.admin,
    body: { reason: "Pilot approved by the model risk committee", expiresAt: new Date(Date.now() + 86_400_000).toISOString(), flowId },
  });
  expect(ov.status, JSON.stringify(ov.body)).toBe(201);
  expect((await api.request("POST", `/api/v1/fairness-overrides/${ov.body.id}/approve`, { token: fx.keys.approver })).status).toBe(200);
  const bypassed = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flowId } });
  expect(bypassed.status, JSON.stringify(bypassed.body)).toBe(200);
  expect(bypassed.body.evaluation.verdict).toBe("bypass");
  return { app, api, fx, flowId, blockedEvaluationId: blocked.body.evaluationId, bypassEvaluationId: bypassed.body.evaluation.id, overrideId: ov.body.id };
}
