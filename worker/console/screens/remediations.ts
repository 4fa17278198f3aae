/**
 * @module console/screens/remediations
 * Screen 7, Remediations: the records a block or auto-pause opened — owner, due date,
 * status, failure class — filtered by status and paged newest first by a (created_at, id)
 * keyset cursor, as the Evaluations screen is; each record's page shows what failed, the
 * playbook copied when it was opened, and, to a person whose role may update it (the API's
 * PATCH /remediations/{id} roles), a form that goes through the same service
 * (`updateRemediation`) and schema (`remediationPatchSchema`) as the API, so a forbidden
 * transition or missing evidence is refused the same way.
 */
import type { Context } from "hono";
import { z } from "zod";
import { NotFoundError } from "../../domain/errors.js";
import { ROOT_CAUSES, type RemediationRecord } from "../../domain/remediation-record.js";
import { actorOf, requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { remediationListQuery } from "../../http/openapi/request-schemas.js";
import type { AppDeps } from "../../http/types.js";
import { remediationsPage } from "../../services/console-evidence.js";
import { remediationPatchSchema, updateRemediation } from "../../services/remediation.js";
import { violationsList } from "../evidence.js";
import { type Html, badge, h, pct, when } from "../html.js";
import { csrfField, mayUse, page } from "../layout.js";
import { formOf } from "../session.js";
import type { ConsoleApp, ConsoleEnv } from "../types.js";

const STATUSES = ["open", "in_progress", "resolved", "waived"] as const;
export const REMEDIATIONS_PAGE_SIZE = 50;

/** The screen's query: the API's status filter plus the keyset cursor; anything else (or a malformed cursor) is a 400. */
const remediationsQuery = remediationListQuery.pick({ status: true }).extend({
  beforeAt: z.iso.datetime().optional(),
  beforeId: z.string().min(1).max(64).optional(),
}).strict();

const closed = (r: RemediationRecord) => r.status === "resolved" || r.status === "waived";
/** datetime-local has no zone: the console's times are UTC, and the label says so. */
const localValue = (iso: string | null) => (iso ? new Date(iso).toISOString().slice(0, 16) : "");
const opt = (v: string, label: string, current: string | null) => h`<option value="${v}"${v === (current ?? "") ? h` selected` : ""}>${label}</option>`;

/** The form's fields as the API's PATCH body: an emptied field clears it, an evidence id only when given. */
export function parseRemediationForm(form: Record<string, string>) {
  const t = (k: string) => (form[k] ?? "").trim();
  const due = t("dueAt");
  const dueAt = /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(due) ? `${due}:00Z` : due;
  return parseWith(remediationPatchSchema, {
    ...(t("status") ? { status: t("status") } : {}),
    owner: t("owner") || null,
    dueAt: dueAt || null,
    rootCause: t("rootCause") || null,
    notes: (form.notes ?? "").trim() ? form.notes : null,
    ...(t("resolvingEvaluationId") ? { resolvingEvaluationId: t("resolvingEvaluationId") } : {}),
    ...(t("overrideId") ? { overrideId: t("overrideId") } : {}),
  });
}

function editForm(c: Context<ConsoleEnv>, r: RemediationRecord): Html {
  return h`<form method="post" action="/console/remediations/${r.id}" class="remediation-edit" aria-labelledby="edit-title">
<h2 id="edit-title">Update</h2>${csrfField(c)}
<div class="row">
<div><label for="owner">Owner</label><input type="text" id="owner" name="owner" maxlength="200" value="${r.owner ?? ""}"></div>
<div><label for="dueAt">Due (UTC)</label><input type="datetime-local" id="dueAt" name="dueAt" value="${localValue(r.dueAt)}"></div>
<div><label for="status">Status</label><select id="status" name="status">${STATUSES.map((s) => opt(s, s, r.status))}</select></div>
<div><label for="rootCause">Root cause</label><select id="rootCause" name="rootCause">${opt("", "not classified", r.rootCause)}${ROOT_CAUSES.map((s) => opt(s, s, r.rootCause))}</select></div>
</div>
<div class="row">
<div><label for="resolvingEvaluationId">Resolving evaluation id (for resolved)</label><input type="text" id="resolvingEvaluationId" name="resolvingEvaluationId" maxlength="64"></div>
<div><label for="overrideId">Approved override id (for waived)</label><input type="text" id="overrideId" name="overrideId" maxlength="64"></div>
</div>
<label for="notes">Notes</label><textarea id="notes" name="notes" rows="3" maxlength="10000">${r.notes ?? ""}</textarea>
<p><button type="submit">Save remediation</button></p>
<p class="meta">Resolved needs a later passing evaluation of the flow; waived an approved override. A resolved or waived record no longer changes.</p>
</form>`;
}

export function registerRemediationsScreen(app: ConsoleApp, deps: AppDeps): void {
  app.get("/remediations", requireRole(...ops.listRemediations.roles), async (c) => {
    const raw = c.req.query();
    const q = parseWith(remediationsQuery, { ...raw, status: raw.status || undefined });
    const before = q.beforeAt && q.beforeId ? { createdAt: q.beforeAt, id: q.beforeId } : undefined;
    const r = await remediationsPage(c.get("tenant").store, { status: q.status, before, limit: REMEDIATIONS_PAGE_SIZE });
    const rows = r.rows;
    const keep = new URLSearchParams(q.status ? { status: q.status } : {});
    const nextHref = r.next ? `/console/remediations?${new URLSearchParams({ ...Object.fromEntries(keep), beforeAt: r.next.createdAt, beforeId: r.next.id })}` : null;
    const firstHref = `/console/remediations${keep.size ? `?${keep}` : ""}`;
    const body = h`<h1>Remediations</h1>
<form method="get" action="/console/remediations" class="row" role="search" aria-label="Filter remediations">
<div><label for="status">Status</label><select id="status" name="status" data-autosubmit>${opt("", "all", q.status ?? null)}${STATUSES.map((s) => opt(s, s, q.status ?? null))}</select></div>
<div><button type="submit" class="secondary">Filter</button></div></form>
${
  rows.length === 0
    ? h`<p>No remediations${q.status ? h` with status ${q.status}` : ""}.</p>`
    : h`<table id="remediations"><caption class="meta">${before ? "Older" : "Newest"}${q.status ? h` ${q.status}` : ""} remediations, newest first (${rows.length} on this page)</caption><thead><tr><th scope="col">Remediation</th><th scope="col">Flow</th><th scope="col">Opened by</th><th scope="col">Failure class</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Due</th></tr></thead><tbody>${rows.map(
        (r) => h`<tr data-remediation="${r.id}"><td><a href="/console/remediations/${r.id}">${r.id}</a><br>${when(r.createdAt)}</td><td><a href="/console/flows/${r.flowId}">${r.flowKey ?? r.flowId}</a></td><td><code>${r.openedByAction}</code></td><td>${r.failureClass ? h`<code>${r.failureClass}</code>` : "–"}</td><td>${badge(r.status)}</td><td>${r.owner ?? h`<span class="meta">unassigned</span>`}</td><td>${when(r.dueAt)}</td></tr>`,
      )}</tbody></table>`
}
<nav aria-label="Remediation pages" class="row">${before ? h`<a href="${firstHref}">Newest</a>` : ""}${nextHref ? h`<a href="${nextHref}" rel="next">Older remediations</a>` : h`<span class="meta">End of the list.</span>`}</nav>`;
    return page(c, { title: "Remediations", nav: "remediations", body });
  });

  app.get("/remediations/:id", requireRole(...ops.getRemediation.roles), async (c) => {
    const r = await c.get("tenant").store.remediations.get(c.req.param("id"));
    if (!r) throw new NotFoundError("remediation");
    const saved = c.req.query("saved") === "1";
    const editable = mayUse(c, ops.updateRemediation.roles) && !closed(r);
    const body = h`<h1>Remediation <code>${r.id}</code></h1>${saved ? h`<div class="notice ok" role="status"><p>Remediation saved.</p></div>` : ""}
<table class="remediation"><tbody>
<tr><th scope="row">Flow</th><td><a href="/console/flows/${r.flowId}">${r.flowKey ?? r.flowId}</a></td></tr>
<tr><th scope="row">Status</th><td>${badge(r.status)}${r.resolvingEvaluationId ? h` by evaluation <code>${r.resolvingEvaluationId}</code>` : ""}${r.overrideId ? h` by override <code>${r.overrideId}</code>` : ""}</td></tr>
<tr><th scope="row">Owner</th><td>${r.owner ?? h`<span class="meta">unassigned</span>`}</td></tr>
<tr><th scope="row">Due</th><td>${when(r.dueAt)}</td></tr>
<tr><th scope="row">Root cause</th><td>${r.rootCause ?? "–"}</td></tr>
<tr><th scope="row">Opened</th><td>${when(r.createdAt)} by <code>${r.openedByAction}</code>, evaluation <a href="/console/evaluations/${r.evaluationId}/report.html"><code>${r.evaluationId}</code></a></td></tr>
<tr><th scope="row">Failure class</th><td>${r.failureClass ? h`<code>${r.failureClass}</code>` : h`<span class="meta">opened before failure classes existed</span>`}</td></tr>
<tr><th scope="row">Notes</th><td>${r.notes ?? "–"}</td></tr>
</tbody></table>
<h2>What failed</h2>${violationsList(r.failingMetrics)}
${r.failingSlices.length ? h`<table><thead><tr><th scope="col">Attribute</th><th scope="col">Group</th><th scope="col">Selection rate</th></tr></thead><tbody>${r.failingSlices.map((s) => h`<tr><td>${s.attribute ?? "–"}</td><td>${s.group}</td><td class="num">${pct(s.selectionRate)}</td></tr>`)}</tbody></table>` : ""}
<h2>Playbook</h2>${r.playbook.length ? h`<ol class="playbook">${r.playbook.map((s) => h`<li>${s}</li>`)}</ol>` : h`<p class="meta">No playbook was recorded with this remediation.</p>`}
${editable ? editForm(c, r) : closed(r) ? h`<p class="meta">This remediation is ${r.status}; it no longer changes.</p>` : ""}
<p><a href="/console/remediations">All remediations</a></p>`;
    return page(c, { title: `Remediation ${r.id}`, nav: "remediations", body });
  });

  app.post("/remediations/:id", requireRole(...ops.updateRemediation.roles), async (c) => {
    const patch = parseRemediationForm(await formOf(c));
    const r = await updateRemediation(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), patch);
    return c.redirect(`/console/remediations/${r.id}?saved=1`, 303);
  });
}
