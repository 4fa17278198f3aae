/**
 * @module http/routes/monitoring-summary
 * GET /api/v1/monitoring-summary?from=&to=[&format=html] (admin, approver,
 * auditor): the EU AI Act post-market monitoring summary of a period, as JSON or
 * as a self-contained HTML page.
 */
import { Hono } from "hono";
import { MONITORING_CSP, renderMonitoringHtml } from "../../report/monitoring-html.js";
import { monitoringSummary } from "../../services/monitoring.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { monitoringQuery as query } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

// The query schema and the roles come from the operation definition (http/openapi).

/** Routes under /api/v1/monitoring-summary. */
export function createMonitoringSummaryRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.getMonitoringSummary.roles), async (c) => {
    const q = parseWith(query, c.req.query());
    const summary = await monitoringSummary(deps, c.get("tenant").store, q);
    if (q.format === "html") return c.html(renderMonitoringHtml(summary), 200, { "content-security-policy": MONITORING_CSP, "x-content-type-options": "nosniff" });
    return c.json(summary);
  });
  return app;
}
