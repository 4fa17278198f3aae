/**
 * @module http/routes/fairness-evaluations
 * Stored gate evaluations (every publish and recheck evaluation).
 */
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import type { AppEnv } from "../types.js";

const READERS = ["publisher", "admin", "approver", "auditor"] as const;
const listQuery = z.object({ flowId: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) });

/** Routes under /api/v1/fairness-evaluations. */
export function createEvaluationRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...READERS), async (c) => {
    const q = parseWith(listQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.evidence.listEvaluations(q) });
  });
  app.get("/:id", requireRole(...READERS), async (c) => {
    const e = await c.get("tenant").store.evidence.getEvaluation(c.req.param("id"));
    if (!e) throw new NotFoundError("fairness evaluation");
    return c.json(e);
  });
  return app;
}
