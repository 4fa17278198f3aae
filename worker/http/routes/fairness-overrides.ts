/**
 * @module http/routes/fairness-overrides
 * The four-eyes override workflow.
 */
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { approveOverride, requestOverride, revokeOverride } from "../../services/governance.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const requestSchema = z.strictObject({
  reason: z.string().trim().min(10, "give a documented reason (at least 10 characters)").max(2000),
  expiresAt: z.iso.datetime({ offset: true }),
  flowId: z.string().min(1).max(64).optional(),
});
const revokeSchema = z.strictObject({ reason: z.string().trim().max(2000).optional() });
const approveSchema = z.strictObject({});
const listQuery = z.object({ status: z.enum(["pending", "active", "revoked"]).optional(), flowId: z.string().max(64).optional() });

/** Routes under /api/v1/fairness-overrides. */
export function createOverrideRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post("/", requireRole("admin"), async (c) => {
    const body = await jsonBody(c, requestSchema);
    return c.json(await requestOverride(deps, c.get("tenant").store, actorOf(c), body), 201);
  });
  app.get("/", requireRole("admin", "approver", "auditor", "publisher"), async (c) => {
    const q = parseWith(listQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.governance.listOverrides(q) });
  });
  app.get("/:id", requireRole("admin", "approver", "auditor", "publisher"), async (c) => {
    const o = await c.get("tenant").store.governance.getOverride(c.req.param("id"));
    if (!o) throw new NotFoundError("fairness override");
    return c.json(o);
  });
  app.post("/:id/approve", requireRole("approver"), async (c) => {
    // The body is ignored beyond being empty: approvedBy always comes from the key.
    await jsonBody(c, approveSchema, { optional: true });
    return c.json(await approveOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id")));
  });
  app.post("/:id/revoke", requireRole("admin"), async (c) => {
    const body = await jsonBody(c, revokeSchema, { optional: true });
    return c.json(await revokeOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.reason ?? null));
  });
  return app;
}
