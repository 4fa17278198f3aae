/**
 * Review finding: an outcome stamped more than SNAPSHOT_MARGIN_MS (5 s) before it
 * commits, committing while a packer encodes its (now minutes-old, intraday) trace, is lost
 * from the segment: the encoded column has no outcome, and the pack turns only outcomes with
 * outcome_at ≥ its snapshot into deltas. recordOutcome stamps deps.clock() before its plan
 * read and up to 20 retried batches, so a slow store or outcome contention exceeds 5 s.
 */
import { describe, expect, it } from "vitest";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { packTraces } from "../../worker/services/pack.js";
import { deps, FROM, kernels, NOW, racingStore, TO, tenantWithPolicyOnA } from "../helpers/pack-race.js";

describe("a late outcome committing during an intraday pack", () => {
  it("is counted once the pack has committed", async () => {
    const { client, store } = await tenantWithPolicyOnA();
    // Today's traces from 10 minutes ago, no outcomes yet.
    await store.traces.insert(Array.from({ length: 8 }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: null, attributes: { a: "x" },
      selected: true, score: 0.5, offers: null, converted: null, source: "bulk" as const, createdAt: NOW - 10 * 60_000 + i,
    })));
    // An outcome request that began 6 s ago commits now.
    const packer = racingStore(store, "unpackedRows", async () => expect(await store.traces.recordOutcome("t3", true, new Date(NOW - 6_000).toISOString())).toBe("recorded"));
    await packTraces(deps, packer.store, { intraday: { minRows: 1 } }).catch(() => {}); // may abort; must not lose the outcome
    expect(packer.raced()).toBe(true);
    const counts = async () => {
      const w = await createColumnarWindowReader(store.window, kernels).readWindow("f", ["a"], FROM, TO, {});
      const g = (w.slices as { table: { groups: { labeled: number; positives: number }[] } }[])[0]!.table.groups[0]!;
      return { labeled: g.labeled, positives: g.positives };
    };
    expect(await counts()).toEqual({ labeled: 1, positives: 1 });
    // The next pack (nothing racing) packs the traces with the outcome.
    expect((await packTraces(deps, store, { intraday: { minRows: 1 } })).traces).toBe(8);
    expect(await counts()).toEqual({ labeled: 1, positives: 1 });
    client.close();
  });
});
