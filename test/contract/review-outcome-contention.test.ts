/**
 * Review: late outcomes on one packed segment under heavy concurrency. Each outcome
 * re-encodes the segment's summary body it read, guarded on that body (OUTCOME_RETRY),
 * so N outcomes racing on one segment commit one per round; every one must still be
 * recorded (before the binary summaries, json_set added counts in SQL and never retried).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSqld, type SqldServer } from "../helpers/sqld.js";
import { decodeSummary } from "../../worker/domain/summary-codec.js";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createNativeLibsqlClient } from "../../worker/runtime/libsql-native.js";
import { openLibsql, loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";
import { packTraces } from "../../worker/services/pack.js";
import { migrate, type SqlClient } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-review-outcomes-"));
let sqld: SqldServer;
beforeAll(async () => {
  sqld = await startSqld();
});
afterAll(async () => sqld?.stop());

async function contended(open: () => Promise<SqlClient>, n: number, legacy = false) {
  const db = await open();
  await migrate(db, loadMigrationsFromDisk().tenant);
  const tenantId = `t-${crypto.randomUUID()}`;
  const store = createTenantStore(db, tenantId);
  const base = Date.parse("2026-01-01T00:00:00.000Z");
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "ageBand", thresholds: { demographicParityGap: 0.5 } });
  await store.write([store.governance.putPolicyStmt(policy, "a", "2026-01-01T00:00:00.000Z")]);
  const traces = Array.from({ length: n }, (_, i) => ({
    id: `t${i}-${tenantId}`, flowKey: "f", version: 1, customerId: `c${i}`, attributes: { ageBand: i % 2 ? "a" : "b" }, selected: i % 3 === 0,
    score: 0.05 + (i % 13) * 0.07, offers: null, converted: null, source: "bulk" as const, createdAt: base + i * 1000,
  }));
  await store.traces.insert(traces);
  expect((await packTraces({ clock: () => new Date(base + 2 * 86_400_000), newId: () => crypto.randomUUID() }, store)).segments).toBe(1);
  if (legacy) {
    // The summaries as rows written before the binary form hold them: fairgate-summary/1 JSON text.
    const rs = await db.execute({ sql: "SELECT segment_id, attributes, bins, body FROM segment_summaries WHERE tenant_id = ?", args: [tenantId] });
    expect(rs.rows.length).toBeGreaterThan(0);
    for (const r of rs.rows) {
      const b = decodeSummary(r.body, Number(r.bins))!;
      const json = JSON.stringify({ v: b.v, c: Array.from(b.c), k: Array.from(b.k), p: Array.from(b.p), s: Array.from(b.s) });
      await db.execute({ sql: "UPDATE segment_summaries SET body = ? WHERE tenant_id = ? AND segment_id = ? AND attributes = ? AND bins = ?", args: [json, tenantId, String(r.segment_id), String(r.attributes), Number(r.bins)] });
    }
    const t = await db.execute({ sql: "SELECT typeof(body) AS t FROM segment_summaries WHERE tenant_id = ?", args: [tenantId] });
    expect(t.rows.map((r) => r.t)).toEqual(rs.rows.map(() => "text"));
  }
  const results = await Promise.allSettled(traces.map((t) => store.traces.recordOutcome(t.id, true, "2026-01-02T00:00:00.000Z")));
  const stats = await store.window.windowStatistics("f", base, base + 86_400_000, ['["ageBand"]'], 10);
  const body = stats.summaries[0] ? decodeSummary(stats.summaries[0].body, 10) : null;
  const labeled = body ? body.v.reduce((x, _, g) => x + body.c[g * 8 + 2]!, 0) : null;
  // The gate's reader (summaries, recomputed where dropped) must count what the rows hold.
  const kernels = createReferenceKernels();
  const read = (r: ReturnType<typeof createRowWindowReader>) => r.readWindow("f", ["ageBand"], new Date(base), new Date(base + 86_400_000), { calibrationBins: 10 }).then((w) => w.slices);
  const viaSummaries = await read(createSummaryWindowReader(store.window, kernels));
  const viaRows = await read(createRowWindowReader(store.window, kernels));
  const recorded = results.filter((r) => r.status === "fulfilled" && r.value === "recorded").length;
  db.close();
  return { viaSummaries, viaRows, recorded, failed: results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason?.code ?? r)), labeled };
}

describe("review: many concurrent late outcomes on one packed segment", () => {
  const N = 64;
  for (const [name, open] of [
    ["native file", async () => createNativeLibsqlClient(join(dir, `${crypto.randomUUID()}.db`))],
    ["@libsql/client file", async () => createClient({ url: `file:${join(dir, `${crypto.randomUUID()}.db`)}`, intMode: "number" })],
    ["worker-thread file", async () => openLibsql(`file:${crypto.randomUUID()}.db`, undefined, dir, "thread")],
    ["@libsql/client → sqld (http)", async () => createClient({ url: sqld.url, intMode: "number" })],
  ] as const) {
    it(`[${name}] ${N} at once: every one recorded, and the summary has all of them`, async () => {
      const r = await contended(open as () => Promise<SqlClient>, N);
      expect(r.failed).toEqual([]);
      expect(r.recorded).toBe(N);
      // A summary dropped is recomputed on read; one kept must count every recorded outcome.
      if (r.labeled !== null) expect(r.labeled).toBe(N);
      expect(r.viaSummaries).toEqual(r.viaRows);
      expect(r.viaRows[0]!.table.groups.reduce((x, g) => x + g.labeled, 0)).toBe(N);
    }, 60_000);
    it(`[${name}] legacy JSON summaries, 8 outcomes at once: re-encoded, none lost`, async () => {
      const r = await contended(open as () => Promise<SqlClient>, 8, true);
      expect(r.failed).toEqual([]);
      expect(r.recorded).toBe(8);
      expect(r.labeled).toBe(8);
      expect(r.viaSummaries).toEqual(r.viaRows);
    }, 60_000);
  }
});
