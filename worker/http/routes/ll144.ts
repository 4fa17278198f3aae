/**
 * @module http/routes/ll144
 * NYC Local Law 144 bias audit of a stored evaluation's window, as data
 * (`ll144.json`) and as a self-contained page (`ll144.html`), mounted under
 * /api/v1/fairness-evaluations. Query: `sex`, `race` (attribute names; default
 * the policy's `ll144`), `distributionDate`, `excludeSmall` (justification).
 */
import { Hono } from "hono";
import { z } from "zod";
import { LL144_CSP, renderLl144Html } from "../../report/ll144-html.js";
import { ll144AuditForEvaluation } from "../../services/ll144.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import type { AppEnv } from "../types.js";

const READERS = ["publisher", "admin", "approver", "auditor"] as const;
const query = z.strictObject({
  sex: z.string().max(64).optional(),
  race: z.string().max(64).optional(),
  distributionDate: z.string().max(64).optional(),
  excludeSmall: z.string().max(2000).optional(),
});

/** Routes `/:id/ll144.json` and `/:id/ll144.html`. */
export function createLl144Routes() {
  const app = new Hono<AppEnv>();
  app.get("/:id/ll144.json", requireRole(...READERS), async (c) => {
    const q = parseWith(query, c.req.query());
    return c.json(await ll144AuditForEvaluation(c.get("tenant").store, c.req.param("id"), q, new Date()));
  });
  app.get("/:id/ll144.html", requireRole(...READERS), async (c) => {
    const q = parseWith(query, c.req.query());
    const audit = await ll144AuditForEvaluation(c.get("tenant").store, c.req.param("id"), q, new Date());
    return c.html(renderLl144Html(audit), 200, { "content-security-policy": LL144_CSP, "x-content-type-options": "nosniff" });
  });
  return app;
}
