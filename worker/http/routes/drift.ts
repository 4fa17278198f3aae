/**
 * @module http/routes/drift
 * Feature drift of a flow's recorded requests between two windows (PSI and
 * two-sample KS per attribute), mounted under /api/v1/decision-flows. Read-only.
 */
import { Hono } from "hono";
import { driftOfFlow, driftRequestSchema } from "../../services/drift.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Route POST /:id/drift. */
export function createDriftRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/:id/drift", requireRole(...ops.flowDrift.roles), async (c) => {
    const body = await jsonBody(c, driftRequestSchema);
    return c.json(await driftOfFlow(c.get("tenant").store, c.req.param("id"), body, deps.clock()));
  });
  return app;
}
