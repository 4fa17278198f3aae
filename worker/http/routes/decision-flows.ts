/**
 * @module http/routes/decision-flows
 * Decision flows: create, list, read, edit (new draft version) and the gated publish.
 */
import { Hono } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { flowDefinitionSchema } from "../../domain/flow.js";
import { createFlow, editFlow, flowView } from "../../services/flows.js";
import { publishFlow } from "../../services/publish.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";

const READERS = ["operator", "publisher", "admin", "approver", "auditor"] as const;

const createSchema = z.strictObject({
  key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, '.', '_' or '-' (max 128)"),
  name: z.string().trim().min(1).max(200),
  definition: flowDefinitionSchema,
});
const editSchema = z.strictObject({ definition: flowDefinitionSchema });
const publishSchema = z.strictObject({ id: z.string().min(1).max(64) });
const listQuery = z.object({ status: z.enum(["draft", "active", "paused"]).optional() });

/** Routes under /api/v1/decision-flows. */
export function createDecisionFlowRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.post("/publish", requireRole("publisher"), async (c) => {
    const { id } = await jsonBody(c, publishSchema);
    const r = await publishFlow(deps, c.get("tenant").store, actorOf(c), id);
    c.get("log").info("flow published", { flowId: id, version: r.version, verdict: r.evaluation.verdict, evaluationId: r.evaluation.id });
    return c.json(r);
  });

  app.post("/", requireRole("publisher"), async (c) => {
    const body = await jsonBody(c, createSchema);
    return c.json(await createFlow(deps, c.get("tenant").store, actorOf(c), body), 201);
  });

  app.get("/", requireRole(...READERS), async (c) => {
    const q = parseWith(listQuery, c.req.query());
    const flows = await c.get("tenant").store.flows.list(q.status);
    return c.json({ items: flows.map((f) => flowView(f)) });
  });

  app.get("/:id", requireRole(...READERS), async (c) => {
    const { store } = c.get("tenant");
    const flow = await store.flows.get(c.req.param("id"));
    if (!flow) throw new NotFoundError("decision flow");
    const def = await store.flows.getDefinition(flow.id, flow.latestVersion);
    return c.json(flowView(flow, def ?? undefined));
  });

  app.put("/:id", requireRole("publisher"), async (c) => {
    const body = await jsonBody(c, editSchema);
    return c.json(await editFlow(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.definition));
  });

  return app;
}
