/**
 * @module domain/drivers
 * Drivers of a breach, pure: which parts of the evaluated flow version make a
 * selection metric's gap. Each part (a categorical weight on one value, a numeric
 * weight, an eligibility rule, an offer's minPropensity) is neutralised in turn —
 * weight set to 0, rule dropped, threshold set to 0 — and the version is replayed
 * (domain/replay `replayCandidate`, the machinery of the candidate replay) on the
 * same recorded requests. A part's contribution is how much the gap narrows
 * without it; the parts are ranked by it. `before` is the unmodified version
 * replayed on the same requests, so before and after are always comparable (it can
 * differ from the window's observed value: a sample, possibly another version's decisions).
 */
import { z } from "zod";
import { aggregateDetails } from "./metrics.js";
import { type Attributes, type FlowDefinition, ruleHolds } from "./flow.js";
import { type RecordedRequest, replayCandidate, sliceValue } from "./replay.js";
import type { SliceSpec } from "./slices.js";
import { METRICS } from "./tiers.js";

export const DRIVER_KINDS = ["categorical_weight", "numeric_weight", "eligibility_rule", "min_propensity"] as const;
export type DriverKind = (typeof DRIVER_KINDS)[number];
/** The metrics a flow's selection alone decides: the ones a replay can measure on every request. */
export const SELECTION_METRICS = ["disparateImpactRatio", "demographicParityGap"] as const;
export type SelectionMetric = (typeof SELECTION_METRICS)[number];

/** Flow executions one drivers analysis may spend (parts + 1 replays); fewer requests are used beyond it. */
export const MAX_DRIVER_RUNS = 200_000;
/** Drivers kept per breached (slice, metric). */
export const MAX_DRIVERS_PER_METRIC = 10;

const int = z.number().int();

export const driverSchema = z.object({
  kind: z.enum(DRIVER_KINDS),
  offer: z.string(),
  /** The weight's or rule's attribute; null for min_propensity. */
  attribute: z.string().nullable(),
  /** categorical_weight: the attribute value the weight is on. */
  value: z.string().optional(),
  /** eligibility_rule: the rule's index in the offer's `eligibility`. */
  rule: int.optional(),
  /** The part reads a sensitive attribute of the policy (direct use). */
  directUse: z.boolean(),
  /** The metric on the replayed requests with the part as it is (before) and neutralised (after). */
  effect: z.object({ metric: z.enum(SELECTION_METRICS), slice: z.string(), before: z.number().nullable(), after: z.number().nullable() }),
  /** How far neutralising the part moves the metric towards fair (positive: the part widens the gap). */
  contribution: z.number(),
  /** eligibility_rule: per group of the slice, requests the rule turns away from the offer (of n replayed). */
  excludes: z.array(z.object({ group: z.string(), excluded: int, n: int })).optional(),
});
export type Driver = z.infer<typeof driverSchema>;

export const driversSchema = z.object({
  /** Recorded requests replayed (the flow ran), at most the policy's counterfactualSampleSize. */
  requests: int,
  /** Requests the version refused (attribute types), not counted. */
  refused: int,
  /** Parts of the version neutralised one at a time. */
  parts: int,
  /** Why there are no drivers, when there are none. */
  note: z.string().nullable(),
  /** Per breached (slice, metric), most severe first: the parts that widen the gap, largest contribution first. */
  items: z.array(driverSchema),
});
export type Drivers = z.infer<typeof driversSchema>;

/** One part of a flow that can be neutralised. */
export type FlowPart =
  | { kind: "categorical_weight"; offer: number; attribute: string; value: string }
  | { kind: "numeric_weight"; offer: number; attribute: string }
  | { kind: "eligibility_rule"; offer: number; rule: number }
  | { kind: "min_propensity"; offer: number };

/** Every part of a definition, in definition order (per offer: categorical, numeric, rules, threshold). */
export function flowParts(def: FlowDefinition): FlowPart[] {
  const out: FlowPart[] = [];
  def.offers.forEach((o, i) => {
    for (const [attribute, table] of Object.entries(o.model.categorical)) for (const value of Object.keys(table)) out.push({ kind: "categorical_weight", offer: i, attribute, value });
    for (const attribute of Object.keys(o.model.numeric)) out.push({ kind: "numeric_weight", offer: i, attribute });
    o.eligibility.forEach((_, r) => out.push({ kind: "eligibility_rule", offer: i, rule: r }));
    out.push({ kind: "min_propensity", offer: i });
  });
  return out;
}

