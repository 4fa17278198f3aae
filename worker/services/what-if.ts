/**
 * @module services/what-if
 * What would pass, and at what cost: single changes to a flow version, each judged
 * by the publish gate's own decision (decideGate) on the input a publish of that
 * change would see — the window's observed slices, the changed version replayed on
 * the same seeded sample of recorded requests, the baseline — with no override (a
 * suggestion must pass, not be bypassed). Nothing is stored but an audit row;
 * `apply` turns one change into a new draft through the flow-versioning service
 * (editFlow), and publishing it still goes through the gate.
 */
import { z } from "zod";
import { driverTargets, flowParts, isNeutral, partEffects, towardsFair } from "../domain/drivers.js";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { windowFor } from "../domain/evaluation.js";
import type { FlowDefinition } from "../domain/flow.js";
import { decideGate, type GateInput, type GateOptions, type GateResult } from "../domain/gate.js";
import { type FairnessPolicy, type ResolvedPolicy, resolvePolicy } from "../domain/policy.js";
import { counterfactualFlips, type RecordedRequest, replayCandidate } from "../domain/replay.js";
import { slicesOf } from "../domain/slices.js";
import { applyChange, byUtility, changeOfPart, emptyUtility, searchThreshold, tallyUtility, thresholdValues, type Utility, type WhatIfChange, whatIfChangeSchema } from "../domain/what-if.js";
import type { TenantStore } from "../store/tenant-store.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";
import { sequentialInput } from "./evaluate.js";
import { editFlow, type FlowView } from "./flows.js";

export const whatIfRequestSchema = z.strictObject({
  /** The version to start from (default: the latest). */
  version: z.number().int().min(1).optional(),
  /** With `?apply=true`: the change (one of the suggestions' `change`) to turn into a new draft. */
  change: whatIfChangeSchema.optional(),
});
export type WhatIfRequest = z.infer<typeof whatIfRequestSchema>;
export const whatIfQuerySchema = z.strictObject({ apply: z.enum(["true", "false"]).default("false") });

/**
 * The work one what-if may do, in flow runs: each judgement counts twice its replayed requests
 * (the replay, and the gate's own work on the result). Changes beyond it are not tried (`truncated`).
 */
export const MAX_WHAT_IF_RUNS = 2_000_000;

const utilitySchema = z.object({
  selected: z.number().int(),
  selectedDelta: z.number().int(),
  observedConversions: z.number().int(),
  observedConversionsDelta: z.number().int(),
  expectedConversions: z.number(),
  expectedConversionsDelta: z.number(),
});
const judgedSchema = z.object({
  verdict: z.enum(["pass", "skip", "block", "bypass"]),
  violations: z.array(z.string()),
  /** The changed version's primary slice replayed on the recorded requests. */
  metrics: z.object({ disparateImpactRatio: z.number().nullable(), demographicParityGap: z.number().nullable(), equalOpportunityGap: z.number().nullable() }),
  utility: utilitySchema,
});
const suggestionSchema = judgedSchema.extend({ change: whatIfChangeSchema });
export const whatIfResultSchema = z.object({
  flowId: z.string(),
  version: z.number().int(),
  window: z.object({ from: z.string(), to: z.string(), days: z.number().int() }),
  /** Recorded requests each change was replayed on (the publish gate's replay sample). */
  requests: z.number().int(),
  /** The version as it is, judged the same way. */
  current: judgedSchema,
  /** Single changes that pass, by smallest utility loss (most expected conversions first). */
  suggestions: z.array(suggestionSchema),
  /** Changes judged (threshold search steps included). */
  evaluated: z.number().int(),
  /** Some changes were not tried: the run budget was spent. */
  truncated: z.boolean(),
  note: z.string().nullable(),
  /** `?apply=true`: the change, its judgement and the new draft version. */
  applied: suggestionSchema.extend({ draft: z.object({ id: z.string(), version: z.number().int(), status: z.string() }) }).optional(),
});
export type WhatIfResult = z.infer<typeof whatIfResultSchema>;
type Judged = z.infer<typeof judgedSchema>;

/** Everything the judgement of one changed version shares with every other. */
interface Bench {
  policy: FairnessPolicy;
  rp: ResolvedPolicy;
  base: GateInput;
  requests: RecordedRequest[];
  reference: Utility | null;
  gatesCounterfactual: boolean;
  resample: NonNullable<GateOptions["resample"]>;
}

