/**
 * @module domain/explanation
 * The reasons behind one decision: the flow version that served it, re-run on the
 * request it was given, offer by offer — eligible or not and which rule failed,
 * the propensity and the terms of its linear score sorted by effect, and the
 * `minPropensity` it had to reach — plus, for a declined customer, up to four
 * principal reasons in plain words ordered by how much each lowered the outcome
 * (the form adverse-action notices take).
 *
 * Pure, and built from the execution's own functions (domain/flow.ts: ruleHolds,
 * scoreTerms, linearScore, logistic), so the explanation's decision is the
 * decision: the same eligibility, the same sum in the same order, the same
 * selection (propensity ≥ minPropensity, best `maxOffers`, definition order among ties).
 *
 * How much a reason lowered the outcome:
 * - a failed eligibility rule excluded the offer outright: it is decisive and ranks first;
 * - a negative score term of an eligible offer that missed its minimum lowered that
 *   offer's propensity by logistic(z − c) − logistic(z) (z the linear score, c the
 *   term); reasons are ranked by this drop (in probability).
 * One reason per attribute (its largest effect over the offers). The intercept is
 * the offer's own baseline, not something about the customer, so it is never a reason.
 * Attributes in `withheld` (privacy mode's protected attributes) are used to re-run
 * the decision but their values are never shown (value null, `withheld: true`).
 */
import { z } from "zod";
import { AttributeTypeError, type Attributes, type EligibilityRule, type FlowDefinition, linearScore, logistic, type OfferMade, ruleHolds, scoreTerms } from "./flow.js";

/** Most principal reasons given for a declined customer. */
export const MAX_REASONS = 4;

const shown = z.union([z.string(), z.number(), z.boolean()]).nullable();

export const contributionSchema = z.object({
  kind: z.enum(["intercept", "numeric", "categorical"]),
  attribute: z.string().nullable(),
  value: shown.describe("the request's value (null when missing or withheld)"),
  withheld: z.boolean(),
  weight: z.number().nullable(),
  contribution: z.number().describe("the term's share of the linear score (log-odds)"),
  effect: z.enum(["raises", "lowers", "none"]),
});

export const offerExplanationSchema = z.object({
  id: z.string(),
  eligible: z.boolean(),
  /** The first rule that failed (the one the execution stopped at), else null. */
  failedRule: z.object({ index: z.number().int(), attribute: z.string(), op: z.string(), value: z.unknown(), requestValue: shown, withheld: z.boolean() }).nullable(),
  failedRules: z.number().int().describe("how many of the offer's rules failed"),
  /** null when the request cannot be scored by this offer's model (a non-numeric value for a numeric weight). */
  propensity: z.number().nullable(),
  linearScore: z.number().nullable(),
  minPropensity: z.number(),
  /** Eligible and propensity ≥ minPropensity. */
  qualified: z.boolean(),
  /** Among the offers returned (the best maxOffers of the qualified ones). */
  offered: z.boolean(),
  contributions: z.array(contributionSchema).describe("sorted by |contribution|, largest first"),
  note: z.string().nullable(),
});
export type OfferExplanation = z.infer<typeof offerExplanationSchema>;

export const reasonSchema = z.object({
  attribute: z.string().nullable().describe("null for the baseline reason"),
  kind: z.enum(["eligibility", "score", "baseline"]).describe("baseline: no attribute lowered the score; the offer's own baseline stayed below its minimum"),
  offers: z.array(z.string()).describe("the offers this reason applies to"),
  decisive: z.boolean().describe("an eligibility rule that excluded the offer outright"),
  lowered: z.number().nullable().describe("how much the term lowered the offer's propensity (probability); null for a rule"),
  text: z.string(),
});
export type Reason = z.infer<typeof reasonSchema>;

export const decisionExplanationSchema = z.object({
  selected: z.boolean(),
  offers: z.array(z.object({ id: z.string(), propensity: z.number() })),
  score: z.number().nullable(),
  maxOffers: z.number().int(),
  perOffer: z.array(offerExplanationSchema),
  /** Declined customers only (empty when an offer was made): at most MAX_REASONS, most important first. */
  reasons: z.array(reasonSchema),
});
export type DecisionExplanation = z.infer<typeof decisionExplanationSchema>;

