/**
 * @module http/routes/tenant-settings
 * The tenant's fairness policy.
 */
import { Hono } from "hono";
import { tenantSettingsSchema } from "../../domain/policy.js";
import { putSettings } from "../../services/governance.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/tenant-settings. */
export function createTenantSettingsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole("admin", "approver", "auditor"), async (c) => {
    const policy = await c.get("tenant").store.governance.getPolicy();
    return c.json({ fairnessPolicy: policy });
  });
  app.put("/", requireRole("admin"), async (c) => {
    const body = await jsonBody(c, tenantSettingsSchema);
    const r = await putSettings(deps, c.get("tenant").store, actorOf(c), body.fairnessPolicy);
    return c.json({ fairnessPolicy: r.fairnessPolicy, ...(r.overrideRequest ? { overrideRequest: r.overrideRequest } : {}) });
  });
  return app;
}
