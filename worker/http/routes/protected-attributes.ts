/**
 * @module http/routes/protected-attributes
 * DELETE /api/v1/protected-attributes/{customerId} (admin): erases one person's
 * protected attributes (privacy mode). Audited under the pseudonymous customer key;
 * later evaluations no longer count the person, stored evaluations are unchanged.
 * There is no read route: no API returns protected attributes.
 */
import { Hono } from "hono";
import { eraseProtectedAttributes } from "../../services/privacy.js";
import { actorOf, requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { customerIdParam } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/protected-attributes. */
export function createProtectedAttributeRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.delete("/:customerId", requireRole(...ops.eraseProtectedAttributes.roles), async (c) => {
    const { customerId } = parseWith(customerIdParam, { customerId: c.req.param("customerId") });
    return c.json(await eraseProtectedAttributes(deps, c.get("tenant").store, actorOf(c), customerId));
  });
  return app;
}
