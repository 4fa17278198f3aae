/**
 * Privacy mode (sensitiveAttributeStorage "separate") writes nothing half: a trace
 * and its person's protected attributes commit in one batch. A client wrapper beside
 * the real tenant client fails any batch inserting a decision trace (a dropped
 * connection): POST /recommend answers 503 and the database file holds neither the
 * trace nor the protected row; the failed batch carried both statements. Without the
 * fault the same request stores both, keyed by HMAC-SHA-256(secret, customerId)
 * computed here with node:crypto. Bulk loads likewise: all or nothing.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../worker/store/sql.js";
import { failingBatches, sqlOf } from "../helpers/failing-client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { createTenant, openTenantDb, type TenantFixture } from "./_support.js";

let app: InProcessApp;
let api: ReturnType<typeof inProcessClient>;
let fx: TenantFixture;
/** When set, any write batch inserting a decision trace fails like a lost connection. */
let failTraceWrites = false;
/** The SQL of every batch the fault refused. */
const refused: string[][] = [];

const faulty = (c: Client): Client =>
  failingBatches(c, (stmts) => {
    if (!(failTraceWrites && stmts.some((s) => /INSERT INTO decision_traces/.test(sqlOf(s))))) return false;
    refused.push(stmts.map(sqlOf));
    return true;
  });

async function dbState(customerIds: string[]) {
  const db = openTenantDb(app, fx.id);
  try {
    await db.execute("PRAGMA busy_timeout = 5000");
    const secretRow = (await db.execute({ sql: "SELECT secret FROM privacy_secrets WHERE tenant_id = ?", args: [fx.id] })).rows[0];
    const secret = secretRow ? String(secretRow.secret) : null;
    const out: { customerId: string; traces: { attributes: unknown; customerKey: string | null }[]; protectedAttributes: unknown }[] = [];
    for (const id of customerIds) {
      const traces = (await db.execute({ sql: "SELECT attributes, customer_key FROM decision_traces WHERE customer_id = ?", args: [id] })).rows.map((r) => ({
        attributes: JSON.parse(String(r.attributes)),
        customerKey: r.customer_key === null ? null : String(r.customer_key),
      }));
      const key = secret === null ? null : createHmac("sha256", secret).update(id).digest("hex");
      const p = key === null ? undefined : (await db.execute({ sql: "SELECT attributes FROM protected_attributes WHERE customer_key = ?", args: [key] })).rows[0];
      out.push({ customerId: id, traces, protectedAttributes: p ? JSON.parse(String(p.attributes)) : null });
    }
    const counts = {
      traces: Number((await db.execute("SELECT COUNT(*) AS n FROM decision_traces")).rows[0]!.n),
      protected: Number((await db.execute("SELECT COUNT(*) AS n FROM protected_attributes")).rows[0]!.n),
    };
    return { secret, people: out, counts };
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  app = await createInProcessApp({ wrapTenantClient: faulty });
  api = inProcessClient(app);
  fx = await createTenant(app, `pa-${crypto.randomUUID().slice(0, 8)}`);
  const put = await api.request("PUT", "/api/v1/tenant-settings", {
    token: fx.keys.admin,
    body: { fairnessPolicy: { enabled: true, sensitiveAttribute: "race", thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 10, sensitiveAttributeStorage: "separate" } },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const flow = await api.request("POST", "/api/v1/decision-flows", {
    token: fx.keys.publisher,
    body: { key: "live", name: "Live", definition: { offers: [{ id: "o", model: { intercept: 1 }, minPropensity: 0.5 }], maxOffers: 1 } },
  });
  expect(flow.status).toBe(201);
  // No traces yet: the gate skips and the flow goes live.
  expect((await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flow.body.id } })).status).toBe(200);
});
afterAll(async () => app?.close());

const recommend = (customerId: string) =>
  api.request("POST", "/api/v1/recommend", { token: fx.keys.operator, body: { customerId, decisionFlowKey: "live", attributes: { race: "Asian", age: 31 } } });

describe("privacy mode: a trace and its protected attributes commit together", () => {
  it("a failed trace batch leaves neither the trace nor the protected row; the batch carried both", async () => {
    const before = await dbState(["walk-in-1"]);
    failTraceWrites = true;
    try {
      const r = await recommend("walk-in-1");
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.code).toBe("store_unavailable");
    } finally {
      failTraceWrites = false;
    }
    const after = await dbState(["walk-in-1"]);
    expect(after.counts).toEqual(before.counts);
    expect(after.people[0]).toEqual({ customerId: "walk-in-1", traces: [], protectedAttributes: null });
    // The refused batch is the one commit: the protected-attribute upsert and the trace insert together.
    expect(refused.length).toBe(1);
    expect(refused[0]!.some((s) => /INSERT INTO protected_attributes/.test(s))).toBe(true);
    expect(refused[0]!.some((s) => /INSERT INTO decision_traces/.test(s))).toBe(true);
  });

  it("the same request then stores both: the trace without race, keyed by the HMAC of the customerId", async () => {
    const r = await recommend("walk-in-1");
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const s = await dbState(["walk-in-1"]);
    expect(s.secret).toMatch(/^[0-9a-f]{64}$/);
    const key = createHmac("sha256", s.secret!).update("walk-in-1").digest("hex");
    expect(s.people[0]).toEqual({ customerId: "walk-in-1", traces: [{ attributes: { age: 31 }, customerKey: key }], protectedAttributes: { race: "Asian" } });
  });

  it("bulk loads: a failed batch writes no trace and no protected row; the retry writes all", async () => {
    const ids = ["bulk-a", "bulk-b", "bulk-c"];
    const body = ids.map((id, i) => JSON.stringify({ decisionFlowKey: "live", customerId: id, attributes: { race: i % 2 ? "Black" : "White", age: 40 + i }, selected: i > 0 })).join("\n");
    const before = await dbState(ids);
    refused.length = 0;
    failTraceWrites = true;
    try {
      const r = await api.request("POST", "/api/v1/decision-traces/bulk", { token: fx.keys.operator, raw: body, contentType: "application/x-ndjson" });
      expect(r.status, JSON.stringify(r.body)).toBe(503);
    } finally {
      failTraceWrites = false;
    }
    const after = await dbState(ids);
    expect(after.counts).toEqual(before.counts);
    for (const p of after.people) expect(p.traces.length + (p.protectedAttributes === null ? 0 : 1), p.customerId).toBe(0);
    expect(refused.length).toBe(1);
    expect(refused[0]!.some((s) => /INSERT INTO protected_attributes/.test(s))).toBe(true);

    const ok = await api.request("POST", "/api/v1/decision-traces/bulk", { token: fx.keys.operator, raw: body, contentType: "application/x-ndjson" });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const done = await dbState(ids);
    expect(done.counts).toEqual({ traces: before.counts.traces + 3, protected: before.counts.protected + 3 });
    done.people.forEach((p, i) => {
      expect(p.traces.map((t) => t.attributes)).toEqual([{ age: 40 + i }]);
      expect(p.protectedAttributes).toEqual({ race: i % 2 ? "Black" : "White" });
    });
  });
});
