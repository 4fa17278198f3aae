/**
 * The per-tenant definition cache: one read per (flow, version) while it is kept,
 * distinct versions never confused, a missing version not remembered, and the
 * bound held (least recently used dropped first).
 */
import { describe, expect, it } from "vitest";
import { createDefinitionCache } from "../../worker/store/definition-cache.js";
import type { FlowDefinition } from "../../worker/domain/flow.js";

const def = (id: string): FlowDefinition => ({ offers: [{ id, eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.5 }], maxOffers: 1 });

describe("definition cache", () => {
  it("reads each (flow, version) once, keeps versions apart, and does not remember a missing one", async () => {
    const cache = createDefinitionCache(8);
    let reads = 0;
    const load = (d: FlowDefinition | null) => async () => {
      reads++;
      return d;
    };
    expect((await cache.get("f", 1, load(def("v1"))))?.offers[0]?.id).toBe("v1");
    expect((await cache.get("f", 1, load(def("other"))))?.offers[0]?.id).toBe("v1");
    expect((await cache.get("f", 2, load(def("v2"))))?.offers[0]?.id).toBe("v2");
    expect(reads).toBe(2);
    expect(await cache.get("f", 3, load(null))).toBeNull();
    expect((await cache.get("f", 3, load(def("v3"))))?.offers[0]?.id).toBe("v3");
    expect(reads).toBe(4);
  });

  it("holds at most its bound, dropping the least recently used", async () => {
    const cache = createDefinitionCache(3);
    for (const v of [1, 2, 3]) await cache.get("f", v, async () => def(`v${v}`));
    await cache.get("f", 1, async () => def("reloaded"));
    await cache.get("f", 4, async () => def("v4"));
    expect(cache.size()).toBe(3);
    // 2 was the least recently used: it is read again; 1 was used since and is still kept.
    expect((await cache.get("f", 2, async () => def("again")))?.offers[0]?.id).toBe("again");
    expect((await cache.get("f", 4, async () => def("x")))?.offers[0]?.id).toBe("v4");
  });
});
