/**
 * Remediation tracking: a blocked publish or an auto-pause opens a record (same batch);
 * it moves open → in_progress → resolved only with a later passing evaluation
 * of the flow, or → waived only with an approved override; closed records stay closed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { breachingLines, bulk, createFlow, line, PLATINUM_FLOW } from "../integration/_support.js";
import { blockedAndBypassed, type EvidenceFixture } from "./_fixture.js";

describe("remediations", () => {
  let f: EvidenceFixture;
  beforeAll(async () => {
    f = await blockedAndBypassed();
  });
  afterAll(async () => {
    await f.app.close();
  });
  const req = (method: string, path: string, role: string, body?: unknown) => f.api.request(method, path, { token: f.fx.keys[role]!, body });

  it("a block opens one record with failing metrics, slices, owner and due date", async () => {
    const list = await req("GET", `/api/v1/remediations?flowId=${f.flowId}`, "auditor");
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const r = list.body.items[0];
    expect(r).toMatchObject({
      flowId: f.flowId,
      flowKey: "nbo",
      evaluationId: f.blockedEvaluationId,
      openedByAction: "publish_blocked",
      status: "open",
      owner: f.fx.principals.publisher,
      failingSlices: [{ attribute: "ageBand", group: "65+", selectionRate: 0 }],
    });
    expect(r.failingMetrics[0]).toContain("disparate impact ratio");
    expect(Date.parse(r.dueAt) - Date.parse(r.createdAt)).toBe(14 * 86_400_000);
    // The opening is recorded by the blocking event's own audit row, which names the evaluation.
    const audit = await req("GET", `/api/v1/audit-log?entityType=decision_flow&entityId=${f.flowId}`, "auditor");
    expect(audit.body.items.find((a: any) => a.action === "publish_blocked").details.evaluationId).toBe(r.evaluationId);
    expect((await req("GET", "/api/v1/remediations", "approver")).status).toBe(200);
    expect((await req("GET", "/api/v1/remediations", "operator")).status).toBe(403);
  });

  it("moves along with evidence only, and a waived record is closed", async () => {
    const r = (await req("GET", `/api/v1/remediations?flowId=${f.flowId}`, "auditor")).body.items[0];
    const path = `/api/v1/remediations/${r.id}`;
    expect((await req("PATCH", path, "auditor", { status: "in_progress" })).status).toBe(403);
    const started = await req("PATCH", path, "publisher", { status: "in_progress", rootCause: "data", notes: "65+ under-represented in training data", owner: "dana@bank.example" });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body).toMatchObject({ status: "in_progress", rootCause: "data", owner: "dana@bank.example", revision: 2 });
    expect((await req("PATCH", path, "admin", { rootCause: "astrology" })).body.code).toBe("validation_failed");
    expect((await req("PATCH", path, "admin", { status: "resolved" })).body.code).toBe("remediation_evidence_missing");
    // A bypass is not a pass.
    const bypass = await req("PATCH", path, "admin", { status: "resolved", resolvingEvaluationId: f.bypassEvaluationId });
    expect(bypass.status).toBe(409);
    expect(bypass.body.code).toBe("remediation_evidence_invalid");
    expect((await req("PATCH", path, "admin", { status: "waived" })).body.code).toBe("remediation_evidence_missing");
    const waived = await req("PATCH", path, "admin", { status: "waived", overrideId: f.overrideId });
    expect(waived.status, JSON.stringify(waived.body)).toBe(200);
    expect(waived.body).toMatchObject({ status: "waived", overrideId: f.overrideId });
    expect((await req("PATCH", path, "admin", { notes: "later" })).body.code).toBe("remediation_closed");
    const actions = (await req("GET", `/api/v1/audit-log?entityType=remediation&entityId=${r.id}`, "auditor")).body.items.map((a: any) => a.action);
    expect(actions).toEqual(["remediation_in_progress", "remediation_waived"]);
  });

  it("resolves only with a later passing evaluation of the same flow", async () => {
    const flow2 = await createFlow(f.api, f.fx.keys.publisher, "nbo2", PLATINUM_FLOW);
    expect((await bulk(f.api, f.fx.keys.operator, breachingLines("nbo2", 12))).status).toBe(201);
    expect((await req("POST", "/api/v1/decision-flows/publish", "publisher", { id: flow2 })).status).toBe(422);
    const r = (await req("GET", `/api/v1/remediations?flowId=${flow2}`, "auditor")).body.items[0];
    // Fix the data: enough selected 65+ decisions lift the ratio over 0.8.
    expect((await bulk(f.api, f.fx.keys.operator, Array.from({ length: 60 }, () => line("nbo2", "65+", true)))).status).toBe(201);
    const pass = await req("POST", "/api/v1/decision-flows/publish", "publisher", { id: flow2 });
    expect(pass.status, JSON.stringify(pass.body)).toBe(200);
    expect(pass.body.evaluation.verdict).toBe("pass");
    const wrongFlow = await req("PATCH", `/api/v1/remediations/${r.id}`, "publisher", { status: "resolved", resolvingEvaluationId: f.blockedEvaluationId });
    expect(wrongFlow.body.code).toBe("remediation_evidence_invalid");
    const done = await req("PATCH", `/api/v1/remediations/${r.id}`, "publisher", { status: "resolved", resolvingEvaluationId: pass.body.evaluation.id });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ status: "resolved", resolvingEvaluationId: pass.body.evaluation.id });
    expect((await req("GET", "/api/v1/audit-log/verify", "auditor")).body.ok).toBe(true);
  });

  it("an auto-pause by the daily recheck opens a record without an owner", async () => {
    const flows = (await req("GET", "/api/v1/decision-flows", "auditor")).body.items as any[];
    const flow2 = flows.find((x) => x.key === "nbo2").id;
    // The fixed flow drifts again: more 65+ customers turned down.
    expect((await bulk(f.api, f.fx.keys.operator, Array.from({ length: 40 }, () => line("nbo2", "65+", false)))).status).toBe(201);
    const rc = await f.app.fetch("/api/v1/cron/fairness-recheck", { headers: { authorization: `Bearer ${f.app.cronSecret}` } });
    expect(rc.status).toBe(200);
    const open = (await req("GET", `/api/v1/remediations?flowId=${flow2}&status=open`, "auditor")).body.items;
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ openedByAction: "auto_pause", owner: null, flowKey: "nbo2", failingSlices: [{ group: "65+" }] });
    // The bypassed flow stays active and gets no new record.
    expect((await req("GET", `/api/v1/remediations?flowId=${f.flowId}`, "auditor")).body.items).toHaveLength(1);
  });
});
