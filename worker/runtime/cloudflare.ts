/**
 * @module runtime/cloudflare
 * Cloudflare Workers entry point (wrangler.toml `main`). `fetch` serves the same
 * Hono app as Node and Deno, then drains the alerts its request queued under
 * `ctx.waitUntil`; `scheduled` dispatches on the cron trigger that fired: the
 * one equal to FAIRGATE_EXPIRY_SWEEP_CRON (default "*\/15 * * * *") runs the
 * override-expiry sweep, any other (wrangler.toml: "0 3 * * *") the daily
 * fairness recheck; either then drains every tenant's alert outbox. With a
 * queue producer bound as RECHECK_QUEUE the daily trigger only enqueues one
 * message per tenant and `queue` rechecks them (retries, dead-letter queue:
 * wrangler.toml); the sweep then enqueues each tenant's intraday pack the same
 * way instead of packing every tenant itself. Tenant databases
 * and the control store are libSQL servers reached over HTTP (Turso or sqld);
 * see docs/deployment.md.
 */
import { PROBLEM_TYPE_BASE } from "../http/problem.js";
import { errorFields } from "../observability/logger.js";
import { workerBundle } from "./cloudflare-bundle.js";
import { createWorkerRuntime } from "./cloudflare-deps.js";
import { docsBundle } from "./cloudflare-docs-bundle.js";

/**
 * Vars and secrets (see wrangler.toml): FAIRGATE_CONTROL_DB_URL,
 * FAIRGATE_CONTROL_DB_AUTH_TOKEN, FAIRGATE_ADMIN_TOKEN, FAIRGATE_CRON_SECRET,
 * FAIRGATE_REGIONS, FAIRGATE_DEFAULT_REGION, FAIRGATE_LOG_LEVEL, limits.
 */
export type Env = Record<string, unknown>;

const runtime = createWorkerRuntime({ ...workerBundle, docsBundle });

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
    // Both jobs are idempotent by effect, so a retried or doubled trigger pauses and alerts nothing twice.
    const scheduledTime = new Date(controller.scheduledTime);
    // The outbox drain follows the job inside the same waitUntil (services/scheduled).
    ctx.waitUntil(
      (async () => {
        const { logger, config } = await runtime.state(env);
        const sweep = controller.cron === config.FAIRGATE_EXPIRY_SWEEP_CRON;
        try {
          if (sweep) await runtime.sweep(env, scheduledTime, controller.cron);
          else await runtime.scheduled(env, scheduledTime, controller.cron);
        } catch (e) {
          logger.error(sweep ? "override expiry sweep failed" : "fairness recheck failed", errorFields(e));
          // Rethrown so the cron invocation is reported as failed in the Workers dashboard.
          throw e;
        }
      })(),
    );
  },

  async queue(batch, env) {
    // A message left neither acked nor retried (the isolate could not start) is retried with the batch.
    await runtime.queue(env, batch.messages);
  },
} satisfies ExportedHandler<Env>;
