/**
 * @module http/routes/outcomes
 * Late outcomes for recorded decisions.
 */
import { Hono } from "hono";
import { recordOutcome } from "../../services/traces.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { outcomeSchema } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Route POST /api/v1/outcomes. */
export function createOutcomeRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole(...ops.recordOutcome.roles), async (c) => {
    const body = await jsonBody(c, outcomeSchema);
    return c.json(await recordOutcome(deps, c.get("tenant"), body.traceId, body.converted));
  });
  return app;
}
