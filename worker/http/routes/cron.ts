/**
 * @module http/routes/cron
 * The secret-guarded HTTP trigger for the scheduled work, for deployments driven
 * by an external scheduler: `?job=fairness-recheck` (default) runs the daily
 * recheck, `?job=expiry-sweep` the override-expiry sweep; either is followed by
 * a drain of every tenant's alert outbox (so alerts go out even without a
 * background loop). They run as the runtime's own triggers run them
 * (services/scheduled-jobs): on a Worker with the recheck queue bound, fanned out
 * over the queue. An unset secret turns the route off (404) — never open.
 */
import { Hono } from "hono";
import { AppError, NotFoundError } from "../../domain/errors.js";
import { createInlineJobs } from "../../services/scheduled-jobs.js";
import { parseWith } from "../body.js";
import { secretsEqual } from "../crypto.js";
import { cronQuery } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/cron. */
export function createCronRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/fairness-recheck", async (c) => {
    if (!deps.cronSecret) throw new NotFoundError("route");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!m || !(await secretsEqual(m[1]!, deps.cronSecret))) throw new AppError(401, "unauthorized", "Unauthorized", "A valid cron secret is required.");
    const q = parseWith(cronQuery, c.req.query());
    // The runtime's own way (on a Worker with the queue bound: fanned out, as its cron triggers do).
    const jobs = deps.scheduledJobs ?? createInlineJobs(deps);
    const at = q.scheduledTime ? new Date(q.scheduledTime) : deps.clock();
    if (q.job === "expiry-sweep") return c.json(await jobs.sweep(at, c.get("log"), { trigger: "http" }));
    return c.json(await jobs.recheck(at, c.get("log"), { trigger: "http" }));
  });
  return app;
}
