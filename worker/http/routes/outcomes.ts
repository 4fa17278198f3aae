/**
 * @module http/routes/outcomes
 * Late outcomes for recorded decisions.
 */
import { Hono } from "hono";
import { z } from "zod";
import { recordOutcome } from "../../services/traces.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const schema = z.strictObject({ traceId: z.string().min(1).max(64), converted: z.boolean() });

/** Route POST /api/v1/outcomes. */
export function createOutcomeRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole("operator"), async (c) => {
    const body = await jsonBody(c, schema);
    return c.json(await recordOutcome(deps, c.get("tenant"), body.traceId, body.converted));
  });
  return app;
}
