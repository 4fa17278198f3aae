/**
 * @module http/routes/evidence-pack
 * GET /api/v1/evidence-pack?from=&to= (auditor, admin): the offline-verifiable
 * evidence pack of a range as a ZIP (services/evidence-pack; checked with
 * `fairgate verify PACK.zip`). Generating one is itself audited.
 */
import { Hono } from "hono";
import { buildEvidencePack } from "../../services/evidence-pack.js";
import { actorOf, requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { rangeQuery } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

// The range query and the roles come from the operation definition (http/openapi).

/** Routes under /api/v1/evidence-pack. */
export function createEvidencePackRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.getEvidencePack.roles), async (c) => {
    const q = parseWith(rangeQuery, c.req.query());
    const { tenant, store } = c.get("tenant");
    const pack = await buildEvidencePack(deps, store, { id: tenant.id, name: tenant.name }, actorOf(c), q);
    return c.body(pack.zip as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/zip",
      "content-disposition": `attachment; filename="fairgate-evidence-${pack.packId}.zip"`,
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
