/**
 * @module http/routes/decision-traces
 * NDJSON bulk loads of decisions made elsewhere (all or nothing), and on-demand
 * packing of past days into columnar segments.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../../domain/errors.js";
import { packTraces } from "../../services/pack.js";
import { bulkLoad } from "../../services/traces.js";
import { requireRole } from "../auth.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

const NDJSON = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\s*(;|$)/i;

/** Route POST /api/v1/decision-traces/bulk. */
export function createDecisionTraceRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.post(
    "/bulk",
    requireRole(...ops.bulkTraces.roles),
    bodyLimit({
      maxSize: deps.limits.bulkMaxBytes,
      onError: () => {
        throw new AppError(413, "payload_too_large", "Payload too large", `A bulk body may be at most ${deps.limits.bulkMaxBytes} bytes.`);
      },
    }),
    async (c) => {
      if (!NDJSON.test(c.req.header("content-type") ?? ""))
        throw new AppError(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/x-ndjson (one JSON object per line).");
      const r = await bulkLoad(deps, c.get("tenant"), await c.req.text(), { maxLines: deps.limits.bulkMaxLines, maxBytes: deps.limits.bulkMaxBytes });
      c.get("log").info("bulk traces loaded", { accepted: r.accepted });
      return c.json(r, 201);
    },
  );
  // On-demand packing into columnar segments (also run by the 15-minute sweep and the daily job).
  app.post("/pack", requireRole(...ops.packTraces.roles), async (c) => {
    const r = await packTraces(deps, c.get("tenant").store, { intraday: {} });
    c.get("log").info("traces packed", { segments: r.segments, traces: r.traces, compactedDays: r.compactedDays, conflicts: r.conflicts });
    return c.json(r);
  });
  return app;
}
