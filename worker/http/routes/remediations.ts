/**
 * @module http/routes/remediations
 * Remediation records (opened automatically on a block or auto-pause).
 * Publishers and admins manage them; approvers and auditors read them.
 */
import { Hono } from "hono";
import { NotFoundError } from "../../domain/errors.js";
import { remediationPatchSchema, updateRemediation } from "../../services/remediation.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { remediationListQuery } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";


/** Routes under /api/v1/remediations. */
export function createRemediationRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.listRemediations.roles), async (c) => {
    const q = parseWith(remediationListQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.remediations.list(q) });
  });
  app.get("/:id", requireRole(...ops.getRemediation.roles), async (c) => {
    const r = await c.get("tenant").store.remediations.get(c.req.param("id"));
    if (!r) throw new NotFoundError("remediation");
    return c.json(r);
  });
  app.patch("/:id", requireRole(...ops.updateRemediation.roles), async (c) => {
    const body = await jsonBody(c, remediationPatchSchema);
    return c.json(await updateRemediation(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body));
  });
  return app;
}
