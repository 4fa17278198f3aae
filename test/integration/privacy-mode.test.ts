/**
 * @module test/integration/privacy-mode
 * Policy sensitiveAttributeStorage "separate": the 7,214 COMPAS rows bulk-loaded into
 * two tenants, one per storage mode. The separate tenant's database file holds no
 * sensitive value in decision_traces, yet the gate gives the same verdict, groups,
 * metrics and dataset hash as with trace storage — on the row path and after packing
 * into segments — and the same LL144 tables. Erasing one person: audited by
 * pseudonymous key, later evaluations count one person fewer, the earlier one is unchanged.
 */
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCompas } from "../helpers/compas.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

const rows = loadCompas();
const SENSITIVE_VALUES = [...new Set(rows.flatMap((r) => [r.race, r.sex]))];

describe("privacy mode (sensitiveAttributeStorage: separate)", () => {
  let app: InProcessApp;
  let http: ReturnType<typeof inProcessClient>;
  const t: Record<"trace" | "separate", { id: string; admin: string; pub: string; flowId: string }> = {} as never;
  afterAll(async () => app?.close());

  beforeAll(async () => {
    app = await createInProcessApp();
    http = inProcessClient(app);
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString();
    for (const mode of ["trace", "separate"] as const) {
      const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: `privacy-${mode}` } });
      const key = async (roles: string[], principal: string) =>
        (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
      const admin = await key(["admin"], "admin@p.test");
      const pub = await key(["publisher", "operator"], "pub@p.test");
      const put = await http.request("PUT", "/api/v1/tenant-settings", {
        token: admin,
        body: {
          fairnessPolicy: {
            enabled: true,
            sensitiveAttribute: "race",
            thresholds: { equalOpportunityGap: 0.1, disparateImpactRatio: 0.8 },
            minSampleSize: 100,
            ll144: { sexAttribute: "sex", raceAttribute: "race" },
            ...(mode === "separate" ? { sensitiveAttributeStorage: "separate" } : {}),
          },
        },
      });
      expect(put.status).toBe(200);
      const flow = await http.request("POST", "/api/v1/decision-flows", {
        token: pub,
        body: { key: "compas", name: "COMPAS", definition: { offers: [{ id: "detain", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } },
      });
      const ndjson = rows
        .map((r, i) => JSON.stringify({ decisionFlowKey: "compas", customerId: `d${i}`, attributes: { race: r.race, sex: r.sex, age: r.ageCat }, selected: r.decileScore >= 5, score: r.decileScore / 10, converted: r.twoYearRecid === 1, timestamp: day }))
        .join("\n");
      expect((await http.request("POST", "/api/v1/decision-traces/bulk", { token: pub, raw: ndjson, contentType: "application/x-ndjson" })).status).toBe(201);
      t[mode] = { id: tenant.body.id, admin, pub, flowId: flow.body.id };
    }
  });

  const db = (mode: "trace" | "separate") => createClient({ url: `file:${join(app.dataDir, "tenants", `${t[mode].id}.db`)}`, intMode: "number" });

  async function publish(mode: "trace" | "separate") {
    const res = await http.request("POST", "/api/v1/decision-flows/publish", { token: t[mode].pub, body: { id: t[mode].flowId } });
    const id = res.body.evaluation?.id ?? res.body.evaluationId;
    const ev = (await http.request("GET", `/api/v1/fairness-evaluations/${id}`, { token: t[mode].admin })).body;
    const report = (await http.request("GET", `/api/v1/fairness-evaluations/${id}/report.json`, { token: t[mode].admin })).body;
    return { status: res.status, id, ev, hash: report.dataset.hash as string };
  }
  const comparable = (e: { verdict: string; sampleSize: number; groups: unknown; metrics: unknown; violations: unknown }) => ({
    verdict: e.verdict,
    sampleSize: e.sampleSize,
    groups: e.groups,
    metrics: e.metrics,
    violations: e.violations,
  });

  let firstSeparate: { id: string; sampleSize: number };

  it("the traces table of the separate tenant holds no sensitive value; the protected table holds one row per person", async () => {
    const sep = db("separate");
    const attrs = (await sep.execute("SELECT attributes FROM decision_traces")).rows.map((r) => String(r.attributes));
    expect(attrs).toHaveLength(rows.length);
    for (const a of attrs) {
      const o = JSON.parse(a);
      expect(o).not.toHaveProperty("race");
      expect(o).not.toHaveProperty("sex");
      expect(o).toHaveProperty("age");
    }
    const whole = attrs.join("\n");
    for (const v of SENSITIVE_VALUES) expect(whole.includes(v), v).toBe(false);
    expect(Number((await sep.execute("SELECT COUNT(*) FROM protected_attributes")).rows[0]![0])).toBe(rows.length);
    expect(Number((await sep.execute("SELECT COUNT(*) FROM decision_traces WHERE customer_key IS NULL")).rows[0]![0])).toBe(0);
    // The control: with trace storage the values are on the traces.
    const plain = (await db("trace").execute("SELECT attributes FROM decision_traces LIMIT 1")).rows[0]!.attributes;
    expect(JSON.parse(String(plain))).toHaveProperty("race");
    sep.close();
  });

  it("the gate gives the same verdict, groups, metrics and dataset hash as with trace storage (row path)", async () => {
    const a = await publish("trace");
    const b = await publish("separate");
    expect(a.status).toBe(422);
    expect(b.status).toBe(a.status);
    expect(comparable(b.ev)).toEqual(comparable(a.ev));
    expect(b.ev.sampleSize).toBe(rows.length);
    expect(b.hash).toBe(a.hash);
    firstSeparate = { id: b.id, sampleSize: b.ev.sampleSize };
    const la = (await http.request("GET", `/api/v1/fairness-evaluations/${a.id}/ll144.json`, { token: t.trace.admin })).body;
    const lb = (await http.request("GET", `/api/v1/fairness-evaluations/${b.id}/ll144.json`, { token: t.separate.admin })).body;
    expect(lb.tables).toEqual(la.tables);
    expect(lb.unknown).toEqual({ count: 0, sex: 0, race: 0 });
    // The scoring rate joins the protected attributes the same way.
    const sa = (await http.request("GET", `/api/v1/fairness-evaluations/${a.id}/ll144.json?rate=scoring`, { token: t.trace.admin })).body;
    const sb = (await http.request("GET", `/api/v1/fairness-evaluations/${b.id}/ll144.json?rate=scoring`, { token: t.separate.admin })).body;
    expect(sa.rateKind).toBe("scoring");
    expect(sa.individuals).toBe(rows.length);
    expect(sb.medianScore).toBe(sa.medianScore);
    expect(sb.tables).toEqual(sa.tables);
    expect(sb.unknown).toEqual({ count: 0, sex: 0, race: 0 });
  });

  it("the same after packing into segments (columnar path)", async () => {
    for (const mode of ["trace", "separate"] as const) expect((await http.request("POST", "/api/v1/decision-traces/pack", { token: t[mode].pub })).status).toBe(200);
    expect(Number((await db("separate").execute("SELECT COUNT(*) FROM decision_traces WHERE segment_id IS NULL")).rows[0]![0])).toBe(0);
    const a = await publish("trace");
    const b = await publish("separate");
    expect(comparable(b.ev)).toEqual(comparable(a.ev));
    expect(b.hash).toBe(a.hash);
  });

  it("erasing one person: audited by key (never the customerId), later evaluations count one fewer, the earlier one is unchanged", async () => {
    const res = await http.request("DELETE", "/api/v1/protected-attributes/d0", { token: t.separate.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ erased: true, traces: 1 });
    expect(res.body.customerKey).toMatch(/^[0-9a-f]{64}$/);
    const sep = db("separate");
    expect(Number((await sep.execute("SELECT COUNT(*) FROM protected_attributes")).rows[0]![0])).toBe(rows.length - 1);
    // The erased person's day went back to the unpacked tail (its segment carried their codes).
    expect(Number((await sep.execute("SELECT COUNT(*) FROM trace_segments")).rows[0]![0])).toBe(0);
    sep.close();

    const after = await publish("separate");
    expect(after.ev.sampleSize).toBe(rows.length - 1);
    const earlier = (await http.request("GET", `/api/v1/fairness-evaluations/${firstSeparate.id}`, { token: t.separate.admin })).body;
    expect(earlier.sampleSize).toBe(firstSeparate.sampleSize);

    const audit = await http.request("GET", "/api/v1/audit-log?entityType=protected_attributes", { token: t.separate.admin });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ action: "protected_attributes_erased", entityId: res.body.customerKey, actor: "admin@p.test" });
    expect(JSON.stringify(audit.body.items[0])).not.toContain('"d0"');
    expect((await http.request("GET", "/api/v1/audit-log/verify", { token: t.separate.admin })).body.ok).toBe(true);

    // Re-packing the day encodes it without the erased values: still one fewer.
    expect((await http.request("POST", "/api/v1/decision-traces/pack", { token: t.separate.pub })).status).toBe(200);
    expect((await publish("separate")).ev.sampleSize).toBe(rows.length - 1);
  });

  it("POST /recommend in privacy mode stores the trace without the protected attributes, keyed to the person", async () => {
    const flow = await http.request("POST", "/api/v1/decision-flows", {
      token: t.separate.pub,
      body: { key: "live", name: "Live", definition: { offers: [{ id: "o", model: { intercept: 1 }, minPropensity: 0.5 }], maxOffers: 1 } },
    });
    // No traces yet: the gate skips ("no usable samples") and the flow goes live.
    expect((await http.request("POST", "/api/v1/decision-flows/publish", { token: t.separate.pub, body: { id: flow.body.id } })).status).toBe(200);
    const rec = await http.request("POST", "/api/v1/recommend", {
      token: t.separate.pub,
      body: { customerId: "walk-in-7", decisionFlowKey: "live", attributes: { race: "Asian", sex: "Female", age: "25 - 45" } },
    });
    expect(rec.status).toBe(200);
    const sep = db("separate");
    const row = (await sep.execute({ sql: "SELECT attributes, customer_key FROM decision_traces WHERE id = ?", args: [rec.body.traceId] })).rows[0]!;
    expect(JSON.parse(String(row.attributes))).toEqual({ age: "25 - 45" });
    const stored = (await sep.execute({ sql: "SELECT attributes FROM protected_attributes WHERE customer_key = ?", args: [String(row.customer_key)] })).rows[0]!;
    expect(JSON.parse(String(stored.attributes))).toEqual({ race: "Asian", sex: "Female" });
    sep.close();
  });

  it("only admins erase; someone never stored is reported as not erased", async () => {
    expect((await http.request("DELETE", "/api/v1/protected-attributes/d1", { token: t.separate.pub })).status).toBe(403);
    const none = await http.request("DELETE", "/api/v1/protected-attributes/nobody", { token: t.separate.admin });
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ erased: false, traces: 0 });
  });
});
