/**
 * `fairgate hash`: a stored gateway evaluation's `fairgate-dataset/3` hash is reproduced
 * offline from a copy of the tenant database file, recomputing every leaf from the BLOBs
 * and deltas (stored digests are not trusted: tampering with a packed column or a delta is
 * caught even though the stored content hash and digest are left as they were); a
 * `fairgate-dataset/2` hash (columnar path) is recognised as such.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { decodeSummary, encodeSummary } from "../../worker/domain/summary-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { packTraces } from "../../worker/services/pack.js";
import { GateBlockedError, publishFlow } from "../../worker/services/publish.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { main } from "../../scripts/fairgate.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { TRACE_BASE, traceArbitrary, traceFromGen } from "../helpers/trace-gen.js";

const kernels = createReferenceKernels();

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const io = { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } } as never;
  const code = await main(argv, io);
  return { code, out, err };
}

/** A tenant database file with a policy over `attributes` and a draft flow "f" (id f1). */
async function tenantFile(attributes: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "fairgate-hash-"));
  const file = join(dir, "tenant.db");
  const { client, store } = await createTestTenantStore(`file:${file}`);
  const now = TRACE_BASE + 9 * DAY_MS + 3_600_000;
  const t = new Date(now).toISOString();
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttributes: attributes, thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: 1, windowDays: 7 });
  await store.write([
    store.governance.putPolicyStmt(policy, "test", t),
    ...store.flows.createStmts(
      { id: "f1", key: "f", name: "f", status: "draft", latestVersion: 1, activeVersion: null, revision: 1, createdAt: t, updatedAt: t },
      { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 },
      "test",
    ),
  ]);
  return { dir, file, client, store, now, t };
}

