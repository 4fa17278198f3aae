/**
 * @module domain/flow
 * Decision-flow definitions (a small next-best-offer model) and their execution.
 * Pure: the same definition and attributes always give the same decision.
 */
import { z } from "zod";
import { attributeNameSchema, RESERVED_ATTRIBUTE_NAMES } from "./policy.js";

const scalar = z.union([z.string().max(256), z.number().finite(), z.boolean()]);

const ruleSchema = z.discriminatedUnion("op", [
  z.object({ attribute: attributeNameSchema, op: z.literal("eq"), value: scalar }),
  z.object({ attribute: attributeNameSchema, op: z.literal("neq"), value: scalar }),
  z.object({ attribute: attributeNameSchema, op: z.literal("in"), value: z.array(scalar).min(1).max(1000) }),
  z.object({ attribute: attributeNameSchema, op: z.literal("gte"), value: z.number().finite() }),
  z.object({ attribute: attributeNameSchema, op: z.literal("lte"), value: z.number().finite() }),
]);
export type EligibilityRule = z.infer<typeof ruleSchema>;

const weight = z.number().finite();
/**
 * A record keyed by attribute names. JSON.parse keeps a "__proto__" key as an own
 * property, but a record parse would drop it silently: it is refused first.
 */
const attributeRecord = <V extends z.ZodType>(value: V) =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, "__proto__"))
        ctx.addIssue({ code: "custom", path: ["__proto__"], message: '"__proto__" is a reserved name and cannot be an attribute' });
    })
    .pipe(z.record(attributeNameSchema, value));
const modelSchema = z.object({
  intercept: weight,
  numeric: attributeRecord(weight).default({}),
  categorical: attributeRecord(z.record(z.string().max(256), weight)).default({}),
});

const offerSchema = z.object({
  id: z.string().min(1).max(64),
  eligibility: z.array(ruleSchema).max(100).default([]),
  model: modelSchema,
  minPropensity: z.number().min(0).max(1),
});

/** A flow definition, exactly the public JSON shape (extra optional fields are tolerated). */
export const flowDefinitionSchema = z
  .object({
    offers: z.array(offerSchema).min(1).max(200),
    maxOffers: z.number().int().min(1).max(200),
  })
  .superRefine((def, ctx) => {
    const seen = new Set<string>();
    def.offers.forEach((o, i) => {
      if (seen.has(o.id)) ctx.addIssue({ code: "custom", path: ["offers", i, "id"], message: `duplicate offer id "${o.id}"` });
      seen.add(o.id);
    });
  });
export type FlowDefinition = z.infer<typeof flowDefinitionSchema>;

/**
 * Names that would touch an object's prototype machinery. JSON.parse keeps
 * `__proto__` as an own key, but a record parse silently drops it (and lookups
 * of `constructor`/`prototype` hit inherited members), so they are refused
 * outright instead of being quietly lost or misread.
 */

/** Request attributes: flat scalars (null means "not provided"). */
export const attributesSchema = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v !== "object" || v === null) return;
    for (const k of Object.keys(v)) {
      if (RESERVED_ATTRIBUTE_NAMES.has(k)) ctx.addIssue({ code: "custom", path: [k], message: `"${k}" is a reserved name and cannot be an attribute` });
    }
  })
  .pipe(
    z
      .record(attributeNameSchema, z.union([z.string().max(256), z.number().finite(), z.boolean(), z.null()]))
      .refine((a) => Object.keys(a).length <= 200, "at most 200 attributes"),
  );
export type Attributes = z.infer<typeof attributesSchema>;

export type FlowStatus = "draft" | "active" | "paused" | "archived";

/** One offer made by a flow. */
export interface OfferMade {
  id: string;
  propensity: number;
}

/** The result of executing a flow on one request. */
export interface Decision {
  selected: boolean;
  offers: OfferMade[];
  /** Highest propensity among eligible offers (null when no offer was eligible). Stored as the trace score. */
  score: number | null;
}

/** Raised when a request attribute has the wrong type for the model (a client error). */
export class AttributeTypeError extends Error {
  constructor(readonly attribute: string, readonly expected: string, message?: string) {
    super(message ?? `attribute "${attribute}" must be a ${expected}`);
  }
}

