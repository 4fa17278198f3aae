/**
 * @module http/routes/ll144
 * NYC Local Law 144 bias audit of a stored evaluation's window, as data
 * (`ll144.json`) and as a self-contained page (`ll144.html`), mounted under
 * /api/v1/fairness-evaluations. Query: `sex`, `race` (attribute names; default
 * the policy's `ll144`), `distributionDate`, `excludeSmall` (justification).
 */
import { Hono } from "hono";
import { LL144_CSP, renderLl144Html } from "../../report/ll144-html.js";
import { ll144AuditForEvaluation } from "../../services/ll144.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { ll144Query as query } from "../openapi/request-schemas.js";
import type { AppEnv } from "../types.js";

// Query schema and roles come from the operation definitions (http/openapi).

/** Routes `/:id/ll144.json` and `/:id/ll144.html`. */
export function createLl144Routes() {
  const app = new Hono<AppEnv>();
  app.get("/:id/ll144.json", requireRole(...ops.getLl144AuditJson.roles), async (c) => {
    const q = parseWith(query, c.req.query());
    return c.json(await ll144AuditForEvaluation(c.get("tenant").store, c.req.param("id"), q, new Date()));
  });
  app.get("/:id/ll144.html", requireRole(...ops.getLl144AuditHtml.roles), async (c) => {
    const q = parseWith(query, c.req.query());
    const audit = await ll144AuditForEvaluation(c.get("tenant").store, c.req.param("id"), q, new Date());
    return c.html(renderLl144Html(audit), 200, { "content-security-policy": LL144_CSP, "x-content-type-options": "nosniff" });
  });
  return app;
}
