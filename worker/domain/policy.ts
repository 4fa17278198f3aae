/**
 * @module domain/policy
 * The tenant's fairness policy: the zod schema is the single source of truth for
 * its shape, defaults and limits; the inferred type is what the gate consumes.
 */
import { z } from "zod";

/** Attribute names end up in JSON paths, so they are restricted to identifiers. */
export const attributeNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be an identifier (letters, digits, underscore; max 64)");

const ratioThreshold = z.number().finite().min(0).max(1);
const gapThreshold = z.number().finite().min(0).max(1);

/** Thresholds; each is optional and an absent threshold is simply not checked. */
export const thresholdsSchema = z.strictObject({
  disparateImpactRatio: ratioThreshold.optional(),
  demographicParityGap: gapThreshold.optional(),
  equalOpportunityGap: gapThreshold.optional(),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

/**
 * The older API's inline override block. It never bypasses anything by itself:
 * it is turned into a pending override request that a second person must approve.
 * `approvedBy` is accepted for compatibility and ignored — approval always comes
 * from the authenticated approver.
 */
export const inlineOverrideSchema = z.strictObject({
  enabled: z.boolean().default(true),
  reason: z.string().trim().min(10).max(2000),
  expiresAt: z.iso.datetime({ offset: true }),
  flowId: z.string().min(1).max(64).optional(),
  approvedBy: z.string().max(200).optional(),
});

export const fairnessPolicySchema = z.strictObject({
  enabled: z.boolean(),
  sensitiveAttribute: attributeNameSchema,
  thresholds: thresholdsSchema,
  minSampleSize: z.number().int().min(1).max(10_000_000).default(100),
  windowDays: z.number().int().min(1).max(365).default(7),
  continuousRecheck: z.boolean().default(false),
  onInsufficientSamples: z.enum(["skip", "block"]).default("skip"),
  override: inlineOverrideSchema.optional(),
});
/** A parsed policy as stored (the inline override block is stripped before storing). */
export type FairnessPolicy = Omit<z.infer<typeof fairnessPolicySchema>, "override">;
export type InlineOverride = z.infer<typeof inlineOverrideSchema>;

export const tenantSettingsSchema = z.strictObject({
  fairnessPolicy: fairnessPolicySchema,
});
