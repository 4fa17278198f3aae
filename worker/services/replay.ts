/**
 * @module services/replay
 * The I/O around the synthetic slices: a seeded sample of the window's recorded
 * requests and the definition of the version under evaluation; the replay and the
 * counterfactual themselves are pure domain functions.
 */
import { type DriverTarget, type Drivers, findDrivers } from "../domain/drivers.js";
import type { Evaluation } from "../domain/evaluation.js";
import type { FlowDefinition } from "../domain/flow.js";
import type { GateInput } from "../domain/gate.js";
import type { ResolvedPolicy } from "../domain/policy.js";
import { counterfactualFlips, type RecordedRequest, replayCandidate } from "../domain/replay.js";
import { slicesOf } from "../domain/slices.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import type { TenantStore } from "../store/tenant-store.js";

const NOT_REQUESTED = "not measured: give counterfactualFlipRate a threshold or maxRegression, or set counterfactualSampleSize, to measure it on every evaluation";

export interface SyntheticSlices {
  input: Pick<GateInput, "replayed" | "counterfactual" | "counterfactualSource" | "counterfactualNote">;
  replay: Evaluation["replay"];
  /** The sample and definition read, when one was (the drivers analysis reuses them rather than reading again). */
  read?: { requests: RecordedRequest[]; definition: FlowDefinition };
}

/**
 * Publishing a version other than the active one replays that candidate on the window's
 * recorded requests; the counterfactual always runs the version under evaluation.
 * Both use one seeded sample (policy.seed), so the evaluation reproduces exactly.
 */
export async function syntheticSlices(
  store: TenantStore,
  flow: FlowRecord,
  version: number,
  trigger: "publish" | "recheck",
  rp: ResolvedPolicy,
  window: { from: Date; to: Date },
): Promise<SyntheticSlices> {
  const candidate = trigger === "publish" && version !== flow.activeVersion;
  const source = candidate ? ("replayed" as const) : ("observed" as const);
  // The sample scans the window index (O(window)), so it is only read when something needs it.
  const cfSize = rp.counterfactualRequested || candidate ? rp.counterfactualSampleSize : 0;
  const size = Math.max(candidate ? rp.replaySampleSize : 0, cfSize);
  const off = rp.counterfactualSampleSize === 0 ? "disabled (counterfactualSampleSize 0)" : NOT_REQUESTED;
  if (size === 0) return { input: { counterfactualSource: source, counterfactualNote: off }, replay: null };
  const def = await store.flows.getDefinition(flow.id, version);
  if (!def) return { input: { counterfactualSource: source, counterfactualNote: `version ${version} has no definition` }, replay: null };

  const sample = await store.window.sampleWindow(flow.key, window.from.getTime(), window.to.getTime(), size, rp.seed);
  const requests: RecordedRequest[] = sample.map((r) => ({ attributes: r.attributes, selected: r.selected, converted: r.converted }));
  const slices = slicesOf(rp.attributes);
  let replayed: GateInput["replayed"] = null;
  let replay: Evaluation["replay"] = null;
  if (candidate) {
    const r = replayCandidate(def, requests.slice(0, rp.replaySampleSize), slices, rp.calibrationBins);
    replayed = r.slices;
    replay = { version, requests: r.requests, refused: r.refused, changed: r.changed };
  }
  const cfRequests = requests.slice(0, cfSize);
  const counterfactual = cfSize > 0 ? Object.fromEntries(slices.map((s) => [s.name, counterfactualFlips(def, cfRequests, s)])) : null;
  return {
    input: {
      replayed,
      counterfactual,
      counterfactualSource: source,
      counterfactualNote: off,
    },
    replay,
    read: { requests, definition: def },
  };
}

/**
 * The drivers of the breached selection metrics of `version` (domain/drivers) on the
 * window's seeded sample, at most counterfactualSampleSize requests: the sample the
 * synthetic slices read when they read one, else read here.
 */
export async function breachDrivers(
  store: TenantStore,
  flow: FlowRecord,
  version: number,
  rp: ResolvedPolicy,
  window: { from: Date; to: Date },
  targets: DriverTarget[],
  read: SyntheticSlices["read"],
): Promise<Drivers> {
  const none = (note: string): Drivers => ({ requests: 0, refused: 0, parts: 0, note, items: [] });
  if (rp.counterfactualSampleSize === 0) return none("not analysed: counterfactualSampleSize is 0");
  const definition = read?.definition ?? (await store.flows.getDefinition(flow.id, version));
  if (!definition) return none(`version ${version} has no definition`);
  // A read sample is at least counterfactualSampleSize long, and a prefix of the seeded sample is the smaller sample.
  const requests =
    read?.requests ??
    (await store.window.sampleWindow(flow.key, window.from.getTime(), window.to.getTime(), rp.counterfactualSampleSize, rp.seed)).map((r) => ({
      attributes: r.attributes,
      selected: r.selected,
      converted: r.converted,
    }));
  return findDrivers(definition, requests, targets, { sensitive: rp.attributes, limit: rp.counterfactualSampleSize });
}
