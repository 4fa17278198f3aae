/**
 * Shared storage contract: every transport (native file driver, @libsql/client
 * file and memory, a real libSQL server over HTTP) must behave the same for what
 * the stores rely on — migrations, atomic guarded batches, constraint mapping,
 * append-only audit, integers as numbers, BLOB round trips, outcome semantics.
 */
import { describe, expect, it } from "vitest";
import { ConflictError, StoreUnavailableError } from "../../worker/domain/errors.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";
import { guard, migrate, type SqlClient } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { samplePlan } from "../../worker/store/tenant/window-sample.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { decodeSummary } from "../../worker/domain/summary-codec.js";
import { packTraces } from "../../worker/services/pack.js";

export function storeContract(transport: string, open: () => Promise<SqlClient>) {
  describe(`[${transport}] storage contract`, () => {
    const setup = async () => {
      const db = await open();
      const m = loadMigrationsFromDisk().tenant;
      await migrate(db, m);
      await migrate(db, m); // idempotent
      // Unique tenant per run: a shared server database may hold earlier runs' rows.
      const tenantId = `t-${crypto.randomUUID()}`;
      return { db, store: createTenantStore(db, tenantId), tenantId };
    };
    const flow = (id: string, key: string) => ({
      id, key, name: key, status: "draft" as const, latestVersion: 1, activeVersion: null, revision: 1, createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z",
    });
    const def = { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 };

    it("a write batch is atomic: a failing guard rolls back every statement", async () => {
      const { db, store } = await setup();
      const f = flow(crypto.randomUUID(), `k-${crypto.randomUUID()}`);
      await store.write(store.flows.createStmts(f, def, "a"));
      const stale = { ...f, revision: 99 };
      await expect(store.write([...store.flows.newVersionStmts(stale, def, "a", "2026-01-02T00:00:00.000Z")], "flow_modified")).rejects.toMatchObject({
        status: 409,
        code: "flow_modified",
      });
      expect((await store.flows.get(f.id))!.latestVersion).toBe(1);
      expect(await store.flows.getDefinition(f.id, 2)).toBeNull();
      // A statement failing after earlier ones succeeded also rolls them back.
      const g = flow(crypto.randomUUID(), `k-${crypto.randomUUID()}`);
      await expect(store.write([...store.flows.createStmts(g, def, "a"), guard("nope", "0", [])], "nope")).rejects.toBeInstanceOf(ConflictError);
      expect(await store.flows.get(g.id)).toBeNull();
      db.close();
    });

    it("maps unique-constraint violations to 409 and other failures to 503", async () => {
      const { db, store } = await setup();
      const f = flow(crypto.randomUUID(), `k-${crypto.randomUUID()}`);
      await store.write(store.flows.createStmts(f, def, "a"));
      const dup = flow(crypto.randomUUID(), f.key);
      await expect(store.write(store.flows.createStmts(dup, def, "a"))).rejects.toMatchObject({ status: 409, code: "constraint_violation" });
      await expect(store.write(["INSERT INTO no_such_table VALUES (1)"])).rejects.toBeInstanceOf(StoreUnavailableError);
      db.close();
    });

    it("refuses UPDATE and DELETE on the audit log", async () => {
      const { db, store, tenantId } = await setup();
      await store.write([store.evidence.auditStmt(crypto.randomUUID(), { entityType: "x", entityId: "y", action: "z", actor: "a" }, "2026-01-01T00:00:00.000Z")]);
      await expect(db.execute({ sql: "UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = ?", args: [tenantId] })).rejects.toThrow(/append-only/);
      await expect(db.execute({ sql: "DELETE FROM audit_log WHERE tenant_id = ?", args: [tenantId] })).rejects.toThrow(/append-only/);
      const rows = await store.evidence.listAudit({ limit: 10 });
      expect(rows).toHaveLength(1);
      expect(rows[0]!.actor).toBe("a");
      expect(typeof rows[0]!.seq).toBe("number");
      db.close();
    });

    it("round-trips traces, integers as numbers, outcomes once", async () => {
      const { db, store } = await setup();
      const id = crypto.randomUUID();
      const createdAt = 1_780_000_000_123;
      await store.traces.insert([
        { id, flowKey: "f", version: 1, customerId: "c", attributes: { ageBand: "65+", n: 3 }, selected: true, score: 0.25, offers: null, converted: null, source: "bulk", createdAt },
      ]);
      // Empty and null values are not usable samples; booleans keep their JSON type.
      await store.traces.insert([
        { id: crypto.randomUUID(), flowKey: "f", version: 1, customerId: "c", attributes: { ageBand: "" }, selected: true, score: null, offers: null, converted: null, source: "bulk", createdAt },
        { id: crypto.randomUUID(), flowKey: "f", version: 1, customerId: "c", attributes: { ageBand: null }, selected: true, score: null, offers: null, converted: null, source: "bulk", createdAt },
        { id: crypto.randomUUID(), flowKey: "f", version: 1, customerId: "c", attributes: { ageBand: true }, selected: false, score: null, offers: null, converted: null, source: "bulk", createdAt },
      ]);
      const page = await store.window.readSliceWindowPage("f", ["ageBand"], createdAt - 1, createdAt + 1, null, 10);
      expect(page.map((p) => p.groups[0])).toEqual(['"65+"', "true"]);
      expect(page[0]).toEqual({ seq: expect.any(Number), createdAt, groups: ['"65+"'], selected: 1, converted: null, score: 0.25 });
      expect(await store.traces.recordOutcome(id, true, "2026-01-01T00:00:00.000Z")).toBe("recorded");
      expect(await store.traces.recordOutcome(id, true, "2026-01-01T00:00:00.000Z")).toBe("unchanged");
      expect(await store.traces.recordOutcome(id, false, "2026-01-01T00:00:00.000Z")).toBe("conflict");
      expect(await store.traces.recordOutcome("missing", false, "2026-01-01T00:00:00.000Z")).toBe("not_found");
      db.close();
    });

    it("late outcomes on one packed segment, recorded at once, all reach its stored summaries", async () => {
      const { db, store, tenantId } = await setup();
      const base = Date.parse("2026-01-01T00:00:00.000Z");
      const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { demographicParityGap: 0.5 } });
      await store.write([store.governance.putPolicyStmt(policy, "a", "2026-01-01T00:00:00.000Z")]);
      const traces = Array.from({ length: 12 }, (_, i) => ({
        id: `t${i}-${tenantId}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { ageBand: i % 2 ? "a" : "b" }, selected: i % 3 === 0,
        score: 0.05 + i * 0.07, offers: null, converted: null, source: "bulk" as const, createdAt: base + i * 1000,
      }));
      await store.traces.insert(traces);
      expect((await packTraces({ clock: () => new Date(base + 2 * 86_400_000), newId: () => crypto.randomUUID() }, store)).segments).toBe(1);
      // Each outcome rewrites the summary it read: concurrent ones on one segment must retry, not overwrite.
      const results = await Promise.all(traces.map((t, i) => store.traces.recordOutcome(t.id, i % 4 === 0, "2026-01-02T00:00:00.000Z")));
      expect(results).toEqual(traces.map(() => "recorded"));
      const stats = await store.window.windowStatistics("f", base, base + 86_400_000, ['["ageBand"]'], 10);
      expect(stats.summaries).toHaveLength(1);
      const body = decodeSummary(stats.summaries[0]!.body, 10)!;
      expect(body.v).toEqual(["a", "b"]);
      const field = (f: number) => body.v.reduce((x, _, g) => x + body.c[g * 8 + f]!, 0);
      expect([field(0), field(2), field(3)]).toEqual([12, 12, 3]); // n, labeled, positives (i = 0, 4, 8)
      expect(Array.from(body.k).reduce((a, b) => a + b, 0)).toBe(12);
      expect(Array.from(body.p).reduce((a, b) => a + b, 0)).toBe(3);
      db.close();
    });

    it("the recorded-request sample is the window's traces with the smallest (seq · 2654435769 + seed) mod 2^32, in that order", async () => {
      const { db, store, tenantId } = await setup();
      const base = Date.parse("2026-01-01T00:00:00.000Z");
      const traces = Array.from({ length: 120 }, (_, i) => ({
        id: `s${i}-${tenantId}`, flowKey: i % 5 === 4 ? "other" : "f", version: 1, customerId: `c${i}`, attributes: { ageBand: `g${i % 3}` }, selected: i % 2 === 0,
        score: null, offers: null, converted: i % 3 === 0 ? true : null, source: "bulk" as const, createdAt: base + i * 60_000,
      }));
      await store.traces.insert(traces);
      const rows = (await db.execute({ sql: "SELECT seq, id FROM decision_traces WHERE tenant_id = ? ORDER BY seq", args: [tenantId] })).rows.map((r) => ({ seq: Number(r.seq), id: String(r.id) }));
      const byId = new Map(traces.map((t) => [t.id, t]));
      const from = base + 10 * 60_000;
      const to = base + 100 * 60_000;
      // Unpacked, then packed: with its segments' counts known, the read may walk the sample index.
      const plans = new Set<string>();
      // The statements the sample reads ran, to see both plans run.
      const ran: string[] = [];
      const spy = new Proxy(db, {
        get(target, key) {
          const v = Reflect.get(target, key);
          if (key === "execute") return (stmt: Parameters<SqlClient["execute"]>[0]) => (ran.push(typeof stmt === "string" ? stmt : stmt.sql), target.execute(stmt));
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      const sampler = createTenantStore(spy, tenantId).window;
      for (const packed of [false, true]) {
        if (packed) {
          const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { demographicParityGap: 0.5 } });
          await store.write([store.governance.putPolicyStmt(policy, "a", "2026-01-01T00:00:00.000Z")]);
          await packTraces({ clock: () => new Date(base + 2 * 86_400_000), newId: () => crypto.randomUUID() }, store);
        }
      for (const seed of [0, 1, 12345, 2 ** 31, 2 ** 32 - 1])
        for (const limit of [1, 7, 50, 500]) {
          plans.add(packed ? samplePlan(96, 96, limit) : "window-index"); // flow f: 96 traces, one segment overlapping the window
          // The definition, computed here: BigInt arithmetic, no SQL.
          const key = (seq: number) => Number((BigInt(seq & 0x7fffffff) * 2654435769n + BigInt(seed)) % 4294967296n);
          const expected = rows
            .filter((r) => byId.get(r.id)!.flowKey === "f" && byId.get(r.id)!.createdAt >= from && byId.get(r.id)!.createdAt < to)
            .sort((a, b) => key(a.seq) - key(b.seq) || a.seq - b.seq)
            .slice(0, limit);
          const got = await sampler.sampleWindow("f", from, to, limit, seed);
          expect(got.map((g) => g.seq)).toEqual(expected.map((e) => e.seq));
          expect(got.map((g) => [g.attributes, g.selected, g.converted])).toEqual(expected.map((e) => { const t = byId.get(e.id)!; return [t.attributes, t.selected, t.converted]; }));
        }
      }
      expect([...plans].sort()).toEqual(["sample-index", "window-index"]);
      const walks = ran.filter((sql) => sql.includes("INDEXED BY decision_traces_sample")).length;
      const sorts = ran.filter((sql) => sql.includes("ORDER BY h, seq LIMIT ?")).length;
      expect([walks, sorts]).toEqual([15, 25]); // limits 1, 7, 50 once packed; 500 once packed and all 20 before
      expect((await db.execute({ sql: "SELECT count(*) AS n FROM trace_segments WHERE tenant_id = ? AND flow_key = 'f'", args: [tenantId] })).rows[0]!.n).toBe(1);
      db.close();
    });

    it("round-trips BLOB columns byte for byte", async () => {
      const { db, tenantId } = await setup();
      const bytes = new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
      const f32 = new Float32Array([0.5, NaN, 1, -0]);
      const id = crypto.randomUUID();
      await db.batch(
        [
          {
            sql: `INSERT INTO trace_segments (tenant_id, id, flow_key, day, row_count, created_min, created_max, packed_at, unpacked_attributes, time_col, selected_col, outcome_col, score_col)
                  VALUES (?, ?, 'f', 1, 4, 0, 0, 'x', '[]', ?, ?, ?, ?)`,
            args: [tenantId, id, bytes, bytes.subarray(10, 20), new Uint8Array(0), new Uint8Array(f32.buffer)],
          },
        ],
        "write",
      );
      const rs = await db.execute({ sql: "SELECT time_col, selected_col, outcome_col, score_col FROM trace_segments WHERE id = ?", args: [id] });
      const r = rs.rows[0]!;
      const asBytes = (v: unknown) => new Uint8Array(v instanceof ArrayBuffer ? v : (v as Uint8Array));
      expect([...asBytes(r.time_col)]).toEqual([...bytes]);
      expect([...asBytes(r.selected_col)]).toEqual([...bytes.subarray(10, 20)]);
      expect(asBytes(r.outcome_col).byteLength).toBe(0);
      const back = new Float32Array(asBytes(r.score_col).slice().buffer);
      expect(Object.is(back[1], NaN) || Number.isNaN(back[1])).toBe(true);
      expect(back[0]).toBe(0.5);
      db.close();
    });
  });
}
