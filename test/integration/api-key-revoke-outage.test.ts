/**
 * Revoking a leaked key while the tenant's own database is failing: the
 * revocation (control store) commits and is answered as done, and the key is
 * dead on its next use; only the tenant-side copy of the event is missing, and
 * the gap is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../worker/store/sql.js";
import { failingBatches } from "../helpers/failing-client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { createTenant, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let fx: TenantFixture;
let failTenantWrites = false;

const faulty = (c: Client): Client => failingBatches(c, (_stmts, mode) => failTenantWrites && mode === "write");

beforeAll(async () => {
  app = await createInProcessApp({ wrapTenantClient: faulty });
  fx = await createTenant(app, `ko-${crypto.randomUUID().slice(0, 8)}`);
});
afterAll(async () => app?.close());

describe("revoking a key during a tenant-database outage", () => {
  it("is done (200), the key is 401 next time, and the missing tenant-side copy is logged", async () => {
    const api = inProcessClient(app);
    expect((await api.request("GET", "/api/v1/decision-flows", { token: fx.keys.auditor })).status).toBe(200);
    failTenantWrites = true;
    try {
      const r = await api.request("DELETE", `/api/v1/admin/tenants/${fx.id}/api-keys/${fx.keyIds.auditor}`, { token: app.adminToken });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    } finally {
      failTenantWrites = false;
    }
    expect((await api.request("GET", "/api/v1/decision-flows", { token: fx.keys.auditor })).status).toBe(401);
    expect(app.logs.some((l) => l.includes("key event not copied to the tenant audit log"))).toBe(true);
    const events = await api.request("GET", `/api/v1/admin/tenants/${fx.id}/api-key-events`, { token: app.adminToken });
    expect(events.body.items.some((e: { action: string; keyId: string }) => e.action === "revoke" && e.keyId === fx.keyIds.auditor)).toBe(true);
  });
});
