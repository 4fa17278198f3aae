/**
 * @module services/console-views
 * Read models the console's screens render: each assembles what one screen shows
 * from the same store reads the API routes use, so the console never reads
 * anything the API could not. Pure reads; nothing here writes.
 */
import type { FlowStatus } from "../domain/flow.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { LatestVerdict } from "../store/tenant/flow-summaries.js";
import { type FlowView, flowView } from "./flows.js";

export interface FlowRow extends FlowView {
  lastVerdict: LatestVerdict | null;
}

/** The Flows screen: flows (archived only when asked for, as in the API) with their latest verdict. */
export async function flowsOverview(store: TenantStore, status?: FlowStatus): Promise<FlowRow[]> {
  const [flows, verdicts] = await Promise.all([store.flows.list(status), store.flowSummaries.latestVerdicts()]);
  return flows.filter((f) => status !== undefined || f.status !== "archived").map((f) => ({ ...flowView(f), lastVerdict: verdicts.get(f.id) ?? null }));
}
