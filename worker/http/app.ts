/**
 * @module http/app
 * `createApp(deps)`: the whole HTTP surface as a Hono app. Runtime adapters build
 * the dependencies and serve it; nothing here knows which runtime it is on.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../domain/errors.js";
import { requireCsrfHeader, tenantAuth } from "./auth.js";
import { handleError, problem } from "./problem.js";
import { createConsoleRoutes } from "../console/app.js";
import { installAlertDelivery } from "../services/alerts.js";
import { createTokenBuckets, rateLimit } from "./rate-limit.js";
import { createAdminRoutes } from "./routes/admin.js";
import { createApiKeyRoutes } from "./routes/api-keys.js";
import { createAlertDeliveryRoutes } from "./routes/alert-deliveries.js";
import { createAuditLogRoutes } from "./routes/audit-log.js";
import { createEvidenceRoutes } from "./routes/evidence.js";
import { createEvidencePackRoutes } from "./routes/evidence-pack.js";
import { createCronRoutes } from "./routes/cron.js";
import { createDecisionFlowRoutes } from "./routes/decision-flows.js";
import { createDecisionTraceRoutes } from "./routes/decision-traces.js";
import { createDriftRoutes } from "./routes/drift.js";
import { createWhatIfRoutes } from "./routes/what-if.js";
import { createExplanationRoutes } from "./routes/explanations.js";
import { createEvaluationRoutes } from "./routes/fairness-evaluations.js";
import { createFairnessEvaluateRoutes } from "./routes/fairness-evaluate.js";
import { createOverrideRoutes } from "./routes/fairness-overrides.js";
import { createHealthRoutes } from "./routes/health.js";
import { createLl144Routes } from "./routes/ll144.js";
import { createMonitoringSummaryRoutes } from "./routes/monitoring-summary.js";
import { createProtectedAttributeRoutes } from "./routes/protected-attributes.js";
import { announceDeprecations } from "./openapi/deprecation.js";
import { operationList } from "./openapi/operations.js";
import { createOpenApiRoutes } from "./routes/openapi.js";
import { createOutcomeRoutes } from "./routes/outcomes.js";
import { createRecommendRoutes } from "./routes/recommend.js";
import { createRemediationRoutes } from "./routes/remediations.js";
import { createTenantSettingsRoutes } from "./routes/tenant-settings.js";
import type { AppDeps, AppEnv } from "./types.js";

export interface AppOptions {
  /** True once graceful shutdown has begun: readiness fails and new requests get 503. */
  isShuttingDown?: () => boolean;
  /**
   * "background" (default): commits that queue alerts kick the in-process delivery
   * loop. "off": no loop — for Workers, where nothing outlives the request and the
   * runtime drains after each request and on its schedule (services/alert-drain),
   * and for tests of those drains.
   */
  alertDelivery?: "background" | "off";
}

