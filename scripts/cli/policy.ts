/**
 * @module scripts/cli/policy
 * Loads the fairness policy the CLI gates with: the same zod schema as the API's
 * PUT /tenant-settings, so a policy file that works here works there and back.
 */
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { type FairnessPolicy, fairnessPolicySchema, tenantSettingsSchema } from "../../worker/domain/policy.js";
import { at, InputError } from "./errors.js";

/** The policy used when no --policy is given (announced on stderr by the caller). */
export const DEFAULT_THRESHOLDS = { disparateImpactRatio: 0.8 } as const;

/** A loaded policy plus notes worth telling the user on stderr. */
export interface LoadedPolicy {
  policy: FairnessPolicy;
  notes: string[];
}

/** Every issue as `path: message`, joined, so the error stays a single line. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(top level)"}: ${i.message}`).join("; ");
}

/** 1-based line of character offset `pos` in `text`. */
function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Reads and validates a policy file. Throws InputError naming the file (and line, for bad JSON). */
export async function loadPolicyFile(file: string): Promise<LoadedPolicy> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw at(file, null, code === "ENOENT" ? "policy file not found" : code === "EISDIR" ? "is a directory" : `cannot read policy file (${code ?? "error"})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    throw at(file, pos ? lineOf(text, Number(pos[1])) : null, `invalid JSON (${msg})`);
  }
  // The API takes the policy object itself or the tenant-settings wrapper; the key decides
  // which, so errors describe the shape the file evidently meant (paths as in the file).
  const wrapped = typeof json === "object" && json !== null && !Array.isArray(json) && "fairnessPolicy" in json;
  const parsed = wrapped
    ? tenantSettingsSchema.transform((s) => s.fairnessPolicy).safeParse(json)
    : fairnessPolicySchema.safeParse(json);
  if (!parsed.success) throw new InputError(`${file}: invalid fairness policy: ${describeIssues(parsed.error)}`);
  const { override, ...policy } = parsed.data;
  const notes: string[] = [];
  // Like the API, an inline override never bypasses the gate by itself; the CLI has no
  // second approver, so it can only ignore it.
  if (override) notes.push(`${file}: the inline "override" block is ignored (overrides need a second approver in the gateway)`);
  return { policy, notes };
}

/**
 * `policy` gating `attributes` (in order; the first is the primary), shaped exactly as the
 * API's schema shapes a policy with `sensitiveAttributes`: the list is present only when
 * there are several. Set directly rather than re-parsed because a CSV header need not be
 * an identifier, which the API's attribute names must be.
 */
export function withAttributes(policy: FairnessPolicy, attributes: readonly string[]): FairnessPolicy {
  const { sensitiveAttributes: _old, ...rest } = policy;
  return { ...rest, sensitiveAttribute: attributes[0]!, ...(attributes.length > 1 ? { sensitiveAttributes: [...attributes] } : {}) };
}

/** The default policy for `attributes`, with the schema's defaults filled in. */
export function defaultPolicy(attributes: readonly string[]): FairnessPolicy {
  // Parsed with a placeholder name, for the reason given at withAttributes.
  const { override: _override, ...policy } = fairnessPolicySchema.parse({ enabled: true, sensitiveAttribute: "attribute", thresholds: { ...DEFAULT_THRESHOLDS } });
  return withAttributes(policy, attributes);
}
