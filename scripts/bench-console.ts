/**
 * @module scripts/bench-console
 * `npm run bench:console -- [--runs 100] [--flows 200] [--evaluations 2000] [--audit 10000]`:
 * how long each console screen takes to render for a large tenant. Seeds, on the real app
 * served over loopback HTTP (scripts/console-demo): 200 flows made through the API, each
 * published once through the gate (one of them on blocking traffic, which opens a
 * remediation), the rest of the 2,000 evaluations and 10,000 audit rows written through
 * the tenant store in batches of chained statements (honest links and anchors: the Audit
 * log's chain badge verifies them on every request), 200 remediations and a few overrides.
 * Then every screen is requested `runs` times in a row with a signed-in admin's cookie and
 * gzip; the time is the loopback round trip to the last byte (so it includes the server's
 * whole render) and, beside it, the app's own handling time from its request log line
 * (`durationMs`, whole milliseconds); the bytes are what went over the wire. Target: p95 < 50 ms per screen. The
 * chain verification (`auditVerify`, the Audit log's badges, loaded by themselves) walks every
 * row and is reported beside the screens, not as one of them.
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import { request, Agent } from "node:http";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { Evaluation } from "../worker/domain/evaluation.js";
import type { InStatement } from "../worker/store/sql.js";
import { consoleCookie, demoTenant, startDemoServer } from "./console-demo.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "100" }, flows: { type: "string", default: "200" }, evaluations: { type: "string", default: "2000" }, audit: { type: "string", default: "10000" } },
});
const RUNS = Number(values.runs);
const FLOWS = Number(values.flows);
const EVALUATIONS = Number(values.evaluations);
const AUDIT = Number(values.audit);
const log = (m: string) => process.stderr.write(`${m}\n`);
const pctl = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))]!;
const round = (x: number) => Math.round(x * 100) / 100;

const FLOW = {
  offers: [{ id: "card", eligibility: [], model: { intercept: 0, numeric: {}, categorical: { ageBand: { "65+": -3 } } }, minPropensity: 0.5 }],
  maxOffers: 1,
};
const POLICY = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, windowDays: 7, continuousRecheck: true };

// The app's own request log line carries its handling time (durationMs): the server-side figure beside the round trip.
const served: { path: string; ms: number }[] = [];
let listening = false;
const s = await startDemoServer({
  onLog: (line) => {
    if (!listening || !line.includes('"request"')) return;
    const j = JSON.parse(line) as { msg?: string; path?: string; durationMs?: number };
    if (j.msg === "request" && j.path && typeof j.durationMs === "number") served.push({ path: j.path, ms: j.durationMs });
  },
});
const loadBefore = loadavg()[0]!;
try {
  const t0 = performance.now();
  const admin = "admin@bench-console.test";
  const { id: tenantId, keys } = await demoTenant(s, "bench-console", { [admin]: ["admin", "publisher", "operator"] });
  const key = keys[admin]!;
  await s.api("PUT", "/api/v1/tenant-settings", key, { fairnessPolicy: POLICY });
  const flowIds: string[] = [];
  for (let i = 0; i < FLOWS; i++) flowIds.push((await s.api("POST", "/api/v1/decision-flows", key, { key: `flow-${String(i).padStart(3, "0")}`, name: `Offer flow ${i}`, definition: FLOW })).id);
  // flow-000 on blocking traffic (a block with groups and a remediation); the others publish on an empty window (skip).
  const lines = Array.from({ length: 120 }, (_, i) => JSON.stringify({ decisionFlowKey: "flow-000", customerId: `c${i}`, attributes: { ageBand: i % 2 ? "65+" : "25-34" }, selected: i % 2 === 0, converted: i % 3 === 0 }));
  const bulk = await fetch(`${s.baseUrl}/api/v1/decision-traces/bulk`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/x-ndjson", "x-requested-with": "XMLHttpRequest" }, body: lines.join("\n") + "\n" });
  if (bulk.status !== 201) throw new Error(`bulk: ${bulk.status} ${await bulk.text()}`);
  for (let i = 0; i < FLOWS; i++) await s.api("POST", "/api/v1/decision-flows/publish", key, { id: flowIds[i] }, [200, 422]);
  const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
  for (let i = 0; i < 5; i++) await s.api("POST", "/api/v1/fairness-overrides", key, { reason: `Campaign exception ${i}, ticket RISK-${i}`, expiresAt, flowId: flowIds[i] });
  log(`seed: ${FLOWS} flows published through the API (${Math.round(performance.now() - t0)} ms)`);

  const store = await s.store(tenantId);
  const real = await store.evidence.listEvaluations({ limit: 200 });
  const blocked = real.find((e) => e.verdict === "block");
  const skipped = real.find((e) => e.verdict === "skip");
  if (!blocked || !skipped) throw new Error(`seed: expected a block and a skip, got ${real.map((e) => e.verdict).join(",")}`);
  const writeInBatches = async (stmts: InStatement[], size: number) => {
    for (let i = 0; i < stmts.length; i += size) await store.write(stmts.slice(i, i + size));
  };
  // Evaluations: copies of the real ones (a block and a skip, verdicts as they were judged) across the flows, chained by the store.
  const now = Date.now();
  const extra: InStatement[] = [];
  for (let i = real.length; i < EVALUATIONS; i++) {
    const base = i % 5 === 0 ? blocked : skipped;
    const f = i % FLOWS;
    const e: Evaluation = { ...base, id: crypto.randomUUID(), flowId: flowIds[f]!, flowKey: `flow-${String(f).padStart(3, "0")}`, trigger: i % 2 ? "recheck" : "publish", createdAt: new Date(now - (EVALUATIONS - i) * 60_000).toISOString() };
    extra.push(store.evidence.evaluationStmt(e, null));
  }
  await writeInBatches(extra, 200);
  // Audit rows up to the target, of the kinds a tenant's log holds, chained by the store.
  const have = (await store.consoleReads.auditPage({ limit: 1 }))[0]?.seq ?? 0;
  const actions = [["decision_flow", "publish_blocked"], ["decision_flow", "auto_pause"], ["fairness_override", "override_request"], ["remediation", "remediation_update"], ["decision_flow", "publish"]] as const;
  const audit: InStatement[] = [];
  for (let i = have; i < AUDIT; i++) {
    const [entityType, action] = actions[i % actions.length]!;
    audit.push(store.evidence.auditStmt(crypto.randomUUID(), { entityType, entityId: flowIds[i % FLOWS]!, action, actor: `person-${i % 12}@bench-console.test`, reason: action === "auto_pause" ? "fairness_recheck_drift" : null, violations: action === "publish" ? null : ["disparate impact ratio 0.412 < threshold 0.8"] }, new Date(now - (AUDIT - i) * 10_000).toISOString()));
  }
  await writeInBatches(audit, 500);
  const [opened] = await store.remediations.list({ limit: 1 });
  if (opened) await store.write(Array.from({ length: 199 }, (_, i) => store.remediations.insertStmt({ ...opened, id: crypto.randomUUID(), flowId: flowIds[(i + 1) % FLOWS]!, flowKey: `flow-${String((i + 1) % FLOWS).padStart(3, "0")}`, createdAt: new Date(now - i * 3_600_000).toISOString() })));
  const seedMs = Math.round(performance.now() - t0);
  const verify = await s.api("GET", "/api/v1/audit-log/verify", key);
  log(`seed: ${EVALUATIONS} evaluations, ${verify.audit.rows} chained audit rows (verify ok: ${verify.ok}) in ${seedMs} ms`);

  const cookie = await consoleCookie(s.baseUrl, key);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<{ ms: number; bytes: number; status: number }>((ok, fail) => {
      const start = performance.now();
      const req = request(`${s.baseUrl}${path}`, { agent, headers: { cookie, "accept-encoding": "gzip" } }, (res) => {
        let bytes = 0;
        res.on("data", (d: Buffer) => (bytes += d.length));
        res.on("end", () => ok({ ms: performance.now() - start, bytes, status: res.statusCode ?? 0 }));
        res.on("error", fail);
      });
      req.on("error", fail);
      req.end();
    });
  const screens: Record<string, string> = {
    flows: "/console/flows",
    flow: `/console/flows/${flowIds[0]}`,
    publish: `/console/flows/${flowIds[0]}/publish`,
    overrides: "/console/overrides",
    evaluations: "/console/evaluations",
    auditLog: "/console/audit-log",
    auditLogFiltered: `/console/audit-log?action=auto_pause&actor=${encodeURIComponent("person-3@bench-console.test")}`,
    auditVerify: "/console/audit-log/verify",
    remediations: "/console/remediations",
    remediation: `/console/remediations/${opened?.id ?? "none"}`,
    settings: "/console/settings",
  };
  const out: Record<string, { p50Ms: number; p95Ms: number; serverP50Ms: number; serverP95Ms: number; bytes: number }> = {};
  listening = true;
  for (const [name, path] of Object.entries(screens)) {
    for (let i = 0; i < 3; i++) await get(path);
    served.length = 0;
    const ms: number[] = [];
    let bytes = 0;
    // The verification walks every row (seconds under load): fewer repeats, it is reported, not gated.
    for (let i = 0; i < (name === "auditVerify" ? Math.min(RUNS, 10) : RUNS); i++) {
      const r = await get(path);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await (await fetch(s.baseUrl + path, { headers: { cookie } })).text().then((t) => t.replace(/<[^>]+>/g, " ").slice(-600))}`);
      ms.push(r.ms);
      bytes = r.bytes;
    }
    const server = served.filter((x) => path.startsWith(x.path)).map((x) => x.ms);
    out[name] = { p50Ms: round(pctl(ms, 0.5)), p95Ms: round(pctl(ms, 0.95)), serverP50Ms: pctl(server, 0.5), serverP95Ms: pctl(server, 0.95), bytes };
    log(`${name.padEnd(16)} round trip p50 ${out[name]!.p50Ms} ms  p95 ${out[name]!.p95Ms} ms · server p50 ${out[name]!.serverP50Ms} ms  p95 ${out[name]!.serverP95Ms} ms · ${bytes} B`);
  }
  agent.destroy();
  const over = Object.entries(out).filter(([k, v]) => k !== "auditVerify" && v.p95Ms >= 50).map(([k]) => k);
  console.log(JSON.stringify({ screens: out, seedMs, runs: RUNS, flows: FLOWS, evaluations: EVALUATIONS, auditRows: verify.audit.rows, chainsOk: verify.ok, over50Ms: over, loadAvg: [round(loadBefore), round(loadavg()[0]!)] }));
} finally {
  await s.close();
}
