/**
 * Review finding: an erasure committing while a packer encodes a day lets the erased
 * protected values into a segment. The packer reads the day's rows (protected attributes
 * merged in), the erasure finds none of the person's traces packed (so unpacks nothing) and
 * deletes their protected attributes, then the pack commits columns holding them. Compaction
 * and the 15-minute intraday pack make the window common.
 */
import { describe, expect, it } from "vitest";
import { createColumnarWindowReader } from "../../worker/engine/columnar-window.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import { packTraces } from "../../worker/services/pack.js";
import { DAY, deps, FROM, kernels, NOW, racingStore, TO, tenantWithPolicyOnA } from "../helpers/pack-race.js";

describe("an erasure racing a pack", () => {
  it("no erased protected value reaches a segment", async () => {
    const { client, store } = await tenantWithPolicyOnA();
    // Privacy mode: "a" is held as a protected attribute (person k), not on the trace.
    await store.traces.insert(Array.from({ length: 12 }, (_, i) => ({
      id: `t${i}`, flowKey: "f", version: 1, customerId: `c${i}`, customerKey: i < 4 ? "k" : null, attributes: (i < 4 ? {} : { a: "y" }) as Record<string, string>,
      selected: i % 2 === 0, score: 0.5, offers: null, converted: i % 3 === 0, source: "bulk" as const, createdAt: DAY * DAY_MS + 1000 * i,
    })));
    await store.protectedAttributes.upsert([{ customerKey: "k", attributes: { a: "x" } }], new Date(NOW).toISOString());

    // The erasure commits after the packer has read the day's rows, before its pack commits.
    const packer = racingStore(store, "unpackedRows", () => store.write(store.protectedAttributes.eraseStmts("k")));
    await packTraces(deps, packer.store).catch(() => {}); // may abort; must not store the erased values
    expect(packer.raced()).toBe(true);
    expect(await store.protectedAttributes.describe("k")).toMatchObject({ stored: false });

    // After the erasure the person's four traces carry no "a": no read may count them as "x".
    const w = await createColumnarWindowReader(store.window, kernels).readWindow("f", ["a"], FROM, TO, {});
    const groups = (w.slices as { table: { groups: { value: string; n: number }[] } }[])[0]!.table.groups.map((g) => g.value);
    expect(groups).toEqual(["y"]);
    client.close();
  });
});
