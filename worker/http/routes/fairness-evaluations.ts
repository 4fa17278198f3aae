/**
 * @module http/routes/fairness-evaluations
 * Stored gate evaluations (every publish and recheck evaluation) and their
 * audit reports (report.json, report.html, and report.pdf where the runtime
 * has a PDF renderer — the same HTML page printed by it).
 */
import { Hono } from "hono";
import { NotFoundError } from "../../domain/errors.js";
import { renderReportHtml } from "../../report/html.js";
import { printReport } from "../../report/pdf.js";
import { evaluationReport } from "../../services/report.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { evaluationListQuery } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";


/** Routes under /api/v1/fairness-evaluations. */
export function createEvaluationRoutes(deps: Pick<AppDeps, "pdfRenderer">) {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole(...ops.listEvaluations.roles), async (c) => {
    const q = parseWith(evaluationListQuery, c.req.query());
    return c.json({ items: await c.get("tenant").store.evidence.listEvaluations(q) });
  });
  // The audit report of one evaluation, as data and as a self-contained HTML page.
  app.get("/:id/report.json", requireRole(...ops.getEvaluationReportJson.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    return c.json(await evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date()));
  });
  app.get("/:id/report.html", requireRole(...ops.getEvaluationReportHtml.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const report = await evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date());
    // The page is static: no scripts may run and nothing may be fetched, even if escaping ever failed.
    return c.html(renderReportHtml(report), 200, {
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      "x-content-type-options": "nosniff",
    });
  });
  // The same page as report.html, printed: what people attach to a ticket or a regulator's file.
  app.get("/:id/report.pdf", requireRole(...ops.getEvaluationReportPdf.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const { pdf, fileName } = await printReport(deps.pdfRenderer, () => evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date()));
    return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/pdf",
      "content-disposition": `attachment; filename="${fileName}"`,
      "x-content-type-options": "nosniff",
    });
  });
  app.get("/:id", requireRole(...ops.getEvaluation.roles), async (c) => {
    const e = await c.get("tenant").store.evidence.getEvaluation(c.req.param("id"));
    if (!e) throw new NotFoundError("fairness evaluation");
    return c.json(e);
  });
  return app;
}
