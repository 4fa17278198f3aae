/**
 * @module domain/what-if
 * What would pass, and at what cost (pure). The single changes a what-if tries —
 * zero one weight, drop one eligibility rule, a new global minPropensity for one
 * offer — applied to a definition; the utility of a definition on recorded
 * requests; and the threshold candidates of the one-dimensional search. The
 * verdict of each change is decided by the gate itself (services/what-if runs
 * decideGate on the changed version's replay), never here.
 *
 * No change may set a threshold per group of a protected attribute: the change
 * schema has no such shape, so none can be suggested or applied. Treating
 * applicants differently by a protected attribute is disparate treatment, unlawful
 * in lending and employment in most jurisdictions (docs/remediation.md).
 */
import { z } from "zod";
import { ValidationError } from "./errors.js";
import { type Attributes, AttributeTypeError, type Decision, type FlowDefinition, propensity, ruleHolds } from "./flow.js";
import type { FlowPart } from "./drivers.js";
import { attributeNameSchema } from "./policy.js";
import type { RecordedRequest } from "./replay.js";

const offerId = z.string().min(1).max(64);
/** One change to a flow version. Strict: a threshold is global to an offer, never per group. */
export const whatIfChangeSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("zero_weight"), offer: offerId, attribute: attributeNameSchema, value: z.string().max(256).optional() }),
  z.strictObject({ type: z.literal("drop_rule"), offer: offerId, rule: z.number().int().min(0).max(99) }),
  z.strictObject({ type: z.literal("set_min_propensity"), offer: offerId, minPropensity: z.number().min(0).max(1) }),
]);
export type WhatIfChange = z.infer<typeof whatIfChangeSchema>;

const invalid = (detail: string) => new ValidationError(detail, {}, "what_if_change_invalid");

/**
 * `def` with `change` applied: a weight set to 0 (categorical when `value` is given,
 * else numeric), a rule removed, or the offer's minPropensity replaced.
 * @throws ValidationError (400 what_if_change_invalid) when the change names a part the version does not have.
 */
export function applyChange(def: FlowDefinition, change: WhatIfChange): FlowDefinition {
  const i = def.offers.findIndex((o) => o.id === change.offer);
  if (i < 0) throw invalid(`the version has no offer "${change.offer}"`);
  const o = def.offers[i]!;
  let offer: typeof o;
  if (change.type === "zero_weight") {
    if (change.value !== undefined) {
      const table = Object.hasOwn(o.model.categorical, change.attribute) ? o.model.categorical[change.attribute]! : undefined;
      if (!table || !Object.hasOwn(table, change.value)) throw invalid(`offer "${o.id}" has no categorical weight on ${change.attribute} = "${change.value}"`);
      offer = { ...o, model: { ...o.model, categorical: { ...o.model.categorical, [change.attribute]: { ...table, [change.value]: 0 } } } };
    } else {
      if (!Object.hasOwn(o.model.numeric, change.attribute)) throw invalid(`offer "${o.id}" has no numeric weight on ${change.attribute}`);
      offer = { ...o, model: { ...o.model, numeric: { ...o.model.numeric, [change.attribute]: 0 } } };
    }
  } else if (change.type === "drop_rule") {
    if (change.rule >= o.eligibility.length) throw invalid(`offer "${o.id}" has no eligibility rule ${change.rule}`);
    offer = { ...o, eligibility: o.eligibility.filter((_, r) => r !== change.rule) };
  } else {
    offer = { ...o, minPropensity: change.minPropensity };
  }
  return { ...def, offers: def.offers.map((x, j) => (j === i ? offer : x)) };
}

/** The change that neutralises a weight or a rule (thresholds are searched instead). */
export function changeOfPart(def: FlowDefinition, p: FlowPart): WhatIfChange | null {
  const offer = def.offers[p.offer]!.id;
  if (p.kind === "categorical_weight") return { type: "zero_weight", offer, attribute: p.attribute, value: p.value };
  if (p.kind === "numeric_weight") return { type: "zero_weight", offer, attribute: p.attribute };
  if (p.kind === "eligibility_rule") return { type: "drop_rule", offer, rule: p.rule };
  return null;
}

