/**
 * A publisher saving a new draft while the expiry sweep (or the daily recheck)
 * evaluates the active version must not let a breaching flow escape its pause:
 * the pause is guarded on "still active on the evaluated version", which a draft
 * does not change. A publish or a pause in between still wins (nothing twice).
 */
import { afterAll, expect, it } from "vitest";
import type { AppDeps } from "../../worker/http/types.js";
import { interceptTenantWrites } from "../helpers/tenant-writes.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { breachingLines, bulk, createFlow, createTenant, PLATINUM_FLOW, policy } from "./_support.js";

let nowMs = Date.parse("2031-06-02T12:00:00.000Z");
const clock = () => new Date(nowMs++);
/** Runs once, right before the first batch that pauses a flow is written. */
let beforePause: (() => Promise<void>) | null = null;

const wrap = (deps: AppDeps): AppDeps =>
  interceptTenantWrites(deps, async (_tenantId, stmts, write) => {
    if (beforePause && stmts.some((s) => typeof s === "object" && /UPDATE decision_flows SET status/.test(s.sql))) {
      const run = beforePause;
      beforePause = null;
      await run();
    }
    return write(stmts);
  });

let app: InProcessApp;
afterAll(async () => app?.close());

it("a draft saved during the sweep does not stop the pause of the breaching active version", async () => {
  app = await createInProcessApp({ clock, wrap });
  const api = inProcessClient(app);
  const T = await createTenant(app, `rde-${crypto.randomUUID().slice(0, 6)}`);
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  const id = await createFlow(api, T.keys.publisher, "a", PLATINUM_FLOW);
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: T.keys.publisher, body: { id } })).status).toBe(200);
  expect((await bulk(api, T.keys.operator, breachingLines("a"))).status).toBe(201);
  const ov = await api.request("POST", "/api/v1/fairness-overrides", {
    token: T.keys.admin,
    body: { reason: "Documented exception for the pilot", expiresAt: new Date(nowMs + 3_600_000).toISOString(), flowId: id },
  });
  expect((await api.request("POST", `/api/v1/fairness-overrides/${ov.body.id}/approve`, { token: T.keys.approver })).status).toBe(200);
  nowMs += 2 * 3_600_000;
  let edited = 0;
  beforePause = async () => {
    edited = (await api.request("PUT", `/api/v1/decision-flows/${id}`, { token: T.keys.publisher, body: { definition: PLATINUM_FLOW } })).status;
  };
  const sweep = await api.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep", { headers: { authorization: `Bearer ${app.cronSecret}` } });
  expect(edited).toBe(200);
  const mine = sweep.body.tenants.find((t: { tenantId: string }) => t.tenantId === T.id);
  expect(mine.paused).toHaveLength(1);
  const flow = (await api.request("GET", `/api/v1/decision-flows/${id}`, { token: T.keys.auditor })).body;
  expect(flow.status).toBe("paused");
  // The draft was saved (version 2) and the active version 1 is what was paused.
  expect(flow.version).toBe(2);
  expect(flow.activeVersion).toBe(1);
});
