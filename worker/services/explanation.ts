/**
 * @module services/explanation
 * GET /decision-traces/{id}/explanation: the stored trace, the flow version that
 * served it, and the pure re-run (domain/explanation.ts) of that version on the
 * stored request. `reproduced` says whether the re-run gives the recorded decision —
 * always for a live recommendation whose request is intact; a bulk back-fill was
 * decided elsewhere (only `selected` is compared), and in privacy mode a person whose
 * protected attributes were erased can no longer be re-run as decided.
 *
 * Privacy mode (`sensitiveAttributeStorage: "separate"`): the protected attributes
 * are joined back for the re-run (so it matches the decision), but their values are
 * never returned: each appears with `value: null, withheld: true`. Their weights and
 * contributions are shown — leaving them out would misstate why the flow decided as
 * it did — so where a flow weighs a protected attribute the contribution can narrow
 * down its value; such a flow is itself a fairness finding.
 */
import { z } from "zod";
import { NotFoundError } from "../domain/errors.js";
import { decisionExplanationSchema, explainDecision, reproduces } from "../domain/explanation.js";
import type { TenantStore } from "../store/tenant-store.js";
import { protectedNames } from "./privacy.js";

export const explanationResponseSchema = decisionExplanationSchema.extend({
  traceId: z.string(),
  flowId: z.string(),
  decisionFlowKey: z.string(),
  version: z.number().int(),
  decidedAt: z.string(),
  source: z.enum(["recommend", "bulk"]),
  recorded: z.object({ selected: z.boolean(), offers: z.array(z.object({ id: z.string(), propensity: z.number() })).nullable() }),
  reproduced: z.boolean().describe("the re-run gives the recorded decision"),
  withheldAttributes: z.array(z.string()).describe("privacy mode: protected attributes used in the re-run whose values are not shown"),
});
export type ExplanationResponse = z.infer<typeof explanationResponseSchema>;

/** The explanation of one stored decision. */
export async function explainTrace(store: TenantStore, traceId: string): Promise<ExplanationResponse> {
  const d = await store.explanations.decision(traceId);
  if (!d) throw new NotFoundError("decision trace");
  const flow = await store.flows.getByKey(d.flowKey);
  if (!flow) throw new NotFoundError("decision flow");
  const def = await store.flows.getDefinition(flow.id, d.version);
  if (!def) throw new NotFoundError("decision flow version");
  // Protected names: the policy's now, plus whatever the person's protected record holds.
  const withheld = new Set<string>([...(protectedNames(await store.governance.getPolicy()) ?? []), ...Object.keys(d.protected ?? {})]);
  // The request as decided: the trace's attributes with the person's protected ones joined back.
  const request = { ...(d.protected ?? {}), ...d.attributes };
  const ex = explainDecision(def, request, { withheld });
  const recorded = { selected: d.selected, offers: d.offers };
  return {
    traceId: d.id,
    flowId: flow.id,
    decisionFlowKey: flow.key,
    version: d.version,
    decidedAt: new Date(d.createdAt).toISOString(),
    source: d.source,
    recorded,
    reproduced: reproduces(ex, recorded),
    withheldAttributes: [...withheld].sort(),
    ...ex,
  };
}
