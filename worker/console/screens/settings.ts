/**
 * @module console/screens/settings
 * Screen 8, Settings (admin only, the PUT /tenant-settings roles): the tenant's fairness
 * policy, edited as JSON and checked by the PUT's own
 * schema (`settingsBody`, so an unknown key is named and every error is listed inline with
 * its path), and saves it through the same service (`putSettings`, audited in the same
 * batch). "Dry run" judges today's window of every active flow under the edited policy
 * through the one evaluation path and stores nothing (services/console-evidence).
 */
import type { Context } from "hono";
import { z } from "zod";
import { assertWellFormedText } from "../../domain/text.js";
import { actorOf, requireRole } from "../../http/auth.js";
import { describeIssues, parseWith } from "../../http/body.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { settingsBody } from "../../http/openapi/request-schemas.js";
import type { AppDeps } from "../../http/types.js";
import { type DryRunRow, policyDryRun } from "../../services/console-evidence.js";
import { putSettings } from "../../services/governance.js";
import { violationsList } from "../evidence.js";
import { type Html, badge, h } from "../html.js";
import { csrfField, page } from "../layout.js";
import { formOf } from "../session.js";
import type { ConsoleApp, ConsoleEnv } from "../types.js";

type Issue = { path: string; message: string };
type Parsed = { ok: true; policy: z.infer<typeof settingsBody>["fairnessPolicy"] } | { ok: false; issues: Issue[] };

/** The textarea's text as the PUT body's fairnessPolicy: JSON first, then the API's schema; issues keep the policy's own paths. */
export function parsePolicyText(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, issues: [{ path: "(root)", message: `not valid JSON: ${e instanceof SyntaxError ? e.message : "parse error"}` }] };
  }
  try {
    assertWellFormedText(value);
  } catch {
    return { ok: false, issues: [{ path: "(root)", message: "contains text that is not well-formed (a lone surrogate)" }] };
  }
  const r = settingsBody.safeParse({ fairnessPolicy: value });
  if (r.success) return { ok: true, policy: r.data.fairnessPolicy };
  return {
    ok: false,
    issues: describeIssues(r.error.issues).map((i) => ({ path: i.path === "fairnessPolicy" ? "(root)" : i.path.replace(/^fairnessPolicy\./, ""), message: i.message })),
  };
}

function issuesList(issues: Issue[]): Html {
  return h`<div class="notice error" role="alert" id="policy-errors"><p>The policy is not valid; nothing was saved. ${issues.length} problem${issues.length === 1 ? "" : "s"}:</p><ul class="issues">${issues.map((i) => h`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul></div>`;
}

function dryRunSection(rows: DryRunRow[]): Html {
  return h`<section aria-labelledby="dry-run-title" id="dry-run"><h2 id="dry-run-title">Dry run: today's window under the edited policy</h2>
<p class="meta">What the daily recheck would say now for each active flow's serving version. Nothing was stored: no evaluation, audit row, pause or alert.</p>
${
  rows.length === 0
    ? h`<p>No active flows.</p>`
    : h`<table class="dry-run"><thead><tr><th scope="col">Flow</th><th scope="col">Version</th><th scope="col">Verdict</th><th scope="col">Samples</th><th scope="col">Violations</th><th scope="col">Reason</th></tr></thead><tbody>${rows.map(
        (r) => h`<tr data-flow-key="${r.flowKey}" data-verdict="${r.verdict}"><td><a href="/console/flows/${r.flowId}">${r.flowKey}</a></td><td class="num">${r.version}</td><td>${badge(r.verdict)}</td><td class="num">${r.sampleSize}</td><td>${r.violations.length ? violationsList(r.violations) : "–"}</td><td>${r.reason ?? "–"}</td></tr>`,
      )}</tbody></table>`
}</section>`;
}

async function render(c: Context<ConsoleEnv>, o: { text?: string; issues?: Issue[]; dryRun?: DryRunRow[]; status?: number } = {}): Promise<Response> {
  const stored = await c.get("tenant").store.governance.getPolicy();
  const text = o.text ?? (stored ? JSON.stringify(stored, null, 2) : "");
  const saved = c.req.query("saved") === "1" && !o.issues && !o.dryRun;
  const editor = h`<form method="post" action="/console/settings" aria-labelledby="policy-title">${csrfField(c)}
<label for="policy">Fairness policy (JSON)</label>
<textarea id="policy" name="policy" rows="22" spellcheck="false"${o.issues ? h` aria-invalid="true" aria-describedby="policy-errors"` : ""}>${text}</textarea>
<div class="row"><button type="submit">Save policy</button><button type="submit" class="secondary" formaction="/console/settings/dry-run">Dry run</button></div>
<p class="meta">Save applies the policy to every later publish and recheck (audited as <code>settings_update</code>). Dry run stores nothing.</p></form>`;
  const body = h`<h1>Settings</h1>${saved ? h`<div class="notice ok" role="status"><p>Policy saved.</p></div>` : ""}${o.issues ? issuesList(o.issues) : ""}
<h2 id="policy-title">Fairness policy</h2>${stored ? "" : h`<p class="meta">No policy is stored yet; without one every publish passes ungated.</p>`}
${editor}${o.dryRun ? dryRunSection(o.dryRun) : ""}`;
  return page(c, { title: "Settings", nav: "settings", body, status: o.status });
}

const policyField = z.object({ policy: z.string().max(1_000_000) });

export function registerSettingsScreen(app: ConsoleApp, deps: AppDeps): void {
  // The admin's screen, as the foundation's navigation has it: others are not shown it and are refused (403).
  app.get("/settings", requireRole(...ops.putTenantSettings.roles), (c) => render(c));

  app.post("/settings", requireRole(...ops.putTenantSettings.roles), async (c) => {
    const { policy: text } = parseWith(policyField, { policy: (await formOf(c)).policy ?? "" });
    const p = parsePolicyText(text);
    if (!p.ok) return render(c, { text, issues: p.issues, status: 400 });
    await putSettings(deps, c.get("tenant").store, actorOf(c), p.policy);
    return c.redirect("/console/settings?saved=1", 303);
  });

  // Judging under a policy that is not saved is part of editing it: the same role as saving.
  app.post("/settings/dry-run", requireRole(...ops.putTenantSettings.roles), async (c) => {
    const { policy: text } = parseWith(policyField, { policy: (await formOf(c)).policy ?? "" });
    const p = parsePolicyText(text);
    if (!p.ok) return render(c, { text, issues: p.issues, status: 400 });
    const { override: _inline, ...policy } = p.policy;
    return render(c, { text, dryRun: await policyDryRun(deps, c.get("tenant").store, policy) });
  });
}
