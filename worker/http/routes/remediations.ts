/**
 * @module http/routes/remediations
 * Remediation records (opened automatically on a block or auto-pause).
 * Publishers and admins manage them; approvers and auditors read them.
 */
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { remediationPatchSchema, updateRemediation } from "../../services/remediation.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const READERS = ["publisher", "admin", "approver", "auditor"] as const;
const listQuery = z.object({
  flowId: z.string().max(64).optional(),
  status: z.enum(["open", "in_progress", "resolved", "waived"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** Routes under /api/v1/remediations. */
export function createRemediationRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...READERS), async (c) => {
    const q = parseWith(listQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.remediations.list(q) });
  });
  app.get("/:id", requireRole(...READERS), async (c) => {
    const r = await c.get("tenant").store.remediations.get(c.req.param("id"));
    if (!r) throw new NotFoundError("remediation");
    return c.json(r);
  });
  app.patch("/:id", requireRole("publisher", "admin"), async (c) => {
    const body = await jsonBody(c, remediationPatchSchema);
    return c.json(await updateRemediation(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body));
  });
  return app;
}
