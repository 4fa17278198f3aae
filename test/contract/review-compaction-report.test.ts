/**
 * Review: a pack's report counts a day as compacted only when one of its merges committed.
 * A day whose one merge lost its race (a late outcome committing while the merge encoded its
 * rows) is a conflict, not a compacted day; the next run merges it and counts it.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { packTraces } from "../../worker/services/pack.js";
import { DAY, deps, racingStore, tenantWithPolicyOnA } from "../helpers/pack-race.js";

describe("pack report: compacted days", () => {
  it("a day whose only merge conflicted is not counted; merged on the next run, it is", async () => {
    const { client, store } = await tenantWithPolicyOnA();
    // Ten traces of one complete day, packed in pieces of four: three segments, one merge run.
    await store.traces.insert(Array.from({ length: 10 }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: null, attributes: { a: i % 2 ? "x" : "y" },
      selected: i % 3 === 0, score: 0.5, offers: null, converted: null, source: "bulk" as const, createdAt: DAY * DAY_MS + 1_000 * i,
    })));
    expect(await packTraces(deps, store, { maxRowsPerSegment: 4 })).toMatchObject({ segments: 3, compactedDays: 0 });
    const segments = async () => Number((await client.execute("SELECT count(*) AS n FROM trace_segments")).rows[0]!.n);
    // An outcome stamped a minute ago commits while the merge encodes the day's rows: the merge aborts.
    const racing = racingStore(store, "segmentRows", async () => expect(await store.traces.recordOutcome("t4", true, new Date(deps.clock().getTime() - 60_000).toISOString())).toBe("recorded"));
    expect(await packTraces(deps, racing.store, { maxRowsPerSegment: 16 })).toEqual({ segments: 0, traces: 0, compactedDays: 0, conflicts: 1 });
    expect(racing.raced()).toBe(true);
    expect(await segments()).toBe(3);
    expect(await packTraces(deps, store, { maxRowsPerSegment: 16 })).toEqual({ segments: 0, traces: 0, compactedDays: 1, conflicts: 0 });
    expect(await segments()).toBe(1);
    client.close();
  });
});
