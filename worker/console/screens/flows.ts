/**
 * @module console/screens/flows
 * Screen 1, Flows: every flow with key, name, status and its last verdict and when,
 * filtered by status with the API's own query schema (an unknown status is a 400).
 */
import { requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { flowListQuery } from "../../http/openapi/request-schemas.js";
import { flowsOverview } from "../../services/console-views.js";
import { badge, h, when } from "../html.js";
import { page } from "../layout.js";
import type { ConsoleApp } from "../types.js";

const STATUSES = ["draft", "active", "paused", "archived"] as const;

export function registerFlowsScreen(app: ConsoleApp): void {
  app.get("/flows", requireRole(...ops.listFlows.roles), async (c) => {
    const q = parseWith(flowListQuery, c.req.query());
    const rows = await flowsOverview(c.get("tenant").store, q.status);
    const options = STATUSES.map((s) => h`<option value="${s}"${q.status === s ? h` selected` : ""}>${s}</option>`);
    const body = h`<h1>Flows</h1>
<form method="get" action="/console/flows" class="row" role="search" aria-label="Filter flows">
<div><label for="status">Status</label><select id="status" name="status" data-autosubmit><option value=""${q.status ? "" : h` selected`}>all but archived</option>${options}</select></div>
<div><button type="submit" class="secondary">Filter</button></div></form>
${
  rows.length === 0
    ? h`<p>No flows${q.status ? h` with status ${q.status}` : ""}.</p>`
    : h`<table><caption class="meta">${rows.length} flow${rows.length === 1 ? "" : "s"}</caption><thead><tr><th scope="col">Key</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Last verdict</th><th scope="col">When</th></tr></thead><tbody>
${rows.map(
  (f) => h`<tr data-flow-key="${f.key}"><td><a href="/console/flows/${f.id}">${f.key}</a></td><td>${f.name}</td><td>${badge(f.status)}</td><td class="num">${f.version}${f.activeVersion !== null && f.activeVersion !== f.version ? h` <span class="meta">(serving ${f.activeVersion})</span>` : ""}</td><td>${f.lastVerdict ? badge(f.lastVerdict.verdict) : h`<span class="meta">never evaluated</span>`}</td><td>${f.lastVerdict ? when(f.lastVerdict.createdAt) : "–"}</td></tr>`,
)}</tbody></table>`
}`;
    return page(c, { title: "Flows", nav: "flows", body });
  });
}
