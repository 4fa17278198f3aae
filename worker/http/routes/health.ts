/**
 * @module http/routes/health
 * Liveness (the process answers) and readiness (the control store is reachable).
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
    return c.json({ status: "ready" });
  });
  return app;
}
