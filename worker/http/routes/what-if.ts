/**
 * @module http/routes/what-if
 * What would pass, and at what cost: single changes to a flow version judged by the
 * gate on the current window, mounted under /api/v1/decision-flows. Read-only but for
 * an audit row; `?apply=true` turns one change into a new draft version.
 */
import { Hono } from "hono";
import { ForbiddenError } from "../../domain/errors.js";
import { whatIf, whatIfQuerySchema, whatIfRequestSchema } from "../../services/what-if.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Route POST /:id/what-if. */
export function createWhatIfRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/:id/what-if", requireRole(...ops.flowWhatIf.roles), async (c) => {
    const q = parseWith(whatIfQuerySchema, c.req.query());
    // Applying writes a new flow version: the role PUT /decision-flows/{id} needs (an admin may ask what would pass, not edit).
    if (q.apply === "true" && !c.get("principal").roles.includes("publisher"))
      throw new ForbiddenError("missing_role", "Applying a what-if change creates a new version of the flow, which requires the role: publisher.");
    const body = await jsonBody(c, whatIfRequestSchema, { optional: true });
    const r = await whatIf(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body, q.apply === "true");
    return c.json(r, r.applied ? 201 : 200);
  });
  return app;
}
