/**
 * @module http/routes/cron
 * The secret-guarded HTTP trigger for the scheduled work: the daily recheck,
 * then a drain of every tenant's alert outbox (so a deployment driven by an
 * external scheduler delivers alerts even without a background loop). An unset
 * secret turns the route off (404) — never open.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AppError, NotFoundError } from "../../domain/errors.js";
import { runScheduledWork } from "../../services/scheduled.js";
import { parseWith } from "../body.js";
import { secretsEqual } from "../crypto.js";
import type { AppDeps, AppEnv } from "../types.js";

const query = z.object({ scheduledTime: z.iso.datetime({ offset: true }).optional() });

/** Routes under /api/v1/cron. */
export function createCronRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/fairness-recheck", async (c) => {
    if (!deps.cronSecret) throw new NotFoundError("route");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!m || !(await secretsEqual(m[1]!, deps.cronSecret))) throw new AppError(401, "unauthorized", "Unauthorized", "A valid cron secret is required.");
    const q = parseWith(query, c.req.query());
    const report = await runScheduledWork(deps, q.scheduledTime ? new Date(q.scheduledTime) : deps.clock(), c.get("log"), { trigger: "http" });
    return c.json(report);
  });
  return app;
}
