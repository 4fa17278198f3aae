/**
 * @module console/screens/audit-log
 * Screen 6, Audit log: the append-only log newest first, filtered by entity type, action,
 * actor and a date range (UTC days, both ends included), paged by seq; above it a badge per
 * hash chain with the verify result of services/chain (the verifier GET /audit-log/verify
 * runs): intact with the rows checked, or broken at which rows and why. Verifying walks every
 * row, so the badges are their own request (/audit-log/verify, loaded into the page by the
 * console's script; a link without it) and a page of the log never waits for it. The filters are
 * choices read from the log itself and dates, and the page carries no CSRF token (it has
 * no form that posts), so the compressed page is no oracle for one.
 */
import { z } from "zod";
import { ValidationError } from "../../domain/errors.js";
import { requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import type { AppDeps } from "../../http/types.js";
import { type AnchoredVerdict } from "../../services/chain.js";
import { auditLogPage, chainVerdicts } from "../../services/console-evidence.js";
import { violationsList } from "../evidence.js";
import { type Html, h, when } from "../html.js";
import { page } from "../layout.js";
import type { ConsoleApp } from "../types.js";

export const AUDIT_PAGE_SIZE = 50;
const DAY_MS = 86_400_000;
const blank = (v: string | undefined) => v || undefined;

const auditLogQuery = z.strictObject({
  entityType: z.string().max(64).optional().transform(blank),
  action: z.string().max(64).optional().transform(blank),
  actor: z.string().max(200).optional().transform(blank),
  from: z.union([z.iso.date(), z.literal("")]).optional().transform(blank),
  to: z.union([z.iso.date(), z.literal("")]).optional().transform(blank),
  before: z.coerce.number().int().min(1).optional(),
});
type AuditLogQuery = z.infer<typeof auditLogQuery>;

const SHOWN_BREAKS = 10;

/** One chain's verdict as a badge with the words (never colour alone). */
function chainBadge(name: string, v: AnchoredVerdict): Html {
  if (v.ok)
    return h`<div class="notice chain-ok" data-chain="${name}" data-chain-ok="true"><p><span class="badge badge-pass">intact</span> <strong>${name} chain</strong>: ${v.rows} row${v.rows === 1 ? "" : "s"} verified${v.legacyRows ? h`, ${v.legacyRows} from before chaining` : ""}${v.anchor ? h`; matches its signed anchor (seq ${v.anchor.seq})` : ""}.</p></div>`;
  const listed = v.breaks.slice(0, SHOWN_BREAKS);
  return h`<div class="notice chain-broken" role="alert" data-chain="${name}" data-chain-ok="false"><p><span class="badge badge-block">broken</span> <strong>${name} chain</strong>: ${v.breakCount} finding${v.breakCount === 1 ? "" : "s"} over ${v.rows} rows; first <code>${v.reason ?? "?"}</code>.</p>
<ul class="breaks">${listed.map((b) => h`<li data-break-seq="${b.seq ?? ""}">${b.seq !== null ? h`row seq ${b.seq}` : "the chain as a whole"}${b.id ? h` (<code>${b.id}</code>)` : ""}: <code>${b.reason}</code></li>`)}</ul>${v.breakCount > listed.length ? h`<p class="meta">${v.breakCount - listed.length} more; the whole list is in GET /api/v1/audit-log/verify.</p>` : ""}</div>`;
}

function select(id: string, label: string, all: string, choices: string[], current: string | undefined): Html {
  // A current value no longer among the choices stays selectable, so the filter shown is the filter applied.
  const values = current && !choices.includes(current) ? [current, ...choices] : choices;
  return h`<div><label for="${id}">${label}</label><select id="${id}" name="${id}"><option value="">${all}</option>${values.map((v) => h`<option value="${v}"${v === current ? h` selected` : ""}>${v}</option>`)}</select></div>`;
}

function filterParams(q: AuditLogQuery): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of ["entityType", "action", "actor", "from", "to"] as const) if (q[k]) p.set(k, q[k]!);
  return p;
}

