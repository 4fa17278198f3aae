/**
 * @module http/routes/fairness-evaluate
 * POST /api/v1/fairness/evaluate: the gate's evaluation of inline samples or of a flow's
 * traces joined with a caller-supplied group lookup (services/fairness-evaluate). Its body
 * may be larger than other JSON bodies, so it carries its own limit (FAIRGATE_EVALUATE_MAX_BYTES,
 * default 16 MiB; app.ts leaves this path out of the general JSON limit).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { AppError } from "../../domain/errors.js";
import { assertSampleCount, evaluateRequestSchema } from "../../services/evaluate-request.js";
import { evaluateFairness } from "../../services/fairness-evaluate.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

/** The default body limit of an evaluate request: 100,000 samples fit with room to spare. */
export const DEFAULT_EVALUATE_MAX_BYTES = 16 * 1024 * 1024;

/** Route POST /evaluate, mounted under /api/v1/fairness. */
export function createFairnessEvaluateRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const maxBytes = deps.limits.evaluateMaxBytes ?? DEFAULT_EVALUATE_MAX_BYTES;
  app.post(
    "/evaluate",
    requireRole(...ops.evaluateFairness.roles),
    bodyLimit({
      maxSize: maxBytes,
      onError: () => {
        throw new AppError(413, "payload_too_large", "Payload too large", `An evaluate body may be at most ${maxBytes} bytes.`);
      },
    }),
    async (c) => {
      // Read as JSON first: the sample count decides 413 before every sample is validated.
      const raw = await jsonBody(c, z.unknown());
      assertSampleCount(raw);
      const req = parseWith(evaluateRequestSchema, raw);
      const r = await evaluateFairness(deps, c.get("tenant").store, actorOf(c), req);
      c.get("log").info("fairness evaluated", { mode: req.mode, verdict: r.evaluation.verdict, rows: r.evaluation.input?.rows ?? 0 });
      return c.json(r, 201);
    },
  );
  return app;
}
