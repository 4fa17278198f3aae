/**
 * @module scripts/demo
 * `npm run demo`: runs the product story against a live local gateway and prints
 * each step. Starts its own server on a fresh data directory unless FAIRGATE_URL
 * (with FAIRGATE_ADMIN_TOKEN and FAIRGATE_CRON_SECRET) points at a running one.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createFairgateClient } from "fairgate/client";

const ROOT = resolve(import.meta.dirname, "..");
const step = (n: string, msg: string) => console.log(`\n\x1b[1m${n}\x1b[0m ${msg}`);
const show = (label: string, v: unknown) => console.log(`   ${label}: ${typeof v === "string" ? v : JSON.stringify(v)}`);

async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "fairgate-demo-"));
  const adminToken = "demo-admin-" + crypto.randomUUID();
  const cronSecret = "demo-cron-" + crypto.randomUUID();
  const proc = spawn(process.execPath, ["--import", "tsx", "worker/runtime/node.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_CRON_SECRET: cronSecret, FAIRGATE_RECHECK_CRON: "off", FAIRGATE_EXPIRY_SWEEP_CRON: "off" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((ok, fail) => {
    let buf = "";
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split("\n")) {
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === "listening" && j.port) ok(j.port);
        } catch {
          /* partial line */
        }
      }
    });
    proc.on("exit", (c) => fail(new Error(`gateway exited with ${c}`)));
  });
  return { url: `http://127.0.0.1:${port}`, adminToken, cronSecret, dataDir, stop: () => proc.kill("SIGTERM") };
}