export interface Utility {
  /** Requests the version selects (at least one offer). */
  selected: number;
  /** Recorded conversions it keeps: selected by the version, selected when recorded, and converted. */
  observedConversions: number;
  /** The flow's own estimate: the sum of the propensities of the offers it makes. */
  expectedConversions: number;
}

/** An empty utility tally. */
export const emptyUtility = (): Utility => ({ selected: 0, observedConversions: 0, expectedConversions: 0 });

/** Adds one decision to a tally (a replay's `visit`; requests the version refuses are never visited: not selected). */
export function tallyUtility(u: Utility, r: RecordedRequest, d: Decision): void {
  if (!d.selected) return;
  u.selected++;
  if (r.selected && r.converted === true) u.observedConversions++;
  for (const o of d.offers) u.expectedConversions += o.propensity;
}

/** Grid points of the threshold search: at most this many distinct propensities, evenly spaced by rank. */
export const THRESHOLD_GRID = 16;

/**
 * The thresholds worth trying for offer `index`: 0 and the distinct propensities of the
 * requests it is eligible for, ascending (a threshold between two of them decides the
 * same as the higher one), without the offer's current minPropensity.
 */
export function thresholdValues(def: FlowDefinition, index: number, requests: readonly RecordedRequest[]): number[] {
  const o = def.offers[index]!;
  const seen = new Set<number>([0]);
  for (const r of requests) {
    if (!o.eligibility.every((rule) => ruleHolds(rule, r.attributes as Attributes))) continue;
    try {
      seen.add(propensity(o.model, r.attributes));
    } catch (e) {
      if (!(e instanceof AttributeTypeError)) throw e;
    }
  }
  seen.delete(o.minPropensity);
  return [...seen].sort((a, b) => a - b);
}

/** Up to `k` of `values` evenly spaced by rank, always with the first and the last. */
export function gridOf(values: readonly number[], k = THRESHOLD_GRID): number[] {
  if (values.length <= k) return [...values];
  const out: number[] = [];
  for (let j = 0; j < k; j++) out.push(values[Math.round((j * (values.length - 1)) / (k - 1))]!);
  return [...new Set(out)];
}

/**
 * The passing threshold of `values` nearest the current one — the smallest move of the
 * operating point. Grid points are tried nearest first; then bisection between the first
 * passing grid point and the farthest failing grid point on its side narrows towards the
 * current threshold. Every returned threshold passed `passes` itself; bisection assumes
 * pass/fail does not flip back on that side, so it may miss a nearer passing value.
 */
export function searchThreshold(values: readonly number[], current: number, passes: (t: number) => boolean, refineSteps = 6): { threshold: number | null; tried: number } {
  let tried = 0;
  const test = (t: number) => (tried++, passes(t));
  const dist = (t: number) => Math.abs(t - current);
  const grid = gridOf(values).sort((a, b) => dist(a) - dist(b) || a - b);
  const failed = new Set<number>();
  let found: number | null = null;
  for (const t of grid) {
    if (test(t)) {
      found = t;
      break;
    }
    failed.add(t);
  }
  if (found === null) return { threshold: null, tried };
  const f = found;
  // Values strictly between the current threshold and the passing grid point, nearest the current first.
  const between = values.filter((t) => (f < current ? t < current && t > f : t > current && t < f)).sort((a, b) => dist(a) - dist(b));
  let lo = -1;
  between.forEach((t, i) => {
    if (failed.has(t)) lo = i;
  });
  let hi = between.length;
  let best = f;
  for (let s = 0; s < refineSteps && hi - lo > 1; s++) {
    const mid = Math.floor((lo + hi) / 2);
    if (test(between[mid]!)) {
      hi = mid;
      best = between[mid]!;
    } else lo = mid;
  }
  return { threshold: best, tried };
}

/** Passing first, by smallest utility loss: most expected conversions, then observed, then selected. */
export function byUtility(a: { utility: Utility }, b: { utility: Utility }): number {
  return b.utility.expectedConversions - a.utility.expectedConversions || b.utility.observedConversions - a.utility.observedConversions || b.utility.selected - a.utility.selected;
}