describe("fairgate hash", () => {
  it("reproduces a stored /3 hash from the database file and catches tampered columns and deltas", async () => {
    const { dir, file, client, store, now, t } = await tenantFile(["a", "b"]);
    const traces = fc.sample(traceArbitrary({ a: ["x", "y", undefined], b: [0, 1, "1"] }), { seed: 11, numRuns: 400 }).map(traceFromGen);
    await store.traces.insert(traces);
    await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment: 32 });
    // Late outcomes for packed traces: deltas, in the summaries and the delta digest.
    for (const tr of traces.slice(0, 60)) if (tr.converted === null) await store.traces.recordOutcome(tr.id, tr.selected, t);
    // Some of today's traffic stays unpacked (the tail).
    await store.traces.insert(fc.sample(traceArbitrary({ a: ["x", "z"], b: [2] }), { seed: 12, numRuns: 20 }).map((g) => ({ ...traceFromGen(g), createdAt: now - 1000 })));
    let ids = 0;
    const deps = { kernels, clock: () => new Date(now), newId: () => `id-${ids++}`, windowReader: (s: TenantStore) => createSummaryWindowReader(s.window, kernels) };
    await publishFlow(deps, store, { name: "p", keyId: null }, "f1").catch((e) => {
      if (!(e instanceof GateBlockedError)) throw e;
    });
    const rs = await client.execute("SELECT id, dataset_hash, body FROM fairness_evaluations ORDER BY chain_seq DESC LIMIT 1");
    const row = rs.rows[0]!;
    const evaluationFile = join(dir, "evaluation.json");
    writeFileSync(evaluationFile, JSON.stringify({ id: row.id, tenantId: "t1", body: JSON.parse(String(row.body)), datasetHash: row.dataset_hash }));
    const args = ["hash", "--db", file, "--tenant", "t1", "--evaluation", evaluationFile, "--json"];

    const ok = await run(args);
    expect(ok.err).toBe("");
    expect(ok.code).toBe(0);
    const res = JSON.parse(ok.out) as Record<string, string>;
    expect(res.matches).toBe("fairgate-dataset/3");
    expect(res["fairgate-dataset/3"]).toBe(row.dataset_hash);
    expect(res.counts).toBe("match");

    // The /2 hash of the same window (the columnar path) is recognised as /2.
    const body = JSON.parse(String(row.body)) as { window: { from: string; to: string } };
    const v2 = await createColumnarWindowReader(store.window, kernels).readWindow("f", ["a", "b"], new Date(body.window.from), new Date(body.window.to));
    expect(JSON.parse((await run([...args, "--expect", v2.datasetHash])).out).matches).toBe("fairgate-dataset/2");

    // Flip one packed selection byte: the stored content hash still says otherwise, the recomputation does not.
    const seg = await client.execute("SELECT id, selected_col FROM trace_segments WHERE created_min >= ? ORDER BY day LIMIT 1", [Date.parse(body.window.from)]);
    const bytes = new Uint8Array(seg.rows[0]!.selected_col as ArrayBuffer);
    bytes[0] = bytes[0] ? 0 : 1;
    await client.execute({ sql: "UPDATE trace_segments SET selected_col = ? WHERE id = ?", args: [bytes, String(seg.rows[0]!.id)] });
    const tampered = await run(args);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.out).matches).toBe("none");
    bytes[0] = bytes[0] ? 0 : 1;
    await client.execute({ sql: "UPDATE trace_segments SET selected_col = ? WHERE id = ?", args: [bytes, String(seg.rows[0]!.id)] });
    expect((await run(args)).code).toBe(0);

    // Rewrite one late outcome: caught through the recomputed delta digest.
    await client.execute("UPDATE segment_outcome_deltas SET outcome = 1 - outcome WHERE rowid = (SELECT min(rowid) FROM segment_outcome_deltas)");
    expect((await run(args)).code).toBe(1);
    client.close();
  }, 60_000);

  it("catches an evaluation made from altered summaries: the hash still matches, the counts do not", async () => {
    const { dir, file, client, store, now } = await tenantFile(["a"]);
    await store.traces.insert(fc.sample(traceArbitrary({ a: ["x", "y"], b: [0] }), { seed: 21, numRuns: 300 }).map(traceFromGen));
    await packTraces({ clock: () => new Date(now), newId: () => crypto.randomUUID() }, store, { maxRowsPerSegment: 64 });
    // Someone with database access adds 40 selected traces to group "y" of one segment's summary.
    const window = { from: now - 7 * DAY_MS, to: now };
    const sum = (await client.execute({ sql: "SELECT s.segment_id, s.bins, s.body FROM segment_summaries s JOIN trace_segments g ON g.id = s.segment_id WHERE s.attributes = ? AND g.created_min >= ? ORDER BY g.day LIMIT 1", args: ['["a"]', window.from] })).rows[0]!;
    const body = decodeSummary(sum.body, Number(sum.bins))!;
    const y = body.v.indexOf('"y"') >= 0 ? body.v.indexOf('"y"') : body.v.indexOf("y");
    expect(y).toBeGreaterThanOrEqual(0);
    const c = Array.from(body.c);
    c[y * 8] = c[y * 8]! + 40;
    c[y * 8 + 1] = c[y * 8 + 1]! + 40;
    await client.execute({ sql: "UPDATE segment_summaries SET body = ? WHERE segment_id = ? AND attributes = ?", args: [encodeSummary({ ...body, c }, Number(sum.bins)), String(sum.segment_id), '["a"]'] });
    let ids = 0;
    const deps = { kernels, clock: () => new Date(now), newId: () => `id-${ids++}`, windowReader: (s: TenantStore) => createSummaryWindowReader(s.window, kernels) };
    await publishFlow(deps, store, { name: "p", keyId: null }, "f1").catch((e) => {
      if (!(e instanceof GateBlockedError)) throw e;
    });
    const row = (await client.execute("SELECT id, dataset_hash, body FROM fairness_evaluations ORDER BY chain_seq DESC LIMIT 1")).rows[0]!;
    const evaluationFile = join(dir, "evaluation.json");
    writeFileSync(evaluationFile, JSON.stringify({ id: row.id, tenantId: "t1", body: JSON.parse(String(row.body)), datasetHash: row.dataset_hash }));
    const r = await run(["hash", "--db", file, "--tenant", "t1", "--evaluation", evaluationFile, "--json"]);
    const res = JSON.parse(r.out) as { matches: string; counts: string; countMismatches: string[] };
    expect(res.matches).toBe("fairgate-dataset/3"); // the hash covers the columns, which are intact
    expect(res.counts).toBe("mismatch");
    expect(res.countMismatches).toEqual([
      expect.stringMatching(/^slice a group "y": n \d+ in the evaluation, \d+ in the data$/),
      expect.stringMatching(/^slice a group "y": selected \d+ in the evaluation, \d+ in the data$/),
    ]);
    expect(r.code).toBe(1);
    const text = await run(["hash", "--db", file, "--tenant", "t1", "--evaluation", evaluationFile]);
    expect(text.out).toContain("counts: the evaluation's observed counts DIFFER from a recount from the data:");
    client.close();
  }, 60_000);
});
