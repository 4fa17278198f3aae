/**
 * @module http/routes/decision-flows
 * Decision flows: create, list, read, edit (new draft version), the gated publish,
 * archive and unarchive. The default list leaves archived flows out.
 */
import { Hono } from "hono";
import { NotFoundError } from "../../domain/errors.js";
import { archiveFlow, createFlow, editFlow, flowView, unarchiveFlow } from "../../services/flows.js";
import { publishFlow } from "../../services/publish.js";
import { actorOf, requireRole } from "../auth.js";
import { jsonBody, parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { createFlowSchema, editFlowSchema, emptyBodySchema, flowListQuery, publishFlowSchema } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/decision-flows. */
export function createDecisionFlowRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.post("/publish", requireRole(...ops.publishFlow.roles), async (c) => {
    const { id } = await jsonBody(c, publishFlowSchema);
    const r = await publishFlow(deps, c.get("tenant").store, actorOf(c), id);
    c.get("log").info("flow published", { flowId: id, version: r.version, verdict: r.evaluation.verdict, evaluationId: r.evaluation.id });
    return c.json(r);
  });

  app.post("/", requireRole(...ops.createFlow.roles), async (c) => {
    const body = await jsonBody(c, createFlowSchema);
    return c.json(await createFlow(deps, c.get("tenant").store, actorOf(c), body), 201);
  });

  app.get("/", requireRole(...ops.listFlows.roles), async (c) => {
    const q = parseWith(flowListQuery, c.req.query());
    const flows = await c.get("tenant").store.flows.list(q.status);
    // Archived flows are shown only when asked for (?status=archived).
    return c.json({ items: flows.filter((f) => q.status !== undefined || f.status !== "archived").map((f) => flowView(f)) });
  });

  app.get("/:id", requireRole(...ops.getFlow.roles), async (c) => {
    const { store } = c.get("tenant");
    const flow = await store.flows.get(c.req.param("id"));
    if (!flow) throw new NotFoundError("decision flow");
    const def = await store.flows.getDefinition(flow.id, flow.latestVersion);
    return c.json(flowView(flow, def ?? undefined));
  });

  app.put("/:id", requireRole(...ops.editFlow.roles), async (c) => {
    const body = await jsonBody(c, editFlowSchema);
    return c.json(await editFlow(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.definition));
  });

  app.post("/:id/archive", requireRole(...ops.archiveFlow.roles), async (c) => {
    await jsonBody(c, emptyBodySchema, { optional: true });
    return c.json(await archiveFlow(deps, c.get("tenant").store, actorOf(c), c.req.param("id")));
  });

  app.post("/:id/unarchive", requireRole(...ops.unarchiveFlow.roles), async (c) => {
    await jsonBody(c, emptyBodySchema, { optional: true });
    return c.json(await unarchiveFlow(deps, c.get("tenant").store, actorOf(c), c.req.param("id")));
  });

  return app;
}