const PINNED = ["disparateImpactRatio", "demographicParityGap", "equalOpportunityGap"] as const;

/** The gate's verdict on `def` as a publish of it would decide it, and its utility. */
function judge(b: Bench, def: FlowDefinition): Judged & { gate: GateResult; raw: Utility } {
  const slices = slicesOf(b.rp.attributes);
  const replay = b.requests.slice(0, b.rp.replaySampleSize);
  const raw = emptyUtility();
  const replayed = replayCandidate(def, replay, slices, b.rp.calibrationBins, (r, d) => tallyUtility(raw, r, d)).slices;
  // The flip rate can change a verdict only where the policy gates on it; elsewhere it is left unmeasured.
  const cfRequests = b.requests.slice(0, b.rp.counterfactualSampleSize);
  const counterfactual = b.gatesCounterfactual ? Object.fromEntries(slices.map((s) => [s.name, counterfactualFlips(def, cfRequests, s)])) : null;
  const input: GateInput = { ...b.base, replayed, counterfactual, counterfactualSource: "replayed", counterfactualNote: "not measured by what-if (the policy does not gate on it)" };
  const gate = decideGate(b.policy, input, null, { resample: b.resample });
  const primary = gate.results.find((r) => r.source === "replayed");
  const ref = b.reference ?? raw;
  return {
    gate,
    raw,
    verdict: gate.verdict,
    violations: gate.violations,
    metrics: Object.fromEntries(PINNED.map((m) => [m, primary?.metrics[m].value ?? null])) as Judged["metrics"],
    utility: {
      ...raw,
      selectedDelta: raw.selected - ref.selected,
      observedConversionsDelta: raw.observedConversions - ref.observedConversions,
      expectedConversionsDelta: raw.expectedConversions - ref.expectedConversions,
    },
  };
}

const strip = ({ gate: _g, raw: _r, ...j }: Judged & { gate: GateResult; raw: Utility }): Judged => j;

/**
 * The single changes worth trying, most promising first: weights and rules ordered by
 * how far neutralising each moves the breached selection metrics towards fair (the
 * drivers' replays, on the counterfactual sample), then one threshold search per offer.
 */
function singleChanges(def: FlowDefinition, b: Bench, current: GateResult): WhatIfChange[] {
  const targets = driverTargets(current.results);
  const parts = flowParts(def).filter((p) => p.kind !== "min_propensity" && !isNeutral(def, p));
  if (targets.length > 0) {
    const fx = partEffects(def, b.requests, targets, { sensitive: b.rp.attributes, limit: b.rp.counterfactualSampleSize });
    const score = new Map(fx.effects.map((e) => [e.part, targets.reduce((s, t, i) => s + towardsFair(t.metric, fx.before[i]!, e.after[i]!), 0)]));
    parts.sort((x, y) => (score.get(y) ?? 0) - (score.get(x) ?? 0));
  }
  return parts.map((p) => changeOfPart(def, p)!).filter((c) => c !== null);
}

async function loadBench(deps: ServiceDeps, store: TenantStore, flowKey: string, policy: FairnessPolicy, now: Date) {
  const rp = resolvePolicy(policy);
  const w = windowFor(now, policy.windowDays);
  const read = await deps.windowReader(store).readWindow(flowKey, rp.attributes, w.from, w.to, { calibrationBins: rp.calibrationBins });
  const sample = await store.window.sampleWindow(flowKey, w.from.getTime(), w.to.getTime(), Math.max(rp.replaySampleSize, rp.counterfactualSampleSize), rp.seed);
  return { rp, w, observed: read.slices, requests: sample.map((r) => ({ attributes: r.attributes, selected: r.selected, converted: r.converted })) };
}

