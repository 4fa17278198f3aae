/**
 * @module http/routes/cron
 * The secret-guarded HTTP trigger for the daily recheck. An unset secret turns
 * the route off (404) — never open.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AppError, NotFoundError } from "../../domain/errors.js";
import { errorFields } from "../../observability/logger.js";
import { runFairnessRecheck } from "../../services/recheck.js";
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
    const log = c.get("log");
    const report = await runFairnessRecheck(deps, q.scheduledTime ? new Date(q.scheduledTime) : deps.clock(), (tenantId, e) =>
      log.error("recheck failed for tenant", { tenantId, ...errorFields(e) }),
    );
    log.info("fairness recheck ran", { runKey: report.runKey, tenants: report.tenants.length, failedTenants: report.failedTenants, trigger: "http" });
    return c.json(report);
  });
  return app;
}
