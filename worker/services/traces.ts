/**
 * @module services/traces
 * Recording decisions: live recommendations (executed by the active flow version,
 * traced durably before answering), late outcomes, and all-or-nothing NDJSON bulk loads.
 */
import { z } from "zod";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { AttributeTypeError, attributesSchema, executeFlow, type OfferMade } from "../domain/flow.js";
import type { TenantHandle } from "../store/tenant-registry.js";
import type { InStatement } from "../store/sql.js";
import type { TraceRecord } from "../store/tenant/traces.js";
import type { ServiceDeps } from "./context.js";
import { separateProtected } from "./privacy.js";
import { illFormedTextPath } from "../domain/text.js";

export interface RecommendResult {
  traceId: string;
  decisionFlowKey: string;
  version: number;
  selected: boolean;
  offers: OfferMade[];
}

/** Runs the active version of a flow and records the trace before returning. */
export async function recommend(
  deps: ServiceDeps,
  handle: TenantHandle,
  input: { customerId: string; decisionFlowKey: string; attributes: Record<string, string | number | boolean | null> },
): Promise<RecommendResult> {
  const { store } = handle;
  // Status, active version and policy are read on every request (a pause elsewhere counts at once);
  // only the version's definition, immutable, comes from the tenant's cache.
  const serving = await store.flows.getServing(input.decisionFlowKey);
  if (!serving) throw new NotFoundError("decision flow");
  const { flow, policy } = serving;
  if (flow.status !== "active" || flow.activeVersion === null)
    throw new ConflictError("flow_not_active", `Decision flow "${flow.key}" is ${flow.status}; only active flows serve recommendations.`);
  const activeVersion = flow.activeVersion;
  const def = await handle.definitions.get(flow.id, activeVersion, () => store.flows.getDefinition(flow.id, activeVersion));
  if (!def) throw new NotFoundError("decision flow version");
  let decision;
  try {
    decision = executeFlow(def, input.attributes);
  } catch (e) {
    if (e instanceof AttributeTypeError) throw new ValidationError(e.message, { attribute: e.attribute }, "attribute_type_mismatch");
    throw e;
  }
  const trace: TraceRecord = {
    id: deps.newId(),
    flowKey: flow.key,
    version: flow.activeVersion,
    customerId: input.customerId,
    attributes: input.attributes,
    selected: decision.selected,
    score: decision.score,
    offers: decision.offers,
    converted: null,
    source: "recommend",
    createdAt: deps.clock().getTime(),
  };
  // Privacy mode: the stripped trace and the person's protected-attribute upsert commit in the same batch.
  const stored = await separateProtected(deps, store, [trace], policy);
  await handle.traceWriter.write({ trace: stored.traces[0]!, alongside: stored.stmts });
  return { traceId: trace.id, decisionFlowKey: flow.key, version: flow.activeVersion, selected: decision.selected, offers: decision.offers };
}

/** Records an outcome; the same outcome twice is fine, a different one is a 409. */
export async function recordOutcome(deps: ServiceDeps, handle: TenantHandle, traceId: string, converted: boolean): Promise<{ traceId: string; converted: boolean }> {
  // A trace still queued in the group-commit writer is committed before we look for it.
  await handle.traceWriter.drain();
  const r = await handle.store.traces.recordOutcome(traceId, converted, deps.clock().toISOString());
  if (r === "not_found") throw new NotFoundError("decision trace");
  if (r === "conflict") throw new ConflictError("outcome_conflict", "A different outcome was already recorded for this trace.");
  return { traceId, converted };
}

/** One NDJSON line of a bulk load. */
export const bulkLineSchema = z.strictObject({
  decisionFlowKey: z.string().min(1).max(128),
  version: z.number().int().min(1).optional(),
  customerId: z.string().min(1).max(256),
  attributes: attributesSchema,
  selected: z.boolean(),
  score: z.number().finite().min(0).max(1).optional(),
  converted: z.boolean().optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
});

export interface BulkLimits {
  maxLines: number;
  maxBytes: number;
}

/** How far in the future a back-filled timestamp may lie (clock skew allowance). */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;
const MAX_REPORTED_BAD_LINES = 100;
/** Lines parsed between yields to the event loop (~5 ms of work). */
const BULK_LINES_PER_SLICE = 1_000;

