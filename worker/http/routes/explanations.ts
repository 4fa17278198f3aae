/**
 * @module http/routes/explanations
 * The reasons behind one decision (the stored flow version re-run on the stored
 * request), mounted under /api/v1/decision-traces.
 */
import { Hono } from "hono";
import { explainTrace } from "../../services/explanation.js";
import { requireRole } from "../auth.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppEnv } from "../types.js";

/** Route GET /:id/explanation. */
export function createExplanationRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/:id/explanation", requireRole(...ops.explainTrace.roles), async (c) => c.json(await explainTrace(c.get("tenant").store, c.req.param("id"))));
  return app;
}