type Scalar = string | number | boolean;

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;
const quote = (v: unknown) => (typeof v === "string" ? `"${v}"` : String(v));

function requirement(rule: EligibilityRule): string {
  switch (rule.op) {
    case "eq":
      return `${rule.attribute} must be ${quote(rule.value)}`;
    case "neq":
      return `${rule.attribute} must not be ${quote(rule.value)}`;
    case "in":
      return `${rule.attribute} must be one of ${rule.value.map(quote).join(", ")}`;
    case "gte":
      return `${rule.attribute} must be at least ${rule.value}`;
    case "lte":
      return `${rule.attribute} must be at most ${rule.value}`;
  }
}

function valueText(attribute: string, v: Scalar | null | undefined, withheld: boolean): string {
  if (withheld) return `${attribute} (a protected attribute; its value is not shown)`;
  if (v === undefined || v === null) return `${attribute} (not provided)`;
  return `${attribute} ${quote(v)}`;
}

/** Explains the decision `def` makes on `attrs`, offer by offer, with reasons when declined. */
export function explainDecision(def: FlowDefinition, attrs: Attributes, opts: { withheld?: ReadonlySet<string> } = {}): DecisionExplanation {
  const withheld = opts.withheld ?? new Set<string>();
  const hide = (attribute: string | null, v: Scalar | null | undefined): Scalar | null => (attribute !== null && withheld.has(attribute) ? null : (v ?? null));
  const perOffer: OfferExplanation[] = [];
  const terms: (ReturnType<typeof scoreTerms> | null)[] = [];
  const made: (OfferMade & { index: number })[] = [];
  let score: number | null = null;

  def.offers.forEach((offer, index) => {
    const failed = offer.eligibility.map((r, i) => ({ r, i })).filter(({ r }) => !ruleHolds(r, attrs));
    const eligible = failed.length === 0;
    let t: ReturnType<typeof scoreTerms> | null = null;
    let z: number | null = null;
    let note: string | null = null;
    try {
      t = scoreTerms(offer.model, attrs);
      z = linearScore(t);
    } catch (e) {
      if (!(e instanceof AttributeTypeError)) throw e;
      t = null;
      z = null;
      note = e.message;
    }
    const p = z === null ? null : logistic(z);
    if (eligible && p !== null) {
      score = score === null ? p : Math.max(score, p);
      if (p >= offer.minPropensity) made.push({ id: offer.id, propensity: p, index });
    }
    terms.push(t);
    const first = failed[0];
    perOffer.push({
      id: offer.id,
      eligible,
      failedRule: first
        ? { index: first.i, attribute: first.r.attribute, op: first.r.op, value: first.r.value, requestValue: hide(first.r.attribute, attrs[first.r.attribute]), withheld: withheld.has(first.r.attribute) }
        : null,
      failedRules: failed.length,
      propensity: p,
      linearScore: z,
      minPropensity: offer.minPropensity,
      qualified: eligible && p !== null && p >= offer.minPropensity,
      offered: false,
      contributions: (t ?? [])
        .map((x) => ({
          kind: x.kind,
          attribute: x.attribute,
          value: hide(x.attribute, x.value),
          withheld: x.attribute !== null && withheld.has(x.attribute),
          weight: x.weight,
          contribution: x.contribution,
          effect: x.contribution > 0 ? ("raises" as const) : x.contribution < 0 ? ("lowers" as const) : ("none" as const),
        }))
        // Stable: equal effects keep model order.
        .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)),
      note,
    });
  });

  // The execution's selection: by propensity, definition order among ties, the best maxOffers.
  made.sort((a, b) => b.propensity - a.propensity);
  const offers = made.slice(0, def.maxOffers);
  for (const o of offers) perOffer[o.index]!.offered = true;
  const selected = offers.length > 0;
  return {
    selected,
    offers: offers.map(({ id, propensity }) => ({ id, propensity })),
    score,
    maxOffers: def.maxOffers,
    perOffer,
    reasons: selected ? [] : declineReasons(def, attrs, perOffer, terms, withheld),
  };
}

