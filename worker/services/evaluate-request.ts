/**
 * @module services/evaluate-request
 * The body of POST /fairness/evaluate (zod): inline samples, or a trace join of a flow's
 * recorded traces with a caller-supplied group lookup. The sample count is checked on the
 * raw JSON before the schema runs (`assertSampleCount`), so an oversized request is a 413
 * without first validating every sample.
 */
import { z } from "zod";
import { AppError } from "../domain/errors.js";
import { attributesSchema } from "../domain/flow.js";
import { fairnessPolicySchema } from "../domain/policy.js";

/** Most inline samples in one request (beyond: 413 evaluate_too_many_samples). */
export const MAX_EVALUATE_SAMPLES = 100_000;
/** Longest trace-join window: a year and a day, as the drift comparison allows. */
export const MAX_JOIN_WINDOW_MS = 366 * 86_400_000;

const instant = z.iso.datetime({ offset: true }).describe("ISO 8601 date-time with offset");
const binary = z.union([z.literal(0), z.literal(1)]);
const groupValue = z.union([z.string().max(256), z.number().finite(), z.boolean()]);

/**
 * A lookup keyed by customerId. A record parse would silently drop a `__proto__` key (see
 * domain/flow's attributesSchema), so it is refused rather than quietly lost.
 */
function lookupOf<V extends z.ZodType>(value: V) {
  return z
    .unknown()
    .superRefine((v, ctx) => {
      if (typeof v !== "object" || v === null) return;
      if (Object.hasOwn(v, "__proto__")) ctx.addIssue({ code: "custom", path: ["__proto__"], message: `"__proto__" cannot be a customerId in a lookup` });
    })
    .pipe(z.record(z.string().min(1).max(256), value));
}

// A policy given with the request is the tenant policy's schema, minus the inline override
// (an evaluation never bypasses, and an override request is made under tenant-settings).
const requestPolicy = fairnessPolicySchema
  .optional()
  .describe("default: the tenant's policy. Parsed with the tenant policy's schema (unknown keys refused); an inline `override` is refused.");

const noOverride = (b: { policy?: { override?: unknown } | undefined }, ctx: z.RefinementCtx) => {
  if (b.policy?.override !== undefined) ctx.addIssue({ code: "custom", path: ["policy", "override"], message: "an evaluate request cannot carry an override" });
};

/** One decision: its group (the policy's primary attribute) or groups (attribute → value), decision, label, score. */
export const evaluateSampleSchema = z
  .strictObject({
    group: groupValue.optional().describe("the value of the policy's primary sensitive attribute"),
    groups: attributesSchema.optional().describe("values by sensitive attribute (each alone and their intersection are evaluated)"),
    decision: binary.describe("1 = selected"),
    label: binary.nullable().optional().describe("the true outcome; absent or null: unknown"),
    score: z.number().finite().min(0).max(1).optional().describe("a probability in [0, 1] (calibration)"),
  })
  .superRefine((s, ctx) => {
    if ((s.group === undefined) === (s.groups === undefined)) ctx.addIssue({ code: "custom", path: ["group"], message: "give exactly one of group or groups" });
  });

const inlineSchema = z
  .strictObject({
    mode: z.literal("inline"),
    samples: z.array(evaluateSampleSchema).min(1).describe(`at most ${MAX_EVALUATE_SAMPLES.toLocaleString("en-US")} samples (more: 413)`),
    policy: requestPolicy,
  })
  .superRefine(noOverride);

const traceJoinSchema = z
  .strictObject({
    mode: z.literal("trace-join"),
    flowKey: z.string().min(1).max(128),
    from: instant,
    to: instant.describe("the window is half-open: [from, to), at most 366 days"),
    groupLookup: lookupOf(z.union([groupValue, z.null(), attributesSchema])).describe(
      "customerId → the primary attribute's value, or attribute → value; a customer not listed (or null) is not usable and counted in input.withoutGroup",
    ),
    labelLookup: lookupOf(z.union([z.boolean(), binary, z.null()]))
      .optional()
      .describe("customerId → true outcome; when given it replaces the traces' recorded outcomes (a customer not listed: unknown)"),
    policy: requestPolicy,
  })
  .superRefine((b, ctx) => {
    noOverride(b, ctx);
    const from = Date.parse(b.from);
    const to = Date.parse(b.to);
    if (!(from < to)) ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
    else if (to - from > MAX_JOIN_WINDOW_MS) ctx.addIssue({ code: "custom", path: ["to"], message: "the window may span at most 366 days" });
  });

export const evaluateRequestSchema = z.discriminatedUnion("mode", [inlineSchema, traceJoinSchema]);
export type EvaluateRequest = z.infer<typeof evaluateRequestSchema>;
export type EvaluateSample = z.infer<typeof evaluateSampleSchema>;

/** 413 before the schema runs: an inline body with more samples than MAX_EVALUATE_SAMPLES. */
export function assertSampleCount(raw: unknown): void {
  const samples = typeof raw === "object" && raw !== null ? (raw as { samples?: unknown }).samples : undefined;
  if (Array.isArray(samples) && samples.length > MAX_EVALUATE_SAMPLES)
    throw new AppError(
      413,
      "evaluate_too_many_samples",
      "Payload too large",
      `An evaluate request may carry at most ${MAX_EVALUATE_SAMPLES} samples; this one has ${samples.length}. Split the data, or record it as traces and use mode "trace-join".`,
      { maxSamples: MAX_EVALUATE_SAMPLES, samples: samples.length },
    );
}

