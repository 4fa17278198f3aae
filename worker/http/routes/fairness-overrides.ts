/**
 * @module http/routes/fairness-overrides
 * The override workflow: request, the approval stages (approve or reject the
 * stage that is up), revoke. The stage's role is checked by the service (it
 * depends on the request's stages); the route admits every role a stage may name.
 */
import { Hono } from "hono";
import { NotFoundError } from "../../domain/errors.js";
import { approveOverride, rejectOverride, requestOverride, revokeOverride } from "../../services/governance.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { overrideApproveSchema, overrideListQuery, overrideRejectSchema, overrideRequestSchema, overrideRevokeSchema } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/fairness-overrides. */
export function createOverrideRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole(...ops.requestOverride.roles), async (c) => {
    const body = await jsonBody(c, overrideRequestSchema);
    return c.json(await requestOverride(deps, c.get("tenant").store, actorOf(c), body), 201);
  });
  app.get("/", requireRole(...ops.listOverrides.roles), async (c) => {
    const q = parseWith(overrideListQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.governance.listOverrides(q) });
  });
  app.get("/:id", requireRole(...ops.getOverride.roles), async (c) => {
    const o = await c.get("tenant").store.governance.getOverride(c.req.param("id"));
    if (!o) throw new NotFoundError("fairness override");
    return c.json(o);
  });
  app.post("/:id/approve", requireRole(...ops.approveOverride.roles), async (c) => {
    // The body is ignored beyond being empty: approvedBy always comes from the key.
    await jsonBody(c, overrideApproveSchema, { optional: true });
    return c.json(await approveOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), c.get("principal").roles));
  });
  app.post("/:id/reject", requireRole(...ops.rejectOverride.roles), async (c) => {
    const body = await jsonBody(c, overrideRejectSchema);
    return c.json(await rejectOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.reason, c.get("principal").roles));
  });
  app.post("/:id/revoke", requireRole(...ops.revokeOverride.roles), async (c) => {
    const body = await jsonBody(c, overrideRevokeSchema, { optional: true });
    return c.json(await revokeOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.reason ?? null));
  });
  return app;
}
