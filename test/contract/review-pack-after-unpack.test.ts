/**
 * Review finding: a pack whose rows were read before an unpack of their day (a privacy erasure
 * unpacks the days holding the person's packed traces) committed marks the wrong traces. pack's UPDATE marks "the first rowCount unpacked traces of
 * the day with seq ≤ maxSeq" and its guard checks only the count; after an unpack the day's
 * earlier (previously packed) traces are unpacked again, so the segment encoded from seqs
 * 21..25 gets traces 1..5 marked as its own — counts and hash go wrong for good.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { createSummaryWindowReader } from "../../worker/engine/summary-window.js";
import { createRowWindowReader } from "../../worker/engine/window.js";
import { packTraces } from "../../worker/services/pack.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { oracleMerkleHash } from "../helpers/dataset-hash-oracle.js";
import { DAY, deps, FROM, kernels, NOW, racingStore, TO, tenantWithPolicyOnA } from "../helpers/pack-race.js";

describe("a pack racing an erasure that unpacks its day", () => {
  it("marks exactly the traces it encoded (or aborts)", async () => {
    const { client, store } = await tenantWithPolicyOnA();
    const trace = (i: number) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: i === 0 ? "k" : null, attributes: { a: i < 20 ? "x" : "y" },
      selected: i % 3 === 0, score: 0.5, offers: null, converted: i % 4 === 0, source: "bulk" as const, createdAt: DAY * DAY_MS + 1000 * i,
    });
    await store.traces.insert(Array.from({ length: 20 }, (_, i) => trace(i)));
    await store.protectedAttributes.upsert([{ customerKey: "k", attributes: { b: "z" } }], new Date(NOW).toISOString());
    // Day packed in two pieces (fragmented), then five traces back-filled into it.
    await packTraces(deps, store, { maxRowsPerSegment: 10 });
    await store.traces.insert(Array.from({ length: 5 }, (_, i) => trace(20 + i)));

    // Packer B reads the five back-filled rows; an erasure of "k" unpacks the day before B's pack commits.
    const race = racingStore(store, "unpackedRows", () => store.write(store.protectedAttributes.eraseStmts("k")));
    const b: TenantStore = { ...race.store, segments: { ...race.store.segments, mergeableDays: async () => [] } };
    // B may abort (segment_pack_conflict) or pack; it must not mark other traces.
    await packTraces(deps, b, { maxRowsPerSegment: 10 }).catch(() => {});
    expect(race.raced()).toBe(true);

    // Whatever B committed, its segment must hold the traces it encoded (the back-filled
    // seqs 21..25), and a window read must count what a read of the unpacked rows counts.
    const marked = await client.execute("SELECT seq FROM decision_traces WHERE segment_id IS NOT NULL ORDER BY seq");
    expect(marked.rows.map((r) => Number(r.seq)).filter((q) => q <= 20)).toEqual([]);
    const got = await createSummaryWindowReader(store.window, kernels).readWindow("f", ["a"], FROM, TO, {});
    const truth = await createRowWindowReader(store.window, kernels).readWindow("f", ["a"], FROM, TO, {});
    expect(got.slices).toEqual(truth.slices);
    // And the day keeps its packed traces below its unpacked ones: the hash is the canonical one.
    const oracle = await oracleMerkleHash(client, { tenantId: "t1", flowKey: "f", attributes: ["a"], fromMs: FROM.getTime(), toMs: TO.getTime() });
    expect(got.datasetHash).toBe(oracle.hash);
    client.close();
  });
});
