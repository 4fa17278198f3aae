/**
 * An evaluation stored before a field existed (here: before the slice error rate — no
 * errorRateGap / errorRateToOverall entries, no per-group errorRate) still reads back for
 * callers (with the new metrics "not computed") and still verifies in an evidence pack:
 * the pack carries the chained body as written, not its read-back shape.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { buildEvaluation, type Evaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { requestInit } from "../helpers/client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-old-eval-"));
let app: InProcessApp;
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an evaluation stored before the slice error rate", () => {
  it("reads back with the new metrics not computed, and its evidence pack verifies intact", async () => {
    app = await createInProcessApp();
    const http = inProcessClient(app);
    const t = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "older" } });
    const auditor = (await http.request("POST", `/api/v1/admin/tenants/${t.body.id}/api-keys`, { token: app.adminToken, body: { principal: "aud@older.test", roles: ["auditor"] } })).body.key as string;

    const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "g", minSampleSize: 10, thresholds: { demographicParityGap: 0.5 } });
    const groups = ["a", "b"].map((value) => ({ value, n: 50, selected: 20, labeled: 50, positives: 25, tp: 10, fp: 10, fn: 15, tn: 15 }));
    const gate = decideGate(policy, { observed: [{ name: "g", attributes: ["g"], table: { groups }, calibration: null }] }, null);
    const current = evaluationSchema.parse(buildEvaluation({ id: "old-1", flowId: null, flowKey: "k", version: 1, trigger: "recheck", policy, window: null, now: new Date() }, gate));
    // The older shape: what was written before these fields existed.
    const old = JSON.parse(JSON.stringify(current));
    for (const r of old.results) {
      delete r.overall;
      delete r.metrics.errorRateGap;
      delete r.metrics.errorRateToOverall;
      for (const g of r.groups) for (const k of ["errorRate", "accuracy", "toOverall"]) delete g[k];
    }
    for (const g of old.groups) for (const k of ["errorRate", "accuracy", "toOverall"]) delete g[k];
    const { store } = await app.deps.tenants.get((await app.deps.control.getTenant(t.body.id))!);
    await store.write([store.evidence.evaluationStmt(old as Evaluation, null)]);

    const read = await http.request("GET", "/api/v1/fairness-evaluations/old-1", { token: auditor });
    expect(read.status).toBe(200);
    expect(read.body.results[0].metrics.errorRateGap).toMatchObject({ value: null, status: "unavailable" });
    expect(read.body.groups[0].errorRate).toBeUndefined();

    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await app.fetch(`/api/v1/evidence-pack?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, requestInit("GET", { token: auditor }));
    expect(res.status).toBe(200);
    const zip = new Uint8Array(await res.arrayBuffer());
    const member = JSON.parse(new TextDecoder().decode(unzipSync(zip)["evaluations/old-1.json"]));
    expect(member.body.results[0].metrics.errorRateGap).toBeUndefined();
    const file = join(dir, "pack.zip");
    writeFileSync(file, zip);
    let out = "";
    const code = await main(["verify", file], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => {} } });
    expect(out).not.toMatch(/content_mismatch/);
    expect(code).toBe(0);
  });
});