/** The part's current value is already neutral (a zero weight, a zero threshold): removing it changes nothing. */
export function isNeutral(def: FlowDefinition, p: FlowPart): boolean {
  const o = def.offers[p.offer]!;
  if (p.kind === "categorical_weight") return o.model.categorical[p.attribute]![p.value] === 0;
  if (p.kind === "numeric_weight") return o.model.numeric[p.attribute] === 0;
  if (p.kind === "min_propensity") return o.minPropensity === 0;
  return false;
}

/** A copy of `def` with part `p` neutralised: weight 0, rule dropped, minPropensity 0. */
export function neutralise(def: FlowDefinition, p: FlowPart): FlowDefinition {
  const offers = def.offers.map((o, i) => {
    if (i !== p.offer) return o;
    switch (p.kind) {
      case "categorical_weight":
        return { ...o, model: { ...o.model, categorical: { ...o.model.categorical, [p.attribute]: { ...o.model.categorical[p.attribute], [p.value]: 0 } } } };
      case "numeric_weight":
        return { ...o, model: { ...o.model, numeric: { ...o.model.numeric, [p.attribute]: 0 } } };
      case "eligibility_rule":
        return { ...o, eligibility: o.eligibility.filter((_, r) => r !== p.rule) };
      case "min_propensity":
        return { ...o, minPropensity: 0 };
    }
  });
  return { ...def, offers };
}

/** The attribute a part reads (null: the threshold reads none). */
export function partAttribute(def: FlowDefinition, p: FlowPart): string | null {
  if (p.kind === "eligibility_rule") return def.offers[p.offer]!.eligibility[p.rule]!.attribute;
  return p.kind === "min_propensity" ? null : p.attribute;
}

/** A breached (or warned) selection metric of one slice: what the drivers explain. */
export interface DriverTarget {
  slice: SliceSpec;
  metric: SelectionMetric;
  /** Groups the evaluation left out of the slice's aggregates (below minGroupSize): left out here too. */
  excluded: ReadonlySet<string>;
}

/** The target metric over replayed tables, with the evaluation's excluded groups left out. */
function metricOn(slices: ReturnType<typeof replayCandidate>["slices"], index: number, t: DriverTarget): number | null {
  const groups = slices[index]!.table.groups.filter((g) => g.n > 0 && !t.excluded.has(g.value));
  return aggregateDetails(groups, null)[t.metric].value;
}

/** Positive when `after` is fairer than `before` (a ratio rose, a gap fell). */
export function towardsFair(metric: SelectionMetric, before: number | null, after: number | null): number {
  if (before === null || after === null) return 0;
  return METRICS[metric].lowerIsWorse ? after - before : before - after;
}

/** Contributions below this are rounding, not a driver. */
const EPSILON = 1e-12;

export interface DriverOptions {
  /** The policy's sensitive attributes (direct use). */
  sensitive: readonly string[];
  /** Most requests to replay (the policy's counterfactualSampleSize). */
  limit: number;
  maxRuns?: number;
  perMetric?: number;
}

/** Every part's effect on every target, unranked: the drivers analysis and the what-if ranking share it. */
export function partEffects(def: FlowDefinition, requests: readonly RecordedRequest[], targets: readonly DriverTarget[], opts: DriverOptions) {
  const parts = flowParts(def).filter((p) => !isNeutral(def, p));
  const specs = targets.map((t) => t.slice);
  const take = Math.max(0, Math.min(requests.length, opts.limit, Math.floor((opts.maxRuns ?? MAX_DRIVER_RUNS) / (parts.length + 1))));
  const used = requests.slice(0, take);
  const base = replayCandidate(def, used, specs, 2);
  const before = targets.map((t, i) => metricOn(base.slices, i, t));
  const effects = parts.map((part) => {
    const r = replayCandidate(neutralise(def, part), used, specs, 2);
    return { part, after: targets.map((t, i) => metricOn(r.slices, i, t)) };
  });
  return { parts, used, base, before, effects };
}

