/**
 * @module http/routes/recommend
 * Live decisions: runs the active flow version; the trace is durable before the response.
 */
import { Hono } from "hono";
import { z } from "zod";
import { attributesSchema } from "../../domain/flow.js";
import { recommend } from "../../services/traces.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const schema = z.strictObject({
  customerId: z.string().min(1).max(256),
  decisionFlowKey: z.string().min(1).max(128),
  attributes: attributesSchema,
});

/** Route POST /api/v1/recommend. */
export function createRecommendRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole("operator"), async (c) => {
    const body = await jsonBody(c, schema);
    return c.json(await recommend(deps, c.get("tenant"), body));
  });
  return app;
}
