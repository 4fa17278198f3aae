/**
 * @module console/screens/overrides
 * Screen 4, Overrides: pending, active, expired, revoked and rejected overrides; the
 * admin's request form; "Approve" and "Reject" shown only to a person who may decide
 * the stage that is up — never the requester nor an earlier stage's approver — and
 * "Revoke" to admins. Every action calls the governance service the API calls, which
 * refuses a forced self-approval (403) whatever the page showed.
 */
import type { Context } from "hono";
import { actorOf, requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { overrideRejectSchema, overrideRevokeSchema } from "../../http/openapi/request-schemas.js";
import type { AppDeps } from "../../http/types.js";
import { approveOverride, rejectOverride, requestOverride, revokeOverride } from "../../services/governance.js";
import type { Principal } from "../../domain/roles.js";
import { type Html, badge, h, when } from "../html.js";
import { csrfField, mayUse, page } from "../layout.js";
import { overrideRequestForm, parseOverrideRequest } from "../override-form.js";
import { formOf } from "../session.js";
import type { ConsoleApp, ConsoleEnv } from "../types.js";

type Override = Awaited<ReturnType<ConsoleEnv["Variables"]["tenant"]["store"]["governance"]["listOverrides"]>>[number];
type Shown = "pending" | "active" | "expired" | "revoked" | "rejected";
const SECTIONS: { status: Shown; title: string }[] = [
  { status: "pending", title: "Pending" },
  { status: "active", title: "Active" },
  { status: "expired", title: "Expired" },
  { status: "revoked", title: "Revoked" },
  { status: "rejected", title: "Rejected" },
];

/** Stored statuses plus "expired": an active or pending override past its expiry no longer applies. */
export function shownStatus(o: Override, now: Date): Shown {
  if ((o.status === "active" || o.status === "pending") && Date.parse(o.expiresAt) <= now.getTime()) return "expired";
  return o.status;
}

/** Whether `p` may decide the stage that is up: the service's own rules, read off the record (the server checks again). */
export function mayDecide(p: Principal, o: Override, now: Date): boolean {
  if (shownStatus(o, now) !== "pending" || !o.currentStage) return false;
  if (o.requestedBy === p.principal) return false;
  if (o.decisions.some((d) => d.decidedBy === p.principal)) return false;
  return p.roles.includes(o.currentStage.role as Principal["roles"][number]);
}

function actions(c: Context<ConsoleEnv>, o: Override, now: Date): Html {
  const p = c.get("principal");
  const out: Html[] = [];
  if (mayDecide(p, o, now)) {
    out.push(h`<form method="post" action="/console/overrides/${o.id}/approve" class="inline">${csrfField(c)}<button type="submit">Approve</button></form>`);
    out.push(h`<form method="post" action="/console/overrides/${o.id}/reject" class="row">${csrfField(c)}<div><label for="reject-${o.id}">Reason for rejecting</label><input type="text" id="reject-${o.id}" name="reason" required maxlength="2000"></div><div><button type="submit" class="danger">Reject</button></div></form>`);
  }
  const s = shownStatus(o, now);
  if (mayUse(c, ops.revokeOverride.roles) && (s === "pending" || s === "active"))
    out.push(h`<form method="post" action="/console/overrides/${o.id}/revoke" class="row">${csrfField(c)}<div><label for="revoke-${o.id}">Reason for revoking (optional)</label><input type="text" id="revoke-${o.id}" name="reason" maxlength="2000"></div><div><button type="submit" class="danger">Revoke</button></div></form>`);
  return out.length ? h`${out}` : h`<span class="meta">–</span>`;
}

function stages(o: Override): Html {
  return h`<ol class="stages">${o.stages.map((st, i) => {
    const d = o.decisions.find((x) => x.stageIndex === i);
    return h`<li>${st.stage} (${st.role}): ${d ? h`${d.decision === "approve" ? "approved" : "rejected"} by ${d.decidedBy} ${when(d.decidedAt)}${d.reason ? h` — ${d.reason}` : ""}` : o.currentStage?.index === i ? "waiting" : "–"}</li>`;
  })}</ol>`;
}

function table(c: Context<ConsoleEnv>, rows: Override[], flowKeys: Map<string, string>, now: Date): Html {
  return h`<table><thead><tr><th scope="col">Override</th><th scope="col">Applies to</th><th scope="col">Reason</th><th scope="col">Requested</th><th scope="col">Expires</th><th scope="col">Stages</th><th scope="col">Actions</th></tr></thead><tbody>${rows.map(
    (o) => h`<tr id="o-${o.id}" data-override="${o.id}"><td>${badge(shownStatus(o, now))}<br><code>${o.id}</code></td><td>${o.flowId ? h`<a href="/console/flows/${o.flowId}">${flowKeys.get(o.flowId) ?? o.flowId}</a>` : "tenant-wide"}</td><td>${o.reason}${o.revokedBy ? h`<br><span class="meta">revoked by ${o.revokedBy}${o.revokeReason ? h`: ${o.revokeReason}` : ""}</span>` : ""}${o.rejectedBy ? h`<br><span class="meta">rejected by ${o.rejectedBy}: ${o.rejectReason ?? ""}</span>` : ""}</td><td>${o.requestedBy}<br>${when(o.requestedAt)}</td><td>${when(o.expiresAt)}</td><td>${stages(o)}</td><td>${actions(c, o, now)}</td></tr>`,
  )}</tbody></table>`;
}

const DONE: Record<string, string> = { requested: "Override requested: it applies once approved.", approved: "Stage approved.", rejected: "Override rejected.", revoked: "Override revoked." };

export function registerOverridesScreen(app: ConsoleApp, deps: AppDeps): void {
  app.get("/overrides", requireRole(...ops.listOverrides.roles), async (c) => {
    const { store } = c.get("tenant");
    const now = deps.clock();
    const [all, flows] = await Promise.all([store.governance.listOverrides(), store.flows.list()]);
    const flowKeys = new Map(flows.map((f) => [f.id, f.key]));
    const done = DONE[c.req.query("done") ?? ""];
    const sections = SECTIONS.map((s) => {
      const rows = all.filter((o) => shownStatus(o, now) === s.status);
      return h`<section aria-labelledby="sec-${s.status}"><h2 id="sec-${s.status}">${s.title} (${rows.length})</h2>${rows.length ? table(c, rows, flowKeys, now) : h`<p class="meta">None.</p>`}</section>`;
    });
    const form = mayUse(c, ops.requestOverride.roles) ? overrideRequestForm(c, flows.filter((f) => f.status !== "archived"), now) : "";
    const body = h`<h1>Overrides</h1>${done ? h`<div class="notice ok" role="status"><p>${done}</p></div>` : ""}${form}${sections}`;
    return page(c, { title: "Overrides", nav: "overrides", body });
  });

  app.post("/overrides", requireRole(...ops.requestOverride.roles), async (c) => {
    const req = parseOverrideRequest(await formOf(c));
    const o = await requestOverride(deps, c.get("tenant").store, actorOf(c), req);
    return c.redirect(`/console/overrides?done=requested#o-${o.id}`, 303);
  });

  app.post("/overrides/:id/approve", requireRole(...ops.approveOverride.roles), async (c) => {
    const o = await approveOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), c.get("principal").roles);
    return c.redirect(`/console/overrides?done=approved#o-${o.id}`, 303);
  });

  app.post("/overrides/:id/reject", requireRole(...ops.rejectOverride.roles), async (c) => {
    const { reason } = parseWith(overrideRejectSchema, { reason: (await formOf(c)).reason ?? "" });
    const o = await rejectOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), reason, c.get("principal").roles);
    return c.redirect(`/console/overrides?done=rejected#o-${o.id}`, 303);
  });

  app.post("/overrides/:id/revoke", requireRole(...ops.revokeOverride.roles), async (c) => {
    const raw = ((await formOf(c)).reason ?? "").trim();
    const { reason } = parseWith(overrideRevokeSchema, raw ? { reason: raw } : {});
    const o = await revokeOverride(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), reason ?? null);
    return c.redirect(`/console/overrides?done=revoked#o-${o.id}`, 303);
  });
}