/** Per group of `slice`: requests rule `rule` of the offer turns away, of those replayed. */
function exclusions(rule: FlowDefinition["offers"][number]["eligibility"][number], used: readonly RecordedRequest[], slice: SliceSpec, excluded: ReadonlySet<string>) {
  const by = new Map<string, { group: string; excluded: number; n: number }>();
  for (const r of used) {
    const g = sliceValue(r.attributes as Attributes, slice.attributes);
    if (g === null || excluded.has(g)) continue;
    let e = by.get(g);
    if (!e) by.set(g, (e = { group: g, excluded: 0, n: 0 }));
    e.n++;
    if (!ruleHolds(rule, r.attributes)) e.excluded++;
  }
  return [...by.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}

const KIND_ORDER: Record<DriverKind, number> = { categorical_weight: 0, numeric_weight: 1, eligibility_rule: 2, min_propensity: 3 };

/**
 * The drivers of `targets` (most severe first) on `requests` (a seeded sample of the
 * window's recorded requests). Requests are cut to `opts.limit` and so that
 * (parts + 1) × requests ≤ maxRuns; the count replayed is reported.
 */
export function findDrivers(def: FlowDefinition, requests: readonly RecordedRequest[], targets: readonly DriverTarget[], opts: DriverOptions): Drivers {
  if (targets.length === 0) return { requests: 0, refused: 0, parts: 0, note: "no selection metric breached", items: [] };
  const { parts, used, base, before, effects } = partEffects(def, requests, targets, opts);
  const sensitive = new Set(opts.sensitive);
  const items: Driver[] = [];
  targets.forEach((t, i) => {
    const ranked = effects
      .map(({ part, after }) => ({ part, after: after[i]!, contribution: towardsFair(t.metric, before[i]!, after[i]!) }))
      .filter((x) => x.contribution > EPSILON)
      .sort((a, b) => b.contribution - a.contribution || KIND_ORDER[a.part.kind] - KIND_ORDER[b.part.kind] || a.part.offer - b.part.offer)
      .slice(0, opts.perMetric ?? MAX_DRIVERS_PER_METRIC);
    for (const { part, after, contribution } of ranked) {
      const attribute = partAttribute(def, part);
      const offer = def.offers[part.offer]!;
      items.push({
        kind: part.kind,
        offer: offer.id,
        attribute,
        ...(part.kind === "categorical_weight" ? { value: part.value } : {}),
        ...(part.kind === "eligibility_rule" ? { rule: part.rule, excludes: exclusions(offer.eligibility[part.rule]!, used, t.slice, t.excluded) } : {}),
        directUse: attribute !== null && sensitive.has(attribute),
        effect: { metric: t.metric, slice: t.slice.name, before: before[i]!, after },
        contribution,
      });
    }
  });
  const note = base.requests === 0 ? "no recorded request could be replayed" : items.length === 0 ? "no single part of the version narrows the gap when neutralised" : null;
  return { requests: base.requests, refused: base.refused, parts: parts.length, note, items };
}

/** The first `k` drivers (the most severe breach's largest contributions first). */
export function topDrivers(d: Drivers | null | undefined, k = 3): Driver[] {
  return d ? d.items.slice(0, k) : [];
}

const SEVERITY = { block: 0, critical: 1, warning: 2 } as const;
type Severe = keyof typeof SEVERITY;
const isSevere = (s: string): s is Severe => s in SEVERITY;

/**
 * The selection metrics an evaluation's results breached or warned on, one target per
 * (slice, metric) whatever the source (observed or replayed: the drivers are always of
 * the version under evaluation), block tier first.
 */
export function driverTargets(results: readonly { slice: string; attributes: string[]; excludedGroups: { value: string }[]; metrics: Record<string, { status: string }> }[]): DriverTarget[] {
  const found = new Map<string, DriverTarget & { severity: number; order: number }>();
  for (const r of results) {
    for (const metric of SELECTION_METRICS) {
      const status = r.metrics[metric]?.status ?? "";
      if (!isSevere(status)) continue;
      const key = `${r.slice}\u0000${metric}`;
      const prev = found.get(key);
      if (prev && prev.severity <= SEVERITY[status]) continue;
      found.set(key, { slice: { name: r.slice, attributes: r.attributes }, metric, excluded: new Set(r.excludedGroups.map((g) => g.value)), severity: SEVERITY[status], order: prev?.order ?? found.size });
    }
  }
  return [...found.values()].sort((a, b) => a.severity - b.severity || a.order - b.order).map(({ slice, metric, excluded }) => ({ slice, metric, excluded }));
}
