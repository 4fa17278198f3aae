/**
 * @module store/definition-cache
 * A tenant's flow definitions by (flow id, version), bounded (least recently used
 * dropped first). A version's definition is immutable once written — a change is
 * a new version — so a cached one is never stale, whichever process or isolate
 * writes the database. What does change (a flow's status and active version, the
 * policy) is never kept here: recommend reads it on every request.
 *
 * One cache per tenant handle (instance state), so a tenant's flows cannot push
 * another tenant's out and nothing outlives the handle.
 */
import { LRUCache } from "lru-cache";
import type { FlowDefinition } from "../domain/flow.js";

/** Definitions kept per tenant: a tenant serving more live versions than this re-reads the coldest. */
export const DEFAULT_DEFINITIONS_PER_TENANT = 256;

export interface DefinitionCache {
  /** The definition of (flowId, version): cached, or read by `load` and kept (a missing one is not kept). */
  get(flowId: string, version: number, load: () => Promise<FlowDefinition | null>): Promise<FlowDefinition | null>;
  /** Definitions held now (for tests of the bound). */
  size(): number;
}

/** Creates an empty cache holding at most `max` definitions. */
export function createDefinitionCache(max = DEFAULT_DEFINITIONS_PER_TENANT): DefinitionCache {
  const lru = new LRUCache<string, FlowDefinition>({ max });
  return {
    async get(flowId, version, load) {
      // A flow id is a UUID and a version an integer: the pair cannot collide in this key.
      const key = `${version}:${flowId}`;
      const hit = lru.get(key);
      if (hit) return hit;
      const def = await load();
      if (def) lru.set(key, def);
      return def;
    },
    size: () => lru.size,
  };
}
