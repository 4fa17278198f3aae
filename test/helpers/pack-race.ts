/**
 * What the pack-race tests share: a commit landing between a packer's read of its rows and
 * its own commit (an erasure, a late outcome, an unpack), staged by a view of the tenant
 * store whose row read runs that commit once before handing the rows back; and the small
 * fixture the review tests build on (a tenant with a policy on attribute "a", a clock, a window).
 */
import { fairnessPolicySchema } from "../../worker/domain/policy.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { DAY_MS } from "../../worker/engine/segment-codec.js";
import type { TenantStore } from "../../worker/store/tenant-store.js";
import { createTestTenantStore } from "./tenant-db.js";

type RowRead = "unpackedRows" | "segmentRows";
type RowsOf<M extends RowRead> = Awaited<ReturnType<TenantStore["segments"][M]>>;

/**
 * A view of `store` whose `method` (the packer's or the merge's row read) runs `act` the first
 * time it returns rows for which `when` holds (default: any rows), then returns those rows.
 * `raced()` says whether it ran.
 */
export function racingStore<M extends RowRead>(
  store: TenantStore,
  method: M,
  act: (rows: RowsOf<M>) => Promise<unknown>,
  when: (rows: RowsOf<M>) => boolean = (rows) => rows.length > 0,
): { store: TenantStore; raced: () => boolean } {
  let raced = false;
  const read = store.segments[method] as (...a: unknown[]) => Promise<RowsOf<M>>;
  const wrapped = async (...a: unknown[]) => {
    const rows = await read.apply(store.segments, a);
    if (!raced && when(rows)) {
      raced = true;
      await act(rows);
    }
    return rows;
  };
  return { store: { ...store, segments: { ...store.segments, [method]: wrapped } }, raced: () => raced };
}

export const kernels = createReferenceKernels();
export const NOW = Date.parse("2026-03-10T12:00:00.000Z");
/** A complete day three days before NOW. */
export const DAY = Math.floor((NOW - 3 * DAY_MS) / DAY_MS);
export const deps = { clock: () => new Date(NOW), newId: () => crypto.randomUUID() };
export const FROM = new Date(NOW - 7 * DAY_MS);
export const TO = new Date(NOW);

/** A tenant store whose policy gates on attribute "a". */
export async function tenantWithPolicyOnA() {
  const t = await createTestTenantStore();
  const policy = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "a", thresholds: { demographicParityGap: 0.9 } });
  await t.store.write([t.store.governance.putPolicyStmt(policy, "test", new Date(NOW).toISOString())]);
  return t;
}