async function main() {
  const external = process.env.FAIRGATE_URL;
  const srv = external
    ? { url: external, adminToken: process.env.FAIRGATE_ADMIN_TOKEN ?? "", cronSecret: process.env.FAIRGATE_CRON_SECRET ?? "", dataDir: "(remote)", stop: () => {} }
    : await startServer();
  // The typed client (fairgate/client): requests and responses typed from the API's own definitions.
  const fg = createFairgateClient({ baseUrl: srv.url });
  /** A documented success, or the demo stops with the problem it got. */
  const ok = <R extends { ok: boolean; status: number; body: unknown }>(r: R): Extract<R, { ok: true }> => {
    if (!r.ok) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
    return r as Extract<R, { ok: true }>;
  };
  try {
    step("1.", `gateway at ${srv.url} (data: ${srv.dataDir})`);
    step("2.", "platform operator creates a tenant and keys for three people");
    const tenant = ok(await fg.call("createTenant", { token: srv.adminToken, body: { name: `demo-bank-${Date.now()}` } }));
    show(`POST /admin/tenants → ${tenant.status}`, tenant.body);
    type Role = "operator" | "publisher" | "admin" | "approver" | "auditor";
    const key = async (principal: string, roles: Role[]) =>
      ok(await fg.call("createTenantApiKey", { token: srv.adminToken, params: { id: tenant.body.id }, body: { principal, roles } })).body.key;
    const admin = await key("alice@bank.example", ["admin", "auditor"]);
    const publisher = await key("bob@bank.example", ["publisher", "operator"]);
    const approver = await key("carol@bank.example", ["approver"]);
    show("keys", "alice (admin, auditor), bob (publisher, operator), carol (approver)");

    step("3.", "admin sets the fairness policy; bob creates and publishes a flow");
    const policy = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.2 }, minSampleSize: 100, windowDays: 7, continuousRecheck: true };
    show("PUT /tenant-settings", (await fg.call("putTenantSettings", { token: admin, body: { fairnessPolicy: policy } })).status);
    const definition = {
      offers: [{ id: "platinum-card", eligibility: [{ attribute: "tier", op: "in" as const, value: ["gold", "platinum"] }], model: { intercept: -1.0, numeric: { income: 0.00002 }, categorical: { ageBand: { "65+": -2.0 } } }, minPropensity: 0.5 }],
      maxOffers: 1,
    };
    const flow = ok(await fg.call("createFlow", { token: publisher, body: { key: "nbo-cards", name: "Next best card", definition } }));
    show(`POST /decision-flows → ${flow.status}`, { id: flow.body.id, status: flow.body.status, version: flow.body.version });
    const p1 = ok(await fg.call("publishFlow", { token: publisher, body: { id: flow.body.id } }));
    show(`publish → ${p1.status}`, { verdict: p1.body.evaluation.verdict, reason: p1.body.evaluation.reason });

    step("4.", "200 recommendations arrive; outcomes follow for some");
    const ids: string[] = [];
    let selected = 0;
    for (let i = 0; i < 200; i++) {
      const r = ok(
        await fg.call("recommend", {
          token: publisher,
          body: { customerId: `cust-${i}`, decisionFlowKey: "nbo-cards", attributes: { ageBand: ["18-24", "25-34", "45-64", "65+"][i % 4]!, tier: i % 5 === 0 ? "silver" : "gold", income: 40_000 + (i % 9) * 8_000 } },
        }),
      );
      ids.push(r.body.traceId);
      if (r.body.selected) selected++;
    }
    for (const id of ids.slice(0, 60)) ok(await fg.call("recordOutcome", { token: publisher, body: { traceId: id, converted: true } }));
    show("recommendations", `${ids.length} traced, ${selected} with an offer; 60 outcomes recorded`);

    step("5.", "bob edits the flow and publishes again");
    ok(await fg.call("editFlow", { token: publisher, params: { id: flow.body.id }, body: { definition: { ...definition, maxOffers: 2 } } }));
    const p2 = await fg.call("publishFlow", { token: publisher, body: { id: flow.body.id } });
    if (p2.ok) throw new Error("the breaching publish was not blocked");
    const blocked = p2.body as typeof p2.body & { violations: string[]; metrics?: { sampleSize: number }; evaluationId: string };
    show(`publish → ${p2.status}`, { title: blocked.title, violations: blocked.violations, sampleSize: blocked.metrics?.sampleSize });
    const f2 = ok(await fg.call("getFlow", { token: publisher, params: { id: flow.body.id } }));
    show("flow unchanged", { status: f2.body.status, activeVersion: f2.body.activeVersion, latestVersion: f2.body.version });

    step("6.", "alice requests an override; she cannot approve it herself; carol approves");
    const ov = ok(
      await fg.call("requestOverride", { token: admin, body: { reason: "Pilot approved by model risk committee (MRC-2026-114)", expiresAt: new Date(Date.now() + 5_000).toISOString(), flowId: flow.body.id } }),
    );
    show(`request → ${ov.status}`, { id: ov.body.id, status: ov.body.status });
    const selfKey = await key("alice@bank.example", ["approver"]);
    const self = await fg.call("approveOverride", { token: selfKey, params: { id: ov.body.id } });
    show("self-approval", self.ok ? "approved?!" : self.body.code);
    const ap = ok(await fg.call("approveOverride", { token: approver, params: { id: ov.body.id } }));
    show(`carol approves → ${ap.status}`, { status: ap.body.status, approvedBy: ap.body.approvedBy, expiresAt: ap.body.expiresAt });
    const p3 = ok(await fg.call("publishFlow", { token: publisher, body: { id: flow.body.id } }));
    show(`publish → ${p3.status}`, { verdict: p3.body.evaluation.verdict, approvedBy: p3.body.evaluation.approvedBy, version: p3.body.version });

    step("7.", "the override expires; the daily recheck finds drift and pauses the flow");
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(ap.body.expiresAt) - Date.now() + 300)));
    const rc = ok(await fg.call("runCron", { token: srv.cronSecret }));
    const mine = ("tenants" in rc.body ? rc.body.tenants : []).find((t) => t.tenantId === tenant.body.id) as { status: string; paused: { flowKey: string; violations: string[] }[] } | undefined;
    show("recheck", { status: mine?.status, paused: mine?.paused.map((p) => ({ flowKey: p.flowKey, violations: p.violations })) });
    const rec = await fg.call("recommend", { token: publisher, body: { customerId: "late", decisionFlowKey: "nbo-cards", attributes: { ageBand: "65+" } } });
    show(`recommend on the paused flow → ${rec.status}`, rec.ok ? "served?!" : rec.body.code);
    const audit = ok(await fg.call("listAuditLog", { token: admin, query: { entityType: "decision_flow", entityId: flow.body.id } }));
    show("audit trail of the flow", audit.body.items.map((a) => `${a.createdAt} ${a.actor} ${a.action}${a.reason ? ` (${a.reason})` : ""}`));

    step("8.", "the evidence: hash-chain check, and the reports of the blocked and the bypassed evaluation");
    show("GET /audit-log/verify", ok(await fg.call("verifyAuditLog", { token: admin })).body);
    const reportDir = srv.dataDir === "(remote)" ? mkdtempSync(join(tmpdir(), "fairgate-demo-reports-")) : join(srv.dataDir, "reports");
    mkdirSync(reportDir, { recursive: true });
    for (const [name, id] of [["blocked", blocked.evaluationId], ["bypassed", p3.body.evaluation.id]] as const) {
      const json = ok(await fg.call("getEvaluationReportJson", { token: admin, params: { id } }));
      const html = ok(await fg.call("getEvaluationReportHtml", { token: admin, params: { id } }));
      for (const [ext, text] of [["json", JSON.stringify(json.body)], ["html", html.body]] as const) {
        const file = join(reportDir, `${name}-report.${ext}`);
        writeFileSync(file, text);
        show(`${name} report.${ext}`, file);
      }
    }
    console.log("\nDemo complete.");
  } finally {
    srv.stop();
  }
}

main().catch((e) => {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
});
