/**
 * @module runtime/cloudflare-deps
 * Builds the gateway for a Worker isolate: config parsed once, libSQL over HTTP,
 * Wasm kernels from the bundled module, migrations from the bundled .sql texts,
 * the /docs renderer from the bundled text of Scalar's standalone bundle.
 * Kept free of Workers-only types so the main typecheck covers it; the entry
 * point (cloudflare.ts) only wires it to `fetch` and `scheduled`.
 *
 * The daily recheck: with a queue producer bound as RECHECK_QUEUE, `scheduled`
 * enqueues one message per tenant and `queue` (the consumer) rechecks one
 * tenant per message, acking or retrying each (services/recheck-queue);
 * without the binding, `scheduled` runs every tenant in its own invocation.
 * The sweep likewise: with the binding it runs the expiry sweep and enqueues
 * one intraday-pack message per tenant on the same queue, which `queue` packs
 * (services/pack-queue; services/queue-consumer tells the jobs apart); without
 * it, it packs every tenant in its own invocation. The secret-guarded HTTP cron
 * route runs both jobs the same way (services/scheduled-jobs), so an external
 * scheduler gets the queue's fan-out too.
 *
 * Alerts: an isolate has no life between requests, so the in-process delivery
 * loop is off. Commits that queue alerts are collected per isolate; the entry
 * point drains those tenants under `ctx.waitUntil` after the response
 * (`afterResponse`), and `scheduled()` drains every tenant after the recheck.
 */
import { createClient } from "@libsql/client/web";
import { createWasmKernels } from "../engine/kernels/wasm.js";
import { createApp } from "../http/app.js";
import type { AppDeps } from "../http/types.js";
import { createLogger, type Logger } from "../observability/logger.js";
import type { Client, Migration } from "../store/sql.js";
import type { GroupCommitWriter } from "../store/group-commit.js";
import type { TenantRegistry } from "../store/tenant-registry.js";
import type { TraceWrite } from "../store/tenant/traces.js";
import { createOutboxCollector, drainQueued } from "../services/alert-drain.js";
import { createOutboxSignal, type OutboxSignal } from "../store/tenant/outbox-signal.js";
import type { ScheduledSweepReport } from "../services/scheduled.js";
import { createInlineJobs, createQueuedJobs, type RecheckRun, type ScheduledJobs } from "../services/scheduled-jobs.js";
import type { RecheckProducer } from "../services/recheck-queue.js";
import type { PackProducer } from "../services/pack-queue.js";
import { consumeQueueMessage } from "../services/queue-consumer.js";
import { runPool } from "../services/recheck-pool.js";
import { buildDeps } from "./build-deps.js";
import { httpTransportUrl, parseWorkerEnv, type WorkerConfig } from "./cloudflare-config.js";

/** What the bundler provides: the compiled kernels module and the migration texts. */
export interface WorkerBundle {
  kernelsModule: WebAssembly.Module;
  migrations: { control: Migration[]; tenant: Migration[] };
}

/** The /docs renderer bundle's text (wrangler.toml rule `Text`; see cloudflare-docs-bundle.ts). */
export interface WorkerDocsBundle {
  docsBundle: string;
}

/** The wrangler.toml binding of the recheck queue's producer. */
export const RECHECK_QUEUE_BINDING = "RECHECK_QUEUE";

