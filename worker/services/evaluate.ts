/**
 * @module services/evaluate
 * Evaluates one flow over its rolling window: the single path shared by the
 * publish gate and the daily recheck. Reads (window, overrides) happen here;
 * the decision itself is the pure domain function.
 */
import { buildEvaluation, type Evaluation, windowFor } from "../domain/evaluation.js";
import { applicableOverride, decideGate, type GateResult } from "../domain/gate.js";
import type { FairnessPolicy } from "../domain/policy.js";
import type { ConfusionTable } from "../domain/confusion.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { ServiceDeps } from "./context.js";

export interface FlowEvaluation {
  evaluation: Evaluation;
  gate: GateResult;
}

/**
 * Evaluates `flow` at `version` under the tenant's current policy. Any store
 * failure propagates as StoreUnavailableError: callers must fail closed.
 */
export async function evaluateFlow(
  deps: ServiceDeps,
  store: TenantStore,
  flow: FlowRecord,
  version: number,
  trigger: "publish" | "recheck",
  policy?: FairnessPolicy | null,
): Promise<FlowEvaluation> {
  const now = deps.clock();
  const pol = policy === undefined ? await store.governance.getPolicy() : policy;
  let table: ConfusionTable = { groups: [] };
  let window: Evaluation["window"] = null;
  if (pol?.enabled) {
    const w = windowFor(now, pol.windowDays);
    window = { from: w.from.toISOString(), to: w.to.toISOString(), days: pol.windowDays };
    table = await deps.windowReader(store).confusionTable(flow.key, pol.sensitiveAttribute, w.from, w.to);
  }
  const override = applicableOverride(await store.governance.activeOverridesFor(flow.id), flow.id, now);
  const gate = decideGate(pol, table, override);
  const evaluation = buildEvaluation(
    { id: deps.newId(), flowId: flow.id, flowKey: flow.key, version, trigger, policy: pol, window, now },
    gate,
  );
  return { evaluation, gate };
}
