/**
 * @module http/routes/alert-deliveries
 * The alert delivery log: every queued alert with its payload, attempts, last
 * HTTP status or error, and when it was delivered.
 */
import { Hono } from "hono";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { alertDeliveryQuery } from "../openapi/request-schemas.js";
import type { AppEnv } from "../types.js";

/** Route GET /api/v1/alert-deliveries. */
export function createAlertDeliveryRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.listAlertDeliveries.roles), async (c) => {
    const q = parseWith(alertDeliveryQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.alerts.list(q) });
  });
  return app;
}
