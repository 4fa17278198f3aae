/**
 * Review finding: an outcome stamped more than SNAPSHOT_MARGIN_MS (5 s) before it
 * commits, committing while a packer encodes its (now minutes-old, intraday) trace, is lost
 * from the segment: the encoded column has no outcome, and the pack turns only outcomes with
 * outcome_at ≥ its snapshot into deltas. recordOutcome stamps deps.clock() before its plan
 * read and up to 20 retried batches, so a slow store or outcome contention exceeds 5 s.
 */
import { describe, expect, it } from "vitest";
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { packTraces } from "../../worker/services/pack.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";

const kernels = createReferenceKernels();
const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const deps = { clock: () => new Date(NOW), newId: () => crypto.randomUUID() };
const FROM = new Date(NOW - 7 * DAY_MS);
const TO = new Date(NOW);

describe("a late outcome committing during an intraday pack", () => {
  it("is counted once the pack has committed", async () => {
    const { client, store } = await createTestTenantStore();
    const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "a", thresholds: { demographicParityGap: 0.9 } });
    await store.write([store.governance.putPolicyStmt(policy, "test", new Date(NOW).toISOString())]);
    // Today's traces from 10 minutes ago, no outcomes yet.
    await store.traces.insert(Array.from({ length: 8 }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: null, attributes: { a: "x" },
      selected: true, score: 0.5, offers: null, converted: null, source: "bulk" as const, createdAt: NOW - 10 * 60_000 + i,
    })));
    let raced = false;
    const packer: TenantStore = {
      ...store,
      segments: {
        ...store.segments,
        unpackedRows: async (...a: Parameters<TenantStore["segments"]["unpackedRows"]>) => {
          const rows = await store.segments.unpackedRows(...a);
          if (!raced && rows.length > 0) {
            raced = true;
            // An outcome request that began 6 s ago commits now.
            expect(await store.traces.recordOutcome("t3", true, new Date(NOW - 6_000).toISOString())).toBe("recorded");
          }
          return rows;
        },
      },
    };
    await packTraces(deps, packer, { intraday: { minRows: 1 } }).catch(() => {}); // may abort; must not lose the outcome
    expect(raced).toBe(true);
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
