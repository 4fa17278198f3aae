/**
 * @module console/screens/flow
 * Screen 2, Flow: the flow's versions with a diff of any two definitions; for evidence
 * readers, the evaluations timeline (each gated metric over time with its threshold
 * and interval band), the latest evaluation's groups with the report's own selection-
 * rate chart (report/svg), and the flow's audit history with reasons and violations
 * (an auto-pause reads `fairness_recheck_drift`). Another tenant's flow id is a 404,
 * as in the API: the store is the signed-in tenant's.
 */
import type { Context } from "hono";
import { requireRole } from "../../http/auth.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import type { AppDeps } from "../../http/types.js";
import { selectionThreshold } from "../../report/html.js";
import { selectionRateChart } from "../../report/svg.js";
import { type FlowHistory, flowHistory } from "../../services/console-views.js";
import { canonicalJson, diffLines } from "../diff.js";
import { groupsTable, violationsList } from "../evidence.js";
import { type Html, badge, h, trusted, when } from "../html.js";
import { mayUse, page } from "../layout.js";
import { timelineChart, timelineSeries } from "../timeline.js";
import type { ConsoleApp, ConsoleEnv } from "../types.js";

function versionsSection(c: Context<ConsoleEnv>, hst: FlowHistory): Html {
  const { flow, versions } = hst;
  const pick = (name: string, fallback: number) => {
    const v = Number(c.req.query(name));
    return Number.isInteger(v) && v >= 1 && v <= flow.version ? v : fallback;
  };
  const to = pick("to", flow.version);
  const from = pick("from", flow.activeVersion !== null && flow.activeVersion !== to ? flow.activeVersion : Math.max(1, to - 1));
  const def = (v: number) => versions.find((x) => x.version === v)?.definition ?? null;
  const diff = diffLines(canonicalJson(def(from)), canonicalJson(def(to)));
  const options = (sel: number) => versions.map((v) => h`<option value="${v.version}"${v.version === sel ? h` selected` : ""}>version ${v.version}${v.version === flow.activeVersion ? " (serving)" : ""}</option>`);
  const changed = diff?.filter((l) => l.kind !== "same").length ?? 0;
  return h`<h2 id="versions">Versions</h2>
<p>${versions.length} version${versions.length === 1 ? "" : "s"}; latest ${flow.version}${flow.activeVersion !== null ? h`, serving ${flow.activeVersion}` : h`, none serving`}.</p>
<form method="get" action="/console/flows/${flow.id}" class="row" aria-label="Compare versions">
<div><label for="from">From</label><select id="from" name="from">${options(from)}</select></div>
<div><label for="to">To</label><select id="to" name="to">${options(to)}</select></div>
<div><button type="submit" class="secondary">Compare</button></div></form>
<p class="meta" id="diff-summary">Version ${from} → version ${to}: ${diff === null ? "too large to compare here" : changed === 0 ? "no difference" : `${changed} changed line${changed === 1 ? "" : "s"}`}.</p>
${diff ? h`<pre class="diff" aria-describedby="diff-summary">${diff.map((l) => h`<span class="${l.kind}">${l.kind === "add" ? "+ " : l.kind === "del" ? "- " : "  "}${l.text}</span>`)}</pre>` : ""}`;
}

/** Points drawn per timeline and rows listed: the newest; the rest is in the Evaluations screen and the API. */
const TIMELINE_POINTS = 100;
const TABLE_ROWS = 50;

function timelineSection(hst: FlowHistory): Html {
  const all = hst.evidence!.evaluations;
  if (all.length === 0) return h`<h2 id="timeline">Evaluations timeline</h2><p>No evaluations yet.</p>`;
  const series = timelineSeries(all.slice(0, TIMELINE_POINTS));
  const evs = all.slice(0, TABLE_ROWS);
  return h`<h2 id="timeline">Evaluations timeline</h2>
<p class="meta">The newest ${Math.min(all.length, TIMELINE_POINTS)} evaluation${all.length === 1 ? "" : "s"}, oldest left; the dashed line is the block threshold, the band the metric's interval; red points blocked.${all.length > TABLE_ROWS ? ` The table lists the newest ${TABLE_ROWS}.` : ""}</p>
${series.length ? series.map((s) => h`<h3>${s.metric}</h3>${trusted(timelineChart(s))}`) : h`<p>No gated metric has been computed yet.</p>`}
<table><caption class="meta">Evaluations, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Trigger</th><th scope="col">Version</th><th scope="col">Verdict</th><th scope="col">Samples</th><th scope="col">Violations</th></tr></thead><tbody>${evs.map(
    (e) => h`<tr data-evaluation="${e.id}"><td>${when(e.createdAt)}</td><td>${e.trigger}</td><td class="num">${e.version ?? "–"}</td><td>${badge(e.verdict)}${e.approvedBy ? h` <span class="meta">approved by ${e.approvedBy}</span>` : ""}</td><td class="num">${e.sampleSize}</td><td>${e.violations.length ? violationsList(e.violations) : "–"}</td></tr>`,
  )}</tbody></table>`;
}

function latestSection(hst: FlowHistory): Html {
  const r = hst.evidence!.latestReport;
  if (!r) return h``;
  const e = hst.evidence!.evaluations[0]!;
  return h`<h2 id="latest">Latest evaluation</h2>
<p>${badge(r.summary.verdict)} ${r.summary.headline} <span class="meta">(${when(e.createdAt)}, ${e.trigger}, evaluation <code>${e.id}</code>)</span></p>
${r.groups.length ? trusted(selectionRateChart(r.groups, selectionThreshold(r))) : ""}
${groupsTable(e.groups, `Groups by ${e.sensitiveAttribute ?? "the sensitive attribute"}`)}`;
}

function auditSection(hst: FlowHistory): Html {
  const rows = hst.evidence!.audit.slice(0, TABLE_ROWS * 2);
  return h`<h2 id="history">Audit history</h2>
${rows.length === 0 ? h`<p>No audit rows.</p>` : h`<table><caption class="meta">Newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Reason</th><th scope="col">Violations</th></tr></thead><tbody>${rows.map(
  (a) => h`<tr data-action="${a.action}"><td>${when(a.createdAt)}</td><td><code>${a.action}</code></td><td>${a.actor}</td><td>${a.reason ? h`<code>${a.reason}</code>` : "–"}</td><td>${a.violations?.length ? violationsList(a.violations) : "–"}</td></tr>`,
)}</tbody></table>`}`;
}

export function registerFlowScreen(app: ConsoleApp, deps: AppDeps): void {
  app.get("/flows/:id", requireRole(...ops.getFlow.roles), async (c) => {
    const { tenant, store } = c.get("tenant");
    const evidence = mayUse(c, ops.listEvaluations.roles) && mayUse(c, ops.listAuditLog.roles);
    const hst = await flowHistory(store, { id: tenant.id, name: tenant.name }, c.req.param("id"), deps.clock(), evidence);
    const f = hst.flow;
    const body = h`<h1>${f.key}</h1>
<p>${f.name} · ${badge(f.status)} · created ${when(f.createdAt)} · updated ${when(f.updatedAt)}</p>
<p><a href="/console/flows/${f.id}/publish">${mayUse(c, ops.publishFlow.roles) ? "Edit and publish" : "Publish status"}</a></p>
${versionsSection(c, hst)}
${hst.evidence ? h`${timelineSection(hst)}${latestSection(hst)}${auditSection(hst)}` : h`<p class="meta">Evaluations and audit history are shown to publishers, admins, approvers and auditors.</p>`}`;
    return page(c, { title: f.key, nav: "flows", body });
  });
}
