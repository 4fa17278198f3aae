/**
 * @module console/screens/evaluations
 * Screen 5, Evaluations: every stored publish and recheck evaluation, newest first, with
 * its verdict badge, filtered by flow and verdict and paged by a keyset cursor; each opens
 * the report renderer's own HTML page (report/html, under the API's report.html static-page
 * CSP, with framing, <base> and form targets also refused) and downloads the report or the evaluation as JSON, and the report as
 * a PDF where the app has a PDF renderer (deps.pdfRenderer; the link is not shown without
 * one, and the route answers the API's 501 pdf_unavailable). The same roles and the same
 * report service as the API's fairness-evaluations routes.
 */
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import type { AppDeps } from "../../http/types.js";
import { renderReportHtml } from "../../report/html.js";
import { printReport, reportPdfName } from "../../report/pdf.js";
import { evaluationsPage } from "../../services/console-evidence.js";
import { evaluationReport } from "../../services/report.js";
import { violationsList } from "../evidence.js";
import { badge, h, when } from "../html.js";
import { page } from "../layout.js";
import type { ConsoleApp } from "../types.js";

const VERDICTS = ["pass", "block", "bypass", "skip"] as const;
export const EVALUATIONS_PAGE_SIZE = 50;

/** The screen's query: an unknown verdict or a malformed cursor is a 400, as in the API. */
const evaluationsQuery = z.strictObject({
  flowId: z.string().max(64).optional().transform((v) => v || undefined),
  verdict: z.union([z.enum(VERDICTS), z.literal("")]).optional().transform((v) => v || undefined),
  beforeAt: z.iso.datetime().optional(),
  beforeId: z.string().min(1).max(64).optional(),
});

/** The API's download name: an id's characters outside a safe file-name set become "_". */

/**
 * The API's static-page policy plus what default-src does not cover: served by the console, the page sits on
 * the console's origin beside the session cookie, so it may not be framed (clickjacking), carry a <base> that
 * re-points its links, or submit a form anywhere.
 */
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function registerEvaluationsScreen(app: ConsoleApp, deps: AppDeps): void {
  const pdf = deps.pdfRenderer ?? null;
  app.get("/evaluations", requireRole(...ops.listEvaluations.roles), async (c) => {
    const q = parseWith(evaluationsQuery, c.req.query());
    const before = q.beforeAt && q.beforeId ? { createdAt: q.beforeAt, id: q.beforeId } : undefined;
    const r = await evaluationsPage(c.get("tenant").store, { flowId: q.flowId, verdict: q.verdict, before, limit: EVALUATIONS_PAGE_SIZE });
    const keep = new URLSearchParams({ ...(q.flowId ? { flowId: q.flowId } : {}), ...(q.verdict ? { verdict: q.verdict } : {}) });
    const nextHref = r.next ? `/console/evaluations?${new URLSearchParams({ ...Object.fromEntries(keep), beforeAt: r.next.createdAt, beforeId: r.next.id })}` : null;
    const firstHref = `/console/evaluations${keep.size ? `?${keep}` : ""}`;
    const body = h`<h1>Evaluations</h1>
<form method="get" action="/console/evaluations" class="row" role="search" aria-label="Filter evaluations">
<div><label for="flowId">Flow</label><select id="flowId" name="flowId" data-autosubmit><option value="">all flows</option>${r.flows.map((f) => h`<option value="${f.id}"${q.flowId === f.id ? h` selected` : ""}>${f.key}</option>`)}</select></div>
<div><label for="verdict">Verdict</label><select id="verdict" name="verdict" data-autosubmit><option value="">all verdicts</option>${VERDICTS.map((v) => h`<option value="${v}"${q.verdict === v ? h` selected` : ""}>${v}</option>`)}</select></div>
<div><button type="submit" class="secondary">Filter</button></div></form>
${
  r.rows.length === 0
    ? h`<p>No evaluations${q.flowId || q.verdict ? " match the filter" : " yet"}.</p>`
    : h`<table id="evaluations"><caption class="meta">${before ? "Older evaluations" : "Newest evaluations"}, newest first (${r.rows.length} on this page)</caption><thead><tr><th scope="col">When</th><th scope="col">Flow</th><th scope="col">Version</th><th scope="col">Trigger</th><th scope="col">Verdict</th><th scope="col">Samples</th><th scope="col">Violations</th><th scope="col">Report</th></tr></thead><tbody>${r.rows.map(
        (e) => h`<tr data-evaluation="${e.id}"><td>${when(e.createdAt)}</td><td>${e.flowId ? h`<a href="/console/flows/${e.flowId}">${e.flowKey ?? e.flowId}</a>` : "–"}</td><td class="num">${e.version ?? "–"}</td><td>${e.trigger}</td><td>${badge(e.verdict)}${e.approvedBy ? h` <span class="meta">approved by ${e.approvedBy}</span>` : ""}</td><td class="num">${e.sampleSize ?? "–"}</td><td>${e.violations.length ? violationsList(e.violations) : "–"}</td><td><a href="/console/evaluations/${e.id}/report.html">HTML report<span class="vh"> of ${e.id}</span></a><br><a href="/console/evaluations/${e.id}/report.json" download="fairgate-report-${e.id}.json">Report JSON<span class="vh"> of ${e.id}</span></a>${pdf ? h` · <a href="/console/evaluations/${e.id}/report.pdf" download="${reportPdfName(e.id)}">PDF<span class="vh"> report of ${e.id}</span></a>` : ""} · <a href="/console/evaluations/${e.id}.json" download="fairgate-evaluation-${e.id}.json">Evaluation JSON<span class="vh"> of ${e.id}</span></a></td></tr>`,
      )}</tbody></table>`
}
<nav aria-label="Evaluation pages" class="row">${before ? h`<a href="${firstHref}">Newest</a>` : ""}${nextHref ? h`<a href="${nextHref}" rel="next">Older evaluations</a>` : h`<span class="meta">End of the list.</span>`}</nav>`;
    return page(c, { title: "Evaluations", nav: "evaluations", body });
  });

  // The report renderer's own page: static, no script may run and nothing may be fetched (the API's CSP).
  app.get("/evaluations/:id/report.html", requireRole(...ops.getEvaluationReportHtml.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const report = await evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date());
    return c.html(renderReportHtml(report), 200, { "content-security-policy": REPORT_CSP, "x-content-type-options": "nosniff", "cache-control": "no-store", "referrer-policy": "same-origin" });
  });

  app.get("/evaluations/:id/report.json", requireRole(...ops.getEvaluationReportJson.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const report = await evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date());
    return c.json(report, 200, { "content-disposition": `attachment; filename="fairgate-report-${report.evaluation.id}.json"`, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  });

  // The same page printed by the app's renderer (what the API's report.pdf answers); a link only where there is one.
  app.get("/evaluations/:id/report.pdf", requireRole(...ops.getEvaluationReportPdf.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const { pdf: body, fileName } = await printReport(pdf, () => evaluationReport(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), new Date()));
    return c.body(body as Uint8Array<ArrayBuffer>, 200, { "content-type": "application/pdf", "content-disposition": `attachment; filename="${fileName}"`, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  });

  app.get("/evaluations/:file{[^/]+\\.json}", requireRole(...ops.getEvaluation.roles), async (c) => {
    const id = c.req.param("file").slice(0, -".json".length);
    const e = await c.get("tenant").store.evidence.getEvaluation(id);
    if (!e) throw new NotFoundError("fairness evaluation");
    return c.json(e, 200, { "content-disposition": `attachment; filename="fairgate-evaluation-${e.id}.json"`, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  });
}
