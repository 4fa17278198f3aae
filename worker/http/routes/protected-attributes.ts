/**
 * @module http/routes/protected-attributes
 * DELETE /api/v1/protected-attributes/{customerId} (admin): erases one person's
 * protected attributes (privacy mode). Audited under the pseudonymous customer key;
 * later evaluations no longer count the person, stored evaluations are unchanged.
 * There is no read route: no API returns protected attributes.
 */
import { Hono } from "hono";
import { ValidationError } from "../../domain/errors.js";
import { eraseProtectedAttributes } from "../../services/privacy.js";
import { actorOf, requireRole } from "../auth.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/protected-attributes. */
export function createProtectedAttributeRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.delete("/:customerId", requireRole("admin"), async (c) => {
    const customerId = c.req.param("customerId");
    if (customerId.length < 1 || customerId.length > 256) throw new ValidationError("customerId must be 1 to 256 characters");
    return c.json(await eraseProtectedAttributes(deps, c.get("tenant").store, actorOf(c), customerId));
  });
  return app;
}
