/**
 * @module services/evaluate
 * Evaluates one flow over its rolling window: the single path shared by the
 * publish gate and the daily recheck. Reads (window slices, recorded-request
 * sample, baseline, overrides) happen here; the decision itself is the pure
 * domain function, with intervals drawn by the kernels' Poisson bootstrap.
 */
import { driverTargets } from "../domain/drivers.js";
import { buildEvaluation, type Evaluation, windowFor } from "../domain/evaluation.js";
import { applicableOverride, decideGate, type GateInput, type GateResult, INSUFFICIENT_EVIDENCE, type SequentialInput } from "../domain/gate.js";
import { type FairnessPolicy, type ResolvedPolicy, resolvePolicy } from "../domain/policy.js";
import { counterfactualFlips, type RecordedRequest } from "../domain/replay.js";
import { slicesOf } from "../domain/slices.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { ServiceDeps } from "./context.js";
import { breachDrivers, type SyntheticSlices, syntheticSlices } from "./replay.js";

export interface FlowEvaluation {
  evaluation: Evaluation;
  gate: GateResult;
  /**
   * SHA-256 of the window's usable traces, computed by the window reader in the same pass
   * as the tables (engine/dataset-hash.ts); null without an enabled policy (no window read).
   * Pass it to `evidence.evaluationStmt`, which stores and chains it.
   */
  datasetHash: string | null;
}

/**
 * Under decisionRule "sequential": the version's kept sequence states and the observed slices
 * of the data since they were last advanced ([through, now): the window reader's ranges are
 * half-open, so no trace is counted twice). A publish gate keeps nothing and judges the window.
 */
export async function sequentialInput(
  deps: ServiceDeps,
  store: TenantStore,
  flow: FlowRecord,
  version: number,
  trigger: "publish" | "recheck",
  rp: ResolvedPolicy,
  w: { from: Date; to: Date },
): Promise<SequentialInput | null> {
  if (rp.decisionRule !== "sequential") return null;
  const base = { from: w.from.toISOString(), through: w.to.toISOString() };
  if (trigger === "publish") return { ...base, prior: [], increment: null, persist: false };
  const prior = await store.sequential.list(flow.id, version);
  const since = prior.length ? new Date(Math.min(...prior.map((s) => Date.parse(s.through)))) : null;
  const kept = (m: string) => prior.some((s) => s.metric === m);
  // The calibration gap's sequence adds the increment's calibration bins; only read when it is kept.
  const opts = kept("calibrationGap") ? { calibrationBins: rp.calibrationBins } : {};
  const increment = since && since < w.to ? (await deps.windowReader(store).readWindow(flow.key, rp.attributes, since, w.to, opts)).slices : null;
  const incrementCounterfactual = since && since < w.to && kept("counterfactualFlipRate") ? await counterfactualOf(store, flow, version, rp, since, w.to) : null;
  // Every kept state was advanced together, so they share `through`; an empty increment (a rerun at the same instant) adds nothing.
  return { ...base, prior, increment: since ? (increment ?? []) : null, incrementCounterfactual, persist: true };
}

/**
 * The flip-rate sequence's new data: the version's counterfactual on a seeded sample of the
 * requests recorded in [from, to) — requests no earlier look has seen (ranges are half-open).
 */
async function counterfactualOf(store: TenantStore, flow: FlowRecord, version: number, rp: ResolvedPolicy, from: Date, to: Date) {
  if (rp.counterfactualSampleSize === 0) return null;
  const def = await store.flows.getDefinition(flow.id, version);
  if (!def) return null;
  const sample = await store.window.sampleWindow(flow.key, from.getTime(), to.getTime(), rp.counterfactualSampleSize, rp.seed);
  const requests: RecordedRequest[] = sample.map((r) => ({ attributes: r.attributes, selected: r.selected, converted: r.converted }));
  return Object.fromEntries(slicesOf(rp.attributes).map((s) => [s.name, counterfactualFlips(def, requests, s)]));
}

/** `p`, with a no-op rejection handler attached: it is awaited later, and failing before then must not go unhandled. */
function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/**
 * Evaluates `flow` at `version` under the tenant's current policy. Publishing a
 * version other than the active one also replays it on the window's recorded
 * requests. Any store failure propagates as StoreUnavailableError: callers must
 * fail closed.
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
  let input: GateInput = { observed: [] };
  let window: Evaluation["window"] = null;
  let replay: Evaluation["replay"] = null;
  let datasetHash: string | null = null;
  let analyse: ((gate: GateResult) => Promise<Evaluation["drivers"] | undefined>) | null = null;
  // The overrides (and, below, the baseline) do not depend on the window: they are asked for
  // with it, so the store answers them while this thread merges the window.
  let overrides: ReturnType<TenantStore["governance"]["activeOverridesFor"]>;
  if (pol?.enabled) {
    const rp = resolvePolicy(pol);
    const w = windowFor(now, pol.windowDays);
    window = { from: w.from.toISOString(), to: w.to.toISOString(), days: pol.windowDays };
    const reading = deps.windowReader(store).readWindow(flow.key, rp.attributes, w.from, w.to, { calibrationBins: rp.calibrationBins });
    const baseline = handled(store.evidence.lastPassingEvaluation(flow.id));
    overrides = handled(store.governance.activeOverridesFor(flow.id));
    const read = await reading;
    const observed = read.slices;
    datasetHash = read.datasetHash;
    const usable = observed.some((s) => s.table.groups.length > 0);
    // An empty window has no recorded request to replay: skip the sample read.
    const synthetic = usable ? await syntheticSlices(store, flow, version, trigger, rp, w) : null;
    replay = synthetic?.replay ?? null;
    input = { observed, ...synthetic?.input, baseline: await baseline, sequential: await sequentialInput(deps, store, flow, version, trigger, rp, w) };
    if (usable) analyse = (gate) => driversOf(store, flow, version, rp, w, gate, synthetic?.read);
  } else overrides = store.governance.activeOverridesFor(flow.id);
  const override = applicableOverride(await overrides, flow.id, now);
  // Kernels.bootstrap (Wasm in production): the same seed gives the same bits everywhere.
  const gate = decideGate(pol, input, override, { resample: (cells, replicates, seed) => deps.kernels.bootstrap(cells, replicates, seed) });
  const drivers = analyse ? await analyse(gate) : undefined;
  const evaluation = buildEvaluation({ id: deps.newId(), flowId: flow.id, flowKey: flow.key, version, trigger, policy: pol, window, now, replay, drivers }, gate);
  return { evaluation, gate, datasetHash };
}

/**
 * The drivers of a breached or warned selection metric (undefined: nothing to explain).
 * A skip for too few samples judged nothing, so nothing is explained either.
 */
async function driversOf(
  store: TenantStore,
  flow: FlowRecord,
  version: number,
  rp: ResolvedPolicy,
  w: { from: Date; to: Date },
  gate: GateResult,
  read: SyntheticSlices["read"],
): Promise<Evaluation["drivers"] | undefined> {
  if (gate.verdict === "skip" && gate.reason !== INSUFFICIENT_EVIDENCE) return undefined;
  const targets = driverTargets(gate.results);
  return targets.length === 0 ? undefined : breachDrivers(store, flow, version, rp, w, targets, read);
}