/** The parts of a delivered queue message the consumer uses (a Workers `Message` fits). */
export interface DeliveredMessage {
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The queue producer bound as RECHECK_QUEUE, or null when there is none (then the recheck and the sweep's packs run in-invocation). */
function recheckProducer(env: Record<string, unknown>): (RecheckProducer & PackProducer) | null {
  const q = env[RECHECK_QUEUE_BINDING] as Partial<RecheckProducer> | undefined;
  return q && typeof q.sendBatch === "function" ? (q as RecheckProducer & PackProducer) : null;
}

/** Everything one isolate needs to serve requests and run the cron. */
export interface WorkerState {
  config: WorkerConfig;
  /** With the scheduled jobs as every trigger of this isolate runs them (its cron, the HTTP route). */
  deps: AppDeps & { scheduledJobs: ScheduledJobs };
  app: ReturnType<typeof createApp>;
  logger: Logger;
}

function openHttpClient(url: string, authToken: string | undefined): Client {
  // intMode is explicit: every integer we store fits in a JS number.
  return createClient({ url: httpTransportUrl(url), authToken, intMode: "number" });
}

/**
 * Trace writes commit per request on Workers. The shared group-commit writer
 * would let one request's promise chain perform the fetch that commits another
 * request's trace; Workers cancels a request's pending I/O once its response is
 * sent, so a trace could be left waiting on a request that has already ended.
 */
function perRequestTraceWrites(tenants: TenantRegistry): TenantRegistry {
  return {
    ...tenants,
    async get(tenant) {
      const handle = await tenants.get(tenant);
      const traceWriter: GroupCommitWriter<TraceWrite> = {
        write: (item) => handle.store.traces.commit([item]),
        drain: async () => {},
      };
      return { ...handle, traceWriter };
    },
  };
}

async function buildState(env: Record<string, unknown>, bundle: WorkerBundle & WorkerDocsBundle, outbox: OutboxSignal): Promise<WorkerState> {
  const { config, regions } = parseWorkerEnv(env);
  const logger = createLogger({ level: config.FAIRGATE_LOG_LEVEL });
  const deps = await buildDeps({
    config,
    regions,
    controlClient: openHttpClient(config.FAIRGATE_CONTROL_DB_URL, config.FAIRGATE_CONTROL_DB_AUTH_TOKEN),
    openTenantClient: (t) => openHttpClient(t.dbUrl, regions[t.region]?.authToken),
    migrations: bundle.migrations,
    docsBundle: async () => bundle.docsBundle,
    kernels: await createWasmKernels(bundle.kernelsModule),
    logger,
    outbox,
  });
  const base: AppDeps = { ...deps, tenants: perRequestTraceWrites(deps.tenants) };
  // `env` is this state's key (createWorkerRuntime), so its queue binding is this state's too.
  const producer = recheckProducer(env);
  const wrapped = { ...base, scheduledJobs: producer ? createQueuedJobs(base, producer) : createInlineJobs(base) };
  logger.info("isolate ready", { regions: Object.keys(regions), kernels: wrapped.kernels.name });
  return { config, deps: wrapped, app: createApp(wrapped, { alertDelivery: "off" }), logger };
}

/**
 * A lazy, per-isolate cache of WorkerState keyed by the `env` object.
 *
 * Workers hands the same `env` object to every invocation in an isolate, so a
 * WeakMap keyed by it builds the state (migrations, token hash, Wasm instance)
 * once per isolate, and a different env (tests, a config change) gets its own.
 * A failed build is not cached: the next request tries again.
 */
export function createWorkerRuntime(bundle: WorkerBundle & WorkerDocsBundle) {
  const states = new WeakMap<object, Promise<WorkerState>>();
  // One per isolate (created by the entry module): every state built here signals into it.
  const signal = createOutboxSignal();
  const outbox = createOutboxCollector(signal);
  const state = (env: Record<string, unknown>): Promise<WorkerState> => {
    let p = states.get(env);
    if (!p) {
      p = buildState(env, bundle, signal);
      states.set(env, p);
      p.catch(() => states.delete(env));
    }
    return p;
  };
  return {
    state,
    /**
     * The bounded drain of the tenants whose alerts were queued since the last
     * call, for `ctx.waitUntil` after a response; null when nothing was queued.
     * Another request of the isolate may pick up this one's tenants: either way
     * one of them drains, and the scheduled run is the backstop.
     */
    afterResponse(): Promise<unknown> | null {
      const stores = outbox.take();
      return stores.length ? drainQueued(stores) : null;
    },
    /**
     * The daily trigger (for `scheduled()`): with the queue bound, one message per
     * tenant; without it, the recheck of every tenant here, then a drain of every outbox.
     */
    async scheduled(env: Record<string, unknown>, scheduledTime: Date, cron: string): Promise<RecheckRun> {
      const { deps, logger } = await state(env);
      return deps.scheduledJobs.recheck(scheduledTime, logger, { trigger: "schedule", cron });
    },
    /**
     * The recheck queue's consumer (for `queue()`): each message is one tenant's
     * daily work or intraday pack, FAIRGATE_RECHECK_CONCURRENCY at a time, acked
     * or retried with backoff on its own. Throws only when the isolate cannot start, and then the
     * platform retries the whole batch.
     */
    async queue(env: Record<string, unknown>, messages: readonly DeliveredMessage[]): Promise<void> {
      const { deps, logger, config } = await state(env);
      const opts = { retryBaseSeconds: config.FAIRGATE_RECHECK_RETRY_DELAY_SECONDS, budgetMs: config.FAIRGATE_RECHECK_TENANT_BUDGET_MS };
      // Each message is bounded by its own budget (and drain budget), so the pool needs none.
      await runPool(messages, { concurrency: config.FAIRGATE_RECHECK_CONCURRENCY, budgetMs: null }, async (m) => {
        const r = await consumeQueueMessage(deps, m.body, m.attempts, logger.child({ trigger: "queue" }), opts);
        if (r.action === "ack") m.ack();
        else m.retry({ delaySeconds: r.delaySeconds });
      });
    },
    /**
     * The override-expiry sweep, then every tenant's intraday pack — one queue message per
     * tenant when the queue is bound, else here — then a drain of every tenant's outbox (for
     * the sweep's cron trigger).
     */
    async sweep(env: Record<string, unknown>, scheduledTime: Date, cron: string): Promise<ScheduledSweepReport> {
      const { deps, logger } = await state(env);
      return deps.scheduledJobs.sweep(scheduledTime, logger, { trigger: "schedule", cron, scheduledTime: scheduledTime.toISOString() });
    },
  };
}
export type WorkerRuntime = ReturnType<typeof createWorkerRuntime>;
