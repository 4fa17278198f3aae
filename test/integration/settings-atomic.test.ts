/**
 * PUT /tenant-settings with a policy, an inline override request and `alerts` is
 * one atomic batch: when the write of the webhook part fails (a lost connection,
 * injected beside the real client), the policy, the webhook, the override
 * requests and the audit log are all exactly as before; once the store is back,
 * the same request commits every part together.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../worker/store/sql.js";
import { failingBatches, sqlOf } from "../helpers/failing-client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { createTenant, policy, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let api: ReturnType<typeof inProcessClient>;
let fx: TenantFixture;
/** When set, any write batch touching alert_settings fails like a dropped connection. */
let failAlertWrites = false;

const faulty = (c: Client): Client => failingBatches(c, (stmts) => failAlertWrites && stmts.some((s) => /alert_settings/.test(sqlOf(s))));

beforeAll(async () => {
  app = await createInProcessApp({ wrapTenantClient: faulty });
  api = inProcessClient(app);
  fx = await createTenant(app, `sa-${crypto.randomUUID().slice(0, 8)}`);
  const first = await api.request("PUT", "/api/v1/tenant-settings", {
    token: fx.keys.admin,
    body: { ...policy(), alerts: { webhookUrl: "https://hooks.example.com/old", secret: "old-secret-0123456789", minTier: "block" } },
  });
  expect(first.status, JSON.stringify(first.body)).toBe(200);
});
afterAll(async () => app?.close());

const state = async () => ({
  settings: (await api.request("GET", "/api/v1/tenant-settings", { token: fx.keys.auditor })).body,
  overrides: (await api.request("GET", "/api/v1/fairness-overrides", { token: fx.keys.auditor })).body,
  audit: (await api.request("GET", "/api/v1/audit-log?limit=500", { token: fx.keys.auditor })).body.items.map((a: { id: string }) => a.id),
});

describe("PUT /tenant-settings is all or nothing", () => {
  const change = () => ({
    fairnessPolicy: {
      ...policy({ thresholds: { disparateImpactRatio: 0.9 }, minSampleSize: 50 }).fairnessPolicy,
      override: { reason: "Pilot approved by the risk committee", expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    },
    alerts: { webhookUrl: "https://hooks.example.com/new", secret: "new-secret-0123456789", minTier: "warning" },
  });

  it("a failure in the webhook part leaves the policy, the webhook, overrides and audit unchanged", async () => {
    const before = await state();
    expect(before.settings.alerts.webhookUrl).toBe("https://hooks.example.com/old");
    failAlertWrites = true;
    try {
      const r = await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: change() });
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.code).toBe("store_unavailable");
    } finally {
      failAlertWrites = false;
    }
    expect(await state()).toEqual(before);
    expect((await api.request("GET", "/api/v1/audit-log/verify", { token: fx.keys.auditor })).body.ok).toBe(true);
  });

  it("the same request then commits every part in one go", async () => {
    const before = await state();
    const r = await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: change() });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const after = await state();
    expect(after.settings.fairnessPolicy.thresholds).toEqual({ disparateImpactRatio: 0.9 });
    expect(after.settings.alerts).toMatchObject({ webhookUrl: "https://hooks.example.com/new", minTier: "warning" });
    expect(after.overrides.items).toHaveLength(1);
    // settings_update, override_request and alerts_update: three chained rows, one commit.
    expect(after.audit.length - before.audit.length).toBe(3);
    expect((await api.request("GET", "/api/v1/audit-log/verify", { token: fx.keys.auditor })).body.ok).toBe(true);
  });
});