/** POST /decision-flows/{id}/what-if. 404 unknown flow or version; 409 without an enabled policy; 400 a bad change. */
export async function whatIf(deps: ServiceDeps, store: TenantStore, actor: Actor, flowId: string, req: WhatIfRequest, apply: boolean): Promise<WhatIfResult> {
  const flow = await store.flows.get(flowId);
  if (!flow) throw new NotFoundError("decision flow");
  const version = req.version ?? flow.latestVersion;
  const def = version <= flow.latestVersion ? await store.flows.getDefinition(flow.id, version) : null;
  if (!def) throw new NotFoundError(`version ${version} of the decision flow`);
  if (apply && !req.change) throw new ValidationError("apply=true needs `change`: one of the suggestions' change objects", {}, "what_if_change_required");
  if (!apply && req.change) throw new ValidationError("`change` is only read with apply=true", {}, "what_if_change_unexpected");
  const policy = await store.governance.getPolicy();
  if (!policy?.enabled) throw new ConflictError("fairness_policy_disabled", "The tenant has no enabled fairness policy: nothing can pass or fail.");
  const now = deps.clock();
  const { rp, w, observed, requests } = await loadBench(deps, store, flow.key, policy, now);
  const base: GateInput = {
    observed,
    baseline: await store.evidence.lastPassingEvaluation(flow.id),
    // As a publish of the change would: the window is the look, nothing is kept.
    sequential: await sequentialInput(deps, store, flow, version, "publish", rp, w),
  };
  const bench: Bench = {
    policy,
    rp,
    base,
    requests,
    reference: null,
    gatesCounterfactual: rp.thresholds.counterfactualFlipRate !== undefined,
    resample: (cells, replicates, seed) => deps.kernels.bootstrap(cells, replicates, seed),
  };
  const cur = judge(bench, def);
  bench.reference = cur.raw;
  const replayed = Math.min(requests.length, rp.replaySampleSize);
  const head = { flowId: flow.id, version, window: { from: w.from.toISOString(), to: w.to.toISOString(), days: policy.windowDays }, requests: replayed, current: strip(cur) };

  if (apply) {
    const changed = applyChange(def, req.change!);
    const judged = strip(judge(bench, changed));
    // One batch: the new version and its edit audit row, which records that it came from this what-if.
    const draft: FlowView = await editFlow(deps, store, actor, flow.id, changed, { whatIf: { basedOnVersion: version, change: req.change, verdict: judged.verdict } });
    return { ...head, suggestions: [], evaluated: 1, truncated: false, note: null, applied: { ...judged, change: req.change!, draft: { id: draft.id, version: draft.version, status: draft.status } } };
  }

  const suggestions: (Judged & { change: WhatIfChange })[] = [];
  let evaluated = 0;
  let truncated = false;
  let note: string | null = null;
  const perRun = Math.max(1, 2 * replayed);
  const budget = Math.max(1, Math.floor(MAX_WHAT_IF_RUNS / perRun));
  const passes = (d: FlowDefinition) => {
    evaluated++;
    const j = judge(bench, d);
    return { ok: j.verdict === "pass", j };
  };
  if (replayed === 0) note = "no recorded request in the window: nothing to replay a change on";
  else if (cur.verdict === "pass") note = "the version already passes on the current window";
  else {
    for (const change of singleChanges(def, bench, cur.gate)) {
      if (evaluated >= budget) {
        truncated = true;
        break;
      }
      const { ok, j } = passes(applyChange(def, change));
      if (ok) suggestions.push({ change, ...strip(j) });
    }
    def.offers.forEach((o, i) => {
      if (truncated || evaluated >= budget) return void (truncated = true);
      const judgedAt = new Map<number, Judged>();
      const { threshold } = searchThreshold(thresholdValues(def, i, requests.slice(0, rp.replaySampleSize)), o.minPropensity, (t) => {
        if (evaluated >= budget) return (truncated = true), false;
        const { ok, j } = passes(applyChange(def, { type: "set_min_propensity", offer: o.id, minPropensity: t }));
        judgedAt.set(t, strip(j));
        return ok;
      });
      const j = threshold === null ? undefined : judgedAt.get(threshold);
      if (threshold !== null && j) suggestions.push({ change: { type: "set_min_propensity", offer: o.id, minPropensity: threshold }, ...j });
    });
    suggestions.sort(byUtility);
    // The observed traffic is part of every publish's input: if it breaches, no draft can pass until it leaves the window.
    const observedBlocks = cur.gate.results.some((r) => r.source === "observed" && Object.values(r.metrics).some((m) => m.status === "block"));
    if (suggestions.length === 0)
      note = observedBlocks
        ? "no single change passes: the decisions recorded in the window breach the policy on their own, and a publish is judged on them too (they leave the window after windowDays, or an approved override bypasses)"
        : "no single change passes on the current window";
  }
  const at = now.toISOString();
  await store.write([
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "decision_flow",
        entityId: flow.id,
        action: "what_if",
        actor: actor.name,
        details: withActor({ version, verdict: cur.verdict, evaluated, passing: suggestions.length, window: head.window }, actor),
      },
      at,
    ),
  ]);
  return { ...head, suggestions, evaluated, truncated, note };
}