/** The principal reasons of a decline, most important first (see the module header). */
function declineReasons(
  def: FlowDefinition,
  attrs: Attributes,
  perOffer: readonly OfferExplanation[],
  terms: readonly (ReturnType<typeof scoreTerms> | null)[],
  withheld: ReadonlySet<string>,
): Reason[] {
  const byAttribute = new Map<string, Reason>();
  const ranks = new Map<string, number>();
  const consider = (r: Reason & { attribute: string }, rank: number) => {
    const cur = byAttribute.get(r.attribute);
    if (!cur) {
      byAttribute.set(r.attribute, r);
      ranks.set(r.attribute, rank);
      return;
    }
    if (!cur.offers.includes(r.offers[0]!)) cur.offers.push(r.offers[0]!);
    // One reason per attribute: the largest effect, naming every offer it applies to.
    if (rank > ranks.get(r.attribute)!) {
      byAttribute.set(r.attribute, { ...r, offers: cur.offers });
      ranks.set(r.attribute, rank);
    }
  };
  def.offers.forEach((offer, i) => {
    const ex = perOffer[i]!;
    if (ex.failedRule) {
      const rule = offer.eligibility[ex.failedRule.index]!;
      const who = valueText(rule.attribute, attrs[rule.attribute], withheld.has(rule.attribute));
      consider(
        { attribute: rule.attribute, kind: "eligibility", offers: [offer.id], decisive: true, lowered: null, text: `${who} does not meet a requirement of offer ${offer.id}: ${requirement(rule)}.` },
        // Decisive rules rank above every score term.
        Number.POSITIVE_INFINITY,
      );
      return;
    }
    const t = terms[i];
    if (!t || ex.linearScore === null || ex.propensity === null || ex.qualified) return;
    for (const term of t) {
      if (term.kind === "intercept" || term.attribute === null || !(term.contribution < 0)) continue;
      const lowered = logistic(ex.linearScore - term.contribution) - ex.propensity;
      const who = valueText(term.attribute, term.value, withheld.has(term.attribute));
      consider(
        {
          attribute: term.attribute,
          kind: "score",
          offers: [offer.id],
          decisive: false,
          lowered,
          text: `${who} lowered the likelihood score of offer ${offer.id} by ${(lowered * 100).toFixed(1)} percentage points, to ${pct(ex.propensity)}; the offer requires at least ${pct(offer.minPropensity)}.`,
        },
        lowered,
      );
    }
  });
  const reasons = [...byAttribute.values()]
    .map((r) => ({ r, rank: ranks.get(r.attribute!)! }))
    .sort((a, b) => b.rank - a.rank)
    .slice(0, MAX_REASONS)
    .map(({ r }) => r);
  if (reasons.length > 0) return reasons;
  // Nothing about the customer lowered a score: say that the best eligible offer's baseline fell short.
  let best = -1;
  perOffer.forEach((o, i) => {
    if (o.eligible && o.propensity !== null && (best < 0 || o.propensity > perOffer[best]!.propensity!)) best = i;
  });
  if (best < 0) return [];
  const o = perOffer[best]!;
  return [
    {
      attribute: null,
      kind: "baseline",
      offers: [o.id],
      decisive: false,
      lowered: null,
      text: `No attribute of the request lowered the score; offer ${o.id} reached ${pct(o.propensity!)}, below the required ${pct(o.minPropensity)}.`,
    },
  ];
}

/**
 * Whether a re-run reproduces a recorded decision: the same `selected`, and — when the trace
 * recorded its offers (live recommendations do; bulk back-fills were decided elsewhere) — the
 * same offers in the same order with the same propensities.
 */
export function reproduces(ex: Pick<DecisionExplanation, "selected" | "offers">, recorded: { selected: boolean; offers: readonly OfferMade[] | null }): boolean {
  if (ex.selected !== recorded.selected) return false;
  if (recorded.offers === null) return true;
  return ex.offers.length === recorded.offers.length && ex.offers.every((o, i) => o.id === recorded.offers![i]!.id && o.propensity === recorded.offers![i]!.propensity);
}
