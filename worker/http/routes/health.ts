/**
 * @module http/routes/health
 * Liveness (the process answers) and readiness (the control store is reachable).
 * Readiness is `degraded` while some tenant stores failed their latest
 * operation: the gateway still serves every other tenant, so it stays 200 (a
 * load balancer should not drain it), and the unauthenticated caller learns how
 * many stores are down, never which tenants.
 */
import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../types.js";
import { problem } from "../problem.js";

/** Routes /healthz and /readyz. */
export function createHealthRoutes(deps: AppDeps, isShuttingDown: () => boolean) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    if (isShuttingDown()) return problem(c, 503, "shutting_down", "Service unavailable", "The server is shutting down.");
    try {
      await deps.control.ping();
    } catch {
      return problem(c, 503, "store_unavailable", "Service unavailable", "The control store is not reachable.");
    }
    const unavailable = deps.tenants.unavailableCount();
    if (unavailable > 0) return c.json({ status: "degraded", unavailableTenantStores: unavailable });
    return c.json({ status: "ready", unavailableTenantStores: 0 });
  });
  return app;
}
