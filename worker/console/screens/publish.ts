/**
 * @module console/screens/publish
 * Screen 3, Publish: the flow's latest version against the one serving, the publisher's
 * "Publish" button (and a form to save an edited definition as a new draft version),
 * and the gate's answer. Publishing calls the API's publish service: a block renders
 * the violations, metrics and groups exactly as the 422 carries them (with status
 * 422), and offers an admin "Request override"; a bypass names the approver.
 */
import type { Context } from "hono";
import { NotFoundError } from "../../domain/errors.js";
import { actorOf, requireRole } from "../../http/auth.js";
import { parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { editFlowSchema } from "../../http/openapi/request-schemas.js";
import type { AppDeps } from "../../http/types.js";
import { editFlow, flowView } from "../../services/flows.js";
import { GateBlockedError, publishFlow, type PublishResult } from "../../services/publish.js";
import type { Evaluation } from "../../domain/evaluation.js";
import { ValidationError } from "../../domain/errors.js";
import { groupsTable, metricsTable, violationsList } from "../evidence.js";
import { type Html, badge, h } from "../html.js";
import { csrfField, mayUse, page } from "../layout.js";
import { overrideRequestForm } from "../override-form.js";
import { formOf } from "../session.js";
import type { ConsoleEnv, ConsoleApp } from "../types.js";

async function loadFlow(c: Context<ConsoleEnv>) {
  const { store } = c.get("tenant");
  const flow = await store.flows.get(c.req.param("id") ?? "");
  if (!flow) throw new NotFoundError("decision flow");
  const definition = await store.flows.getDefinition(flow.id, flow.latestVersion);
  return flowView(flow, definition ?? undefined);
}

function header(f: Awaited<ReturnType<typeof loadFlow>>): Html {
  return h`<h1>Publish ${f.key}</h1>
<p>${f.name} · ${badge(f.status)} · latest version <strong>${f.version}</strong>${f.activeVersion !== null ? h` · serving version ${f.activeVersion}` : h` · not serving yet`} · <a href="/console/flows/${f.id}">Flow history</a></p>`;
}

function publishForm(c: Context<ConsoleEnv>, f: Awaited<ReturnType<typeof loadFlow>>): Html {
  if (!mayUse(c, ops.publishFlow.roles)) return h`<p class="meta">Publishing takes the publisher role.</p>`;
  if (f.status === "archived") return h`<p class="meta">The flow is archived; unarchive it before publishing.</p>`;
  return h`<form method="post" action="/console/flows/${f.id}/publish">${csrfField(c)}
<p>Publishing runs the fairness gate on version ${f.version} over the policy's window. A breach blocks it and leaves the flow as it is.</p>
<button type="submit">Publish</button></form>`;
}

function editForm(c: Context<ConsoleEnv>, f: Awaited<ReturnType<typeof loadFlow>>, text?: string): Html {
  if (!mayUse(c, ops.editFlow.roles) || f.status === "archived") return h``;
  return h`<h2>Edit the definition</h2>
<form method="post" action="/console/flows/${f.id}/versions">${csrfField(c)}
<label for="definition">Definition (JSON) of the new draft version</label>
<textarea id="definition" name="definition" rows="14" spellcheck="false">${text ?? JSON.stringify(f.definition ?? {}, null, 2)}</textarea>
<p><button type="submit" class="secondary">Save as new version</button></p></form>`;
}

function resultNotice(r: PublishResult): Html {
  const e = r.evaluation;
  const verdict = e.verdict;
  const headline =
    verdict === "bypass"
      ? h`Published version ${r.version} with the fairness gate <strong>bypassed</strong> by an approved override (approved by ${e.approvedBy ?? "–"}, override <code>${e.overrideId ?? "–"}</code>).`
      : r.wouldBlock
        ? h`Published version ${r.version} in shadow enforcement: the gate would have blocked.`
        : verdict === "skip"
          ? h`Published version ${r.version}; the gate skipped: ${e.reason ?? "no reason given"}.`
          : h`Published version ${r.version}; the fairness gate passed.`;
  return h`<div class="notice ${verdict}" role="status" id="publish-result"><p>${badge(verdict)} ${headline}</p>
${e.violations.length ? h`<h3>Violations</h3>${violationsList(e.violations)}` : ""}
${r.warnings.length ? h`<h3>Warnings</h3><ul>${r.warnings.map((w) => h`<li>${w.tier}: ${w.message}</li>`)}</ul>` : ""}
<p class="meta">Evaluation <code>${e.id}</code></p></div>`;
}

async function blockNotice(c: Context<ConsoleEnv>, deps: AppDeps, f: Awaited<ReturnType<typeof loadFlow>>, err: GateBlockedError): Promise<Html> {
  const x = err.extra as { violations: string[]; metrics: Record<string, number | null>; groups: Evaluation["groups"]; evaluationId: string };
  const admin = mayUse(c, ops.requestOverride.roles);
  const flows = admin ? (await c.get("tenant").store.flows.list()).filter((g) => g.status !== "archived") : [];
  return h`<div class="notice block" role="alert" id="publish-result"><p>${badge("block")} <strong>${err.title}</strong>: ${err.message}</p>
<h3>Violations</h3>${violationsList(x.violations)}</div>
<h2>Metrics</h2>${metricsTable(x.metrics)}
<h2>Groups</h2>${groupsTable(x.groups, `Groups of the evaluated window (evaluation ${x.evaluationId})`)}
${
  admin
    ? overrideRequestForm(c, flows, deps.clock(), { flowId: f.id, idPrefix: "block-ovr" })
    : h`<p>To publish anyway, a tenant admin requests an override and a different approver approves it (see <a href="/console/overrides">Overrides</a>).</p>`
}`;
}

export function registerPublishScreen(app: ConsoleApp, deps: AppDeps): void {
  app.get("/flows/:id/publish", requireRole(...ops.getFlow.roles), async (c) => {
    const f = await loadFlow(c);
    const saved = c.req.query("saved");
    const notice = saved && /^\d+$/.test(saved) ? h`<div class="notice ok" role="status"><p>Saved as version ${saved} (a draft: the serving version is unchanged until it is published).</p></div>` : "";
    return page(c, { title: `Publish ${f.key}`, nav: "flows", body: h`${header(f)}${notice}${publishForm(c, f)}${editForm(c, f)}` });
  });

  app.post("/flows/:id/publish", requireRole(...ops.publishFlow.roles), async (c) => {
    const id = c.req.param("id");
    try {
      const r = await publishFlow(deps, c.get("tenant").store, actorOf(c), id);
      c.get("log").info("flow published", { flowId: id, version: r.version, verdict: r.evaluation.verdict, evaluationId: r.evaluation.id, via: "console" });
      const f = await loadFlow(c);
      return page(c, { title: `Publish ${f.key}`, nav: "flows", body: h`${header(f)}${resultNotice(r)}${publishForm(c, f)}` });
    } catch (err) {
      if (!(err instanceof GateBlockedError)) throw err;
      const f = await loadFlow(c);
      return page(c, { title: `Publish ${f.key}: blocked`, nav: "flows", status: 422, body: h`${header(f)}${await blockNotice(c, deps, f, err)}${publishForm(c, f)}` });
    }
  });

  app.post("/flows/:id/versions", requireRole(...ops.editFlow.roles), async (c) => {
    const text = (await formOf(c)).definition ?? "";
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ValidationError("The definition is not valid JSON.", {}, "invalid_json");
    }
    const body = parseWith(editFlowSchema, { definition: parsed });
    const v = await editFlow(deps, c.get("tenant").store, actorOf(c), c.req.param("id"), body.definition);
    return c.redirect(`/console/flows/${v.id}/publish?saved=${v.version}`, 303);
  });
}
