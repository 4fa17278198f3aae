/**
 * @module http/routes/alert-deliveries
 * The alert delivery log: every queued alert with its payload, attempts, last
 * HTTP status or error, and when it was delivered.
 */
import { Hono } from "hono";
import { z } from "zod";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import type { AppEnv } from "../types.js";

const listQuery = z.object({
  status: z.enum(["pending", "delivered", "failed", "skipped"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Route GET /api/v1/alert-deliveries. */
export function createAlertDeliveryRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole("admin", "approver", "auditor"), async (c) => {
    const q = parseWith(listQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.alerts.list(q) });
  });
  return app;
}
