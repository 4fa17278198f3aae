/**
 * @module http/routes/tenant-settings
 * The tenant's fairness policy, and its alert webhook (`alerts`: set with an
 * object, removed with null, unchanged when absent; the secret is never returned).
 * A PUT commits the policy, the webhook, their audit rows and any inline override
 * request in one atomic batch.
 */
import { Hono } from "hono";
import { effectivePlaybooks } from "../../domain/failure-class.js";
import { alertSettingsStmts, publicAlertSettings } from "../../services/alerts.js";
import { putSettings } from "../../services/governance.js";
import { playbookSettingsStmts } from "../../services/remediation.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { settingsBody } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/tenant-settings. */
export function createTenantSettingsRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.getTenantSettings.roles), async (c) => {
    const store = c.get("tenant").store;
    const policy = await store.governance.getPolicy();
    return c.json({ fairnessPolicy: policy, alerts: publicAlertSettings(await store.alerts.getSettings()), remediationPlaybooks: effectivePlaybooks(await store.governance.getPlaybooks()) });
  });
  app.put("/", requireRole(...ops.putTenantSettings.roles), async (c) => {
    const body = await jsonBody(c, settingsBody);
    const store = c.get("tenant").store;
    const actor = actorOf(c);
    const alerts = body.alerts !== undefined ? alertSettingsStmts(deps, store, actor, body.alerts) : [];
    const playbooks = body.remediationPlaybooks !== undefined ? playbookSettingsStmts(deps, store, actor, body.remediationPlaybooks, await store.governance.getPlaybooks()) : [];
    const r = await putSettings(deps, store, actor, body.fairnessPolicy, [...alerts, ...playbooks]);
    return c.json({
      fairnessPolicy: r.fairnessPolicy,
      ...(r.overrideRequest ? { overrideRequest: r.overrideRequest } : {}),
      ...(body.alerts !== undefined ? { alerts: publicAlertSettings(body.alerts) } : {}),
      ...(body.remediationPlaybooks !== undefined ? { remediationPlaybooks: effectivePlaybooks(body.remediationPlaybooks) } : {}),
    });
  });
  return app;
}
