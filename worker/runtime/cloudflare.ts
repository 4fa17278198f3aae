/**
 * @module runtime/cloudflare
 * Cloudflare Workers entry point (wrangler.toml `main`). `fetch` serves the same
 * Hono app as Node and Deno, then drains the alerts its request queued under
 * `ctx.waitUntil`; `scheduled` (cron trigger "0 3 * * *") runs the daily
 * fairness recheck and then drains every tenant's alert outbox. Tenant databases
 * and the control store are libSQL servers reached over HTTP (Turso or sqld);
 * see docs/deployment.md.
 */
import { PROBLEM_TYPE_BASE } from "../http/problem.js";
import { errorFields } from "../observability/logger.js";
import { workerBundle } from "./cloudflare-bundle.js";
import { createWorkerRuntime } from "./cloudflare-deps.js";

/**
 * Vars and secrets (see wrangler.toml): FAIRGATE_CONTROL_DB_URL,
 * FAIRGATE_CONTROL_DB_AUTH_TOKEN, FAIRGATE_ADMIN_TOKEN, FAIRGATE_CRON_SECRET,
 * FAIRGATE_REGIONS, FAIRGATE_DEFAULT_REGION, FAIRGATE_LOG_LEVEL, limits.
 */
export type Env = Record<string, unknown>;

const runtime = createWorkerRuntime(workerBundle);

/** A problem+json answer for an isolate that cannot start (bad config, control store down). */
function startupFailure(e: unknown): Response {
  // The message names a variable or the failing store, never a value: safe to log, not to return.
  console.error(JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "worker failed to start", ...errorFields(e) }));
  return Response.json(
    { type: PROBLEM_TYPE_BASE + "not-ready", title: "Service unavailable", status: 503, code: "not_ready", detail: "The gateway could not start; see the Worker logs." },
    { status: 503, headers: { "content-type": "application/problem+json" } },
  );
}

export default {
  async fetch(request, env, ctx) {
    let state;
    try {
      state = await runtime.state(env);
    } catch (e) {
      return startupFailure(e);
    }
    const res = await state.app.fetch(request, env, ctx);
    // Delivery never delays the response: it runs after it, bounded to fit waitUntil's time limit.
    const drain = runtime.afterResponse();
    if (drain) ctx.waitUntil(drain);
    return res;
  },

  async scheduled(controller, env, ctx) {
    // The recheck is keyed by the scheduled time's UTC day, so a retried or doubled trigger changes nothing.
    const scheduledTime = new Date(controller.scheduledTime);
    // The outbox drain follows the recheck inside the same waitUntil (services/scheduled).
    ctx.waitUntil(
      (async () => {
        const { logger } = await runtime.state(env);
        try {
          await runtime.scheduled(env, scheduledTime, controller.cron);
        } catch (e) {
          logger.error("fairness recheck failed", errorFields(e));
          // Rethrown so the cron invocation is reported as failed in the Workers dashboard.
          throw e;
        }
      })(),
    );
  },
} satisfies ExportedHandler<Env>;