const PLATFORM_PATH = /^\/api\/v1\/(admin|cron)(\/|$)/;
const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Builds the gateway app. */
export function createApp(deps: AppDeps, opts: AppOptions = {}) {
  const isShuttingDown = opts.isShuttingDown ?? (() => false);
  const app = new Hono<AppEnv>();
  // Alerts queued by a commit are delivered in the background, never on the request's path.
  if ((opts.alertDelivery ?? "background") === "background") installAlertDelivery(deps.outbox);

  // Request id + one structured log line per request (never keys, tokens or attribute values).
  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("log", deps.logger.child({ requestId }));
    // Set before the handler runs, so every response (errors included) is built with it: setting a
    // header on a finished response makes Node's adapter rebuild it as a full Response and stream.
    c.header("x-request-id", requestId);
    const started = Date.now();
    await next();
    c.get("log").info("request", { method: c.req.method, path: c.req.path, status: c.res.status, durationMs: Date.now() - started });
  });

  // Deprecated operations (none today) announce it on every answer: Deprecation, Sunset, Link.
  app.use("*", announceDeprecations(operationList));
  app.route("/", createHealthRoutes(deps, isShuttingDown));
  app.route("/", createOpenApiRoutes(deps));

  app.use("/api/*", async (c, next) => {
    if (isShuttingDown()) return problem(c, 503, "shutting_down", "Service unavailable", "The server is shutting down; retry on another instance.");
    await next();
  });
  // JSON bodies are limited everywhere except the NDJSON bulk route and the evaluate route, which have their own limits.
  const jsonTooLarge = () => new AppError(413, "payload_too_large", "Payload too large", `JSON bodies may be at most ${deps.limits.jsonMaxBytes} bytes.`);
  const jsonLimit = bodyLimit({
    maxSize: deps.limits.jsonMaxBytes,
    onError: () => {
      throw jsonTooLarge();
    },
  });
  app.use("/api/*", async (c, next) => {
    if (c.req.path.endsWith("/decision-traces/bulk") || c.req.path === "/api/v1/fairness/evaluate") return next();
    // A declared length is checked from the header alone (Node's parser holds the body to it); the
    // middleware, which counts a body as it streams, is for bodies without one. Same 413 either way.
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return jsonLimit(c, next);
    if (Number.parseInt(length, 10) > deps.limits.jsonMaxBytes) throw jsonTooLarge();
    return next();
  });

  app.route("/api/v1/cron", createCronRoutes(deps));
  app.use("/api/v1/admin/*", requireCsrfHeader);
  app.route("/api/v1/admin", createAdminRoutes(deps));

  const tenantApi = new Hono<AppEnv>();
  const auth = tenantAuth(deps);
  // Mounted at /api/v1, so this middleware also sees the platform and cron paths; those have their own auth.
  tenantApi.use("*", async (c, next) => {
    if (PLATFORM_PATH.test(c.req.path)) return next();
    await auth(c, async () => {
      await requireCsrfHeader(c, next);
    });
  });
  // Per-key token buckets on the high-volume routes (after auth: buckets are keyed by key id).
  if (deps.limits.rateLimits) {
    const buckets = createTokenBuckets(deps.limits.rateLimits, () => deps.clock().getTime());
    const decisions = rateLimit(buckets, "decisions");
    tenantApi.use("/recommend", decisions);
    tenantApi.use("/outcomes", decisions);
    tenantApi.use("/decision-traces/bulk", rateLimit(buckets, "bulk"));
    // A what-if replays the window once per change: it takes from the same per-key bucket as a bulk load.
    tenantApi.use("/decision-flows/:id/what-if", rateLimit(buckets, "bulk"));
    // An evaluate request counts up to 100,000 samples or a whole window: the same bucket again.
    tenantApi.use("/fairness/evaluate", rateLimit(buckets, "bulk"));
  }
  tenantApi.route("/api-keys", createApiKeyRoutes(deps));
  tenantApi.route("/tenant-settings", createTenantSettingsRoutes(deps));
  tenantApi.route("/decision-flows", createDecisionFlowRoutes(deps));
  tenantApi.route("/decision-flows", createDriftRoutes(deps));
  tenantApi.route("/decision-flows", createWhatIfRoutes(deps));
  tenantApi.route("/recommend", createRecommendRoutes(deps));
  tenantApi.route("/outcomes", createOutcomeRoutes(deps));
  tenantApi.route("/decision-traces", createDecisionTraceRoutes(deps));
  tenantApi.route("/decision-traces", createExplanationRoutes());
  tenantApi.route("/fairness-overrides", createOverrideRoutes(deps));
  tenantApi.route("/fairness-evaluations", createLl144Routes());
  tenantApi.route("/fairness-evaluations", createEvaluationRoutes(deps));
  tenantApi.route("/fairness", createFairnessEvaluateRoutes(deps));
  tenantApi.route("/audit-log", createAuditLogRoutes(deps));
  tenantApi.route("/evidence-pack", createEvidencePackRoutes(deps));
  tenantApi.route("/monitoring-summary", createMonitoringSummaryRoutes(deps));
  tenantApi.route("/protected-attributes", createProtectedAttributeRoutes(deps));
  tenantApi.route("/evidence", createEvidenceRoutes(deps));
  tenantApi.route("/remediations", createRemediationRoutes(deps));
  tenantApi.route("/alert-deliveries", createAlertDeliveryRoutes());
  app.route("/api/v1", tenantApi);
  // The operator console: server-rendered pages over the same services and role checks.
  app.route("/console", createConsoleRoutes(deps));

  app.notFound((c) => problem(c, 404, "not_found", "Not found", "No such route."));
  app.onError(handleError);
  return app;
}