/** Whether one eligibility rule holds for a request (a missing or null value satisfies only `neq`). */
export function ruleHolds(rule: EligibilityRule, attrs: Attributes): boolean {
  const v = attrs[rule.attribute];
  if (v === undefined || v === null) return rule.op === "neq";
  switch (rule.op) {
    case "eq":
      return v === rule.value;
    case "neq":
      return v !== rule.value;
    case "in":
      return rule.value.includes(v);
    case "gte":
      return typeof v === "number" && v >= rule.value;
    case "lte":
      return typeof v === "number" && v <= rule.value;
  }
}

/** Numerically stable logistic function. */
export function logistic(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export type OfferModel = FlowDefinition["offers"][number]["model"];

/**
 * One term of an offer's linear score: the intercept, a numeric weight × the request's value,
 * or the categorical weight of the request's value. `applied` is false for terms the request
 * does not trigger (a missing numeric value counts as 0; a category without a weight adds
 * nothing); those are listed with contribution 0 and left out of the sum.
 */
export interface ScoreTerm {
  kind: "intercept" | "numeric" | "categorical";
  attribute: string | null;
  value: string | number | boolean | null;
  weight: number | null;
  contribution: number;
  applied: boolean;
}

/**
 * The terms of an offer's linear score in model order (intercept, numeric, categorical).
 * @throws AttributeTypeError when a numeric weight meets a non-numeric value.
 */
export function scoreTerms(model: OfferModel, attrs: Attributes): ScoreTerm[] {
  const terms: ScoreTerm[] = [{ kind: "intercept", attribute: null, value: null, weight: model.intercept, contribution: model.intercept, applied: true }];
  for (const [name, w] of Object.entries(model.numeric)) {
    const v = attrs[name];
    // Missing numeric attributes count as 0 (pinned by the product definition).
    if (v === undefined || v === null) {
      terms.push({ kind: "numeric", attribute: name, value: null, weight: w, contribution: 0, applied: false });
      continue;
    }
    if (typeof v !== "number") throw new AttributeTypeError(name, "number");
    terms.push({ kind: "numeric", attribute: name, value: v, weight: w, contribution: w * v, applied: true });
  }
  for (const [name, table] of Object.entries(model.categorical)) {
    const v = attrs[name];
    if (v === undefined || v === null) {
      terms.push({ kind: "categorical", attribute: name, value: null, weight: null, contribution: 0, applied: false });
      continue;
    }
    // Own properties only: a value like "constructor" must not find Object.prototype members.
    const key = String(v);
    const w = Object.hasOwn(table, key) ? table[key] : undefined;
    terms.push({ kind: "categorical", attribute: name, value: v, weight: w ?? null, contribution: w ?? 0, applied: w !== undefined });
  }
  return terms;
}

/** The linear score of applied terms, summed in model order (exactly as the decision summed them). */
export function linearScore(terms: readonly ScoreTerm[]): number {
  let z = 0;
  for (const t of terms) if (t.applied) z += t.contribution;
  // ±Infinity saturates to 0/1, but Infinity − Infinity has no meaning: refuse it rather than store NaN.
  if (Number.isNaN(z)) throw new AttributeTypeError("(model)", "finite score", "the attribute values make the model's linear score undefined (Infinity − Infinity)");
  return z;
}

/** An offer's propensity: logistic of its linear score. */
export function propensity(model: OfferModel, attrs: Attributes): number {
  return logistic(linearScore(scoreTerms(model, attrs)));
}

/**
 * Executes a flow definition: an offer is made when every eligibility rule holds
 * and its propensity ≥ minPropensity; the best `maxOffers` offers are returned.
 * @throws AttributeTypeError when a numeric model weight meets a non-numeric value.
 */
export function executeFlow(def: FlowDefinition, attrs: Attributes): Decision {
  const made: OfferMade[] = [];
  let score: number | null = null;
  for (const offer of def.offers) {
    if (!offer.eligibility.every((r) => ruleHolds(r, attrs))) continue;
    const p = propensity(offer.model, attrs);
    score = score === null ? p : Math.max(score, p);
    if (p >= offer.minPropensity) made.push({ id: offer.id, propensity: p });
  }
  // Stable sort keeps definition order among equal propensities, so decisions are deterministic.
  made.sort((a, b) => b.propensity - a.propensity);
  const offers = made.slice(0, def.maxOffers);
  return { selected: offers.length > 0, offers, score };
}