/** Loads NDJSON traces all-or-nothing: any bad line → 400 listing bad lines, nothing written. */
export async function bulkLoad(deps: ServiceDeps, handle: TenantHandle, body: string, limits: BulkLimits): Promise<{ accepted: number }> {
  const lines = body.split("\n");
  const nonEmpty = lines.filter((l) => l.trim()).length;
  if (nonEmpty === 0) throw new ValidationError("The body contains no NDJSON lines.", {}, "bulk_empty");
  if (nonEmpty > limits.maxLines)
    throw new AppError(413, "bulk_too_many_lines", "Payload too large", `A bulk load may contain at most ${limits.maxLines} lines; got ${nonEmpty}.`);

  const now = deps.clock();
  const bad: { line: number; errors: string[] }[] = [];
  let badCount = 0;
  const parsed: { line: number; v: z.infer<typeof bulkLineSchema> }[] = [];
  const markBad = (line: number, errors: string[]) => {
    badCount++;
    if (bad.length < MAX_REPORTED_BAD_LINES) bad.push({ line, errors });
  };
  const check = (text: string, i: number) => {
    if (!text.trim()) return;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      return markBad(i + 1, ["not valid JSON"]);
    }
    const illFormed = illFormedTextPath(obj);
    if (illFormed !== null) return markBad(i + 1, [`${illFormed}: invalid_text (a lone UTF-16 surrogate or NUL character cannot be stored as sent)`]);
    const r = bulkLineSchema.safeParse(obj);
    if (!r.success) return markBad(i + 1, r.error.issues.map((iss) => `${iss.path.join(".") || "(line)"}: ${iss.message}`));
    if (r.data.timestamp && Date.parse(r.data.timestamp) > now.getTime() + MAX_FUTURE_SKEW_MS) return markBad(i + 1, ["timestamp: must not be in the future"]);
    parsed.push({ line: i + 1, v: r.data });
  };
  // Parsing 50,000 lines takes ~200 ms of CPU; in slices, other tenants' requests run in between.
  for (let i = 0; i < lines.length; i++) {
    check(lines[i]!, i);
    if (i % BULK_LINES_PER_SLICE === BULK_LINES_PER_SLICE - 1) await new Promise((ok) => setTimeout(ok, 0));
  }

  const flows = new Map<string, Awaited<ReturnType<typeof handle.store.flows.getByKey>>>();
  for (const key of new Set(parsed.map((p) => p.v.decisionFlowKey))) flows.set(key, await handle.store.flows.getByKey(key));
  const traces: TraceRecord[] = [];
  let built = 0;
  for (const { line, v } of parsed) {
    if (++built % BULK_LINES_PER_SLICE === 0) await new Promise((ok) => setTimeout(ok, 0));
    const flow = flows.get(v.decisionFlowKey);
    if (!flow) {
      markBad(line, [`decisionFlowKey: unknown decision flow "${v.decisionFlowKey}"`]);
      continue;
    }
    const version = v.version ?? flow.activeVersion ?? flow.latestVersion;
    if (version > flow.latestVersion) {
      markBad(line, [`version: decision flow "${flow.key}" has no version ${version}`]);
      continue;
    }
    traces.push({
      id: deps.newId(),
      flowKey: flow.key,
      version,
      customerId: v.customerId,
      attributes: v.attributes,
      selected: v.selected,
      score: v.score ?? null,
      offers: null,
      converted: v.converted ?? null,
      source: "bulk",
      createdAt: v.timestamp ? Date.parse(v.timestamp) : now.getTime(),
    });
  }
  if (badCount > 0) {
    bad.sort((a, b) => a.line - b.line);
    throw new ValidationError(`${badCount} line(s) are invalid; nothing was written.`, {
      badLines: bad.map((b) => b.line),
      badLineCount: badCount,
      errors: bad,
    }, "bulk_invalid_lines");
  }
  // Privacy mode: traces without their protected attributes, the attributes per person in the same batch.
  const stored = await separateProtected(deps, handle.store, traces);
  // Statements are built in slices too (one atomic batch all the same): 50,000 rows of arguments are ~70 ms of CPU.
  const stmts: InStatement[] = [...stored.stmts];
  for (let i = 0; i < stored.traces.length; i += BULK_LINES_PER_SLICE) {
    stmts.push(...handle.store.traces.insertStmts(stored.traces.slice(i, i + BULK_LINES_PER_SLICE)));
    await new Promise((ok) => setTimeout(ok, 0));
  }
  await handle.store.write(stmts);
  return { accepted: traces.length };
}
