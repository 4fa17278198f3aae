/**
 * @module http/routes/recommend
 * Live decisions: runs the active flow version; the trace is durable before the response.
 */
import { Hono } from "hono";
import { recommend } from "../../services/traces.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { recommendSchema } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Route POST /api/v1/recommend. */
export function createRecommendRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole(...ops.recommend.roles), async (c) => {
    const body = await jsonBody(c, recommendSchema);
    return c.json(await recommend(deps, c.get("tenant"), body));
  });
  return app;
}
