/**
 * @module http/routes/monitoring-summary
 * GET /api/v1/monitoring-summary?from=&to=[&format=html] (admin, approver,
 * auditor): the EU AI Act post-market monitoring summary of a period, as JSON or
 * as a self-contained HTML page.
 */
import { Hono } from "hono";
import { z } from "zod";
import { MONITORING_CSP, renderMonitoringHtml } from "../../report/monitoring-html.js";
import { monitoringSummary } from "../../services/monitoring.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s));
const query = z.strictObject({ from: instant, to: instant, format: z.enum(["json", "html"]).default("json") });

/** Routes under /api/v1/monitoring-summary. */
export function createMonitoringSummaryRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole("admin", "approver", "auditor"), async (c) => {
    const q = parseWith(query, c.req.query());
    const summary = await monitoringSummary(deps, c.get("tenant").store, q);
    if (q.format === "html") return c.html(renderMonitoringHtml(summary), 200, { "content-security-policy": MONITORING_CSP, "x-content-type-options": "nosniff" });
    return c.json(summary);
  });
  return app;
}