export function registerAuditLogScreen(app: ConsoleApp, deps: AppDeps): void {
  app.get("/audit-log", requireRole(...ops.listAuditLog.roles), async (c) => {
    const q = parseWith(auditLogQuery, c.req.query());
    if (q.from && q.to && q.from > q.to) throw new ValidationError("The range is invalid: from is after to", {}, "invalid_range");
    const r = await auditLogPage(c.get("tenant").store, {
      entityType: q.entityType,
      action: q.action,
      actor: q.actor,
      from: q.from ? `${q.from}T00:00:00.000Z` : undefined,
      // "to" names a whole UTC day: rows up to its end are in.
      to: q.to ? new Date(Date.parse(`${q.to}T00:00:00.000Z`) + DAY_MS).toISOString() : undefined,
      beforeSeq: q.before,
      limit: AUDIT_PAGE_SIZE,
    });
    const keep = filterParams(q);
    const firstHref = `/console/audit-log${keep.size ? `?${keep}` : ""}`;
    const next = r.nextBeforeSeq !== null ? new URLSearchParams(keep) : null;
    next?.set("before", String(r.nextBeforeSeq));
    const filtered = keep.size > 0;
    const body = h`<h1>Audit log</h1>
<div aria-live="polite"><section id="chains" aria-labelledby="chains-title" data-fragment="/console/audit-log/verify"><h2 id="chains-title">Hash chains</h2><p><a href="/console/audit-log/verify">Verify the hash chains</a> <span class="meta">(walks every row; loaded by itself)</span></p></section></div>
<h2 id="rows">Rows</h2>
<form method="get" action="/console/audit-log" class="row" role="search" aria-label="Filter the audit log">
${select("entityType", "Entity", "all entities", r.facets.entityTypes, q.entityType)}${select("action", "Action", "all actions", r.facets.actions, q.action)}${select("actor", "Actor", "all actors", r.facets.actors, q.actor)}
<div><label for="from">From (UTC day)</label><input type="date" id="from" name="from" value="${q.from ?? ""}"></div>
<div><label for="to">To (UTC day, included)</label><input type="date" id="to" name="to" value="${q.to ?? ""}"></div>
<div><button type="submit" class="secondary">Filter</button></div>${filtered ? h`<div><a href="/console/audit-log">Clear filters</a></div>` : ""}</form>
${
  r.rows.length === 0
    ? h`<p>No audit rows${filtered ? " match the filter" : ""}.</p>`
    : h`<table id="audit"><caption class="meta">${q.before ? "Older rows" : "Newest rows"} first (${r.rows.length} on this page)</caption><thead><tr><th scope="col">Seq</th><th scope="col">When</th><th scope="col">Entity</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Reason</th><th scope="col">Violations</th></tr></thead><tbody>${r.rows.map(
        (a) => h`<tr data-seq="${a.seq}" data-action="${a.action}"><td class="num">${a.seq}</td><td>${when(a.createdAt)}</td><td>${a.entityType}<br><code>${a.entityId}</code></td><td><code>${a.action}</code></td><td>${a.actor}</td><td>${a.reason ? h`<code>${a.reason}</code>` : "–"}</td><td>${a.violations?.length ? violationsList(a.violations) : "–"}</td></tr>`,
      )}</tbody></table>`
}
<nav aria-label="Audit log pages" class="row">${q.before ? h`<a href="${firstHref}">Newest</a>` : ""}${next ? h`<a href="/console/audit-log?${next.toString()}" rel="next">Older rows</a>` : h`<span class="meta">End of the log.</span>`}</nav>`;
    return page(c, { title: "Audit log", nav: "audit-log", body });
  });

  // The chain badges: their own page (and the section the Audit log loads into itself), as GET /audit-log/verify.
  app.get("/audit-log/verify", requireRole(...ops.verifyAuditLog.roles), async (c) => {
    const v = await chainVerdicts(c.get("tenant").store, deps.anchors);
    const body = h`<h1>Hash chains</h1><section id="chains" aria-labelledby="chains-title"><h2 id="chains-title">Hash chains</h2>${chainBadge("audit", v.audit)}${chainBadge("evaluation", v.evaluation)}</section>
<p><a href="/console/audit-log">Back to the audit log</a></p>`;
    return page(c, { title: "Hash chains", nav: "audit-log", body });
  });
}
