/**
 * @module services/fairness-evaluate
 * POST /fairness/evaluate: the gate's evaluation of rows the caller brings — inline samples,
 * or a flow's recorded traces in [from, to) joined with the caller's group (and label) lookup.
 * The rows go through the same slice accumulators and kernels as a window read
 * (engine/window: createSliceAccumulators + addSliceRows) and the same `decideGate` +
 * `buildEvaluation` as publish, recheck and `fairgate check`, with trigger "evaluate".
 *
 * What is stored: the evaluation (aggregates only, plus the counts in `input`) and one
 * `fairness_evaluate` audit row, in one chained batch. The samples and lookups live only in
 * the request. Nothing about a flow changes: the evaluation carries no flowId (a trace join
 * names the flow by its key), so it never becomes a flow's baseline, latest verdict or the
 * evidence that resolves a remediation, and no effects (pause, remediation, alert) are decided.
 */
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.js";
import { buildEvaluation, type EvaluateInput, type Evaluation, evaluationSchema } from "../domain/evaluation.js";
import { decideGate } from "../domain/gate.js";
import { type FairnessPolicy, resolvePolicy } from "../domain/policy.js";
import { groupLabel, type SliceTable } from "../domain/slices.js";
import type { SliceWindowRow } from "../engine/ports.js";
import { addSliceRows, createSliceAccumulators } from "../engine/window.js";
import type { TenantStore } from "../store/tenant-store.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";
import type { EvaluateRequest } from "./evaluate-request.js";

/** Rows handed to the accumulators at a time, and traces read per page: bounded memory per step. */
const PAGE = 20_000;
const DAY = 86_400_000;
const COUNTERFACTUAL_NOTE = "not available for an evaluate request (no flow version is re-run)";

export interface EvaluateResult {
  evaluationId: string;
  evaluation: Evaluation;
}

type GroupSource = string | number | boolean | null | undefined | Record<string, string | number | boolean | null>;

/**
 * A row's group labels per evaluated attribute (null: not usable for it). A scalar is the
 * primary attribute's value; an object names its attributes. Labels come from the domain's
 * `groupLabel`, as every other path groups.
 */
function labelsOf(g: GroupSource, attributes: readonly string[]): (string | null)[] {
  if (g === null || g === undefined || typeof g !== "object") return attributes.map((_, i) => (i === 0 ? groupLabel(g) : null));
  return attributes.map((a) => (Object.hasOwn(g, a) ? groupLabel(g[a]) : null));
}

const usable = (labels: (string | null)[]) => labels.some((l) => l !== null);

/** Accumulates rows into the policy's slices, PAGE rows per kernel call. */
function createRowSink(deps: ServiceDeps, attributes: string[], calibrationBins: number) {
  const s = createSliceAccumulators(deps.kernels, attributes, { calibrationBins });
  let rows: SliceWindowRow[] = [];
  let labels: (string | null)[][] = [];
  const flush = () => {
    if (rows.length === 0) return;
    try {
      addSliceRows(s, rows, labels);
    } catch (err) {
      // The kernels' dictionary holds 65,535 groups per slice (engine/window).
      if (err instanceof RangeError) throw new ValidationError(`${err.message}: too many distinct groups to evaluate`, {}, "evaluate_too_many_groups");
      throw err;
    }
    rows = [];
    labels = [];
  };
  return {
    add(row: SliceWindowRow, l: (string | null)[]) {
      rows.push(row);
      labels.push(l);
      if (rows.length >= PAGE) flush();
    },
    tables(): SliceTable[] {
      flush();
      return s.tables();
    },
  };
}

/** The inline samples as rows; every sample is counted, usable or not. */
function inlineRows(req: Extract<EvaluateRequest, { mode: "inline" }>, sink: ReturnType<typeof createRowSink>, attributes: string[]): EvaluateInput {
  const input: EvaluateInput = { mode: "inline", rows: req.samples.length, usable: 0, withoutGroup: 0, labels: "request", withoutLabel: 0 };
  req.samples.forEach((x, i) => {
    const l = labelsOf(x.group ?? x.groups, attributes);
    if (!usable(l)) return void input.withoutGroup++;
    input.usable++;
    const label = x.label ?? null;
    if (label === null) input.withoutLabel++;
    sink.add({ seq: i, createdAt: 0, groups: [], selected: x.decision, converted: label, score: x.score ?? null }, l);
  });
  return input;
}

/** The flow's traces of [from, to) joined with the caller's lookups, page by page. */
async function joinedRows(
  store: TenantStore,
  req: Extract<EvaluateRequest, { mode: "trace-join" }>,
  sink: ReturnType<typeof createRowSink>,
  attributes: string[],
): Promise<EvaluateInput> {
  // Maps, not the parsed objects: a customerId such as "constructor" must not hit an inherited member.
  const groups = new Map(Object.entries(req.groupLookup));
  const labelMap = req.labelLookup ? new Map(Object.entries(req.labelLookup)) : null;
  const input: EvaluateInput = { mode: "trace-join", rows: 0, usable: 0, withoutGroup: 0, labels: labelMap ? "lookup" : "recorded", withoutLabel: 0 };
  let after: { createdAt: number; seq: number } | null = null;
  for (;;) {
    const page = await store.window.customerPage(req.flowKey, Date.parse(req.from), Date.parse(req.to), after, PAGE);
    for (const t of page) {
      input.rows++;
      const l = labelsOf(groups.get(t.customerId), attributes);
      if (!usable(l)) {
        input.withoutGroup++;
        continue;
      }
      input.usable++;
      let label = t.converted;
      if (labelMap) {
        const v = labelMap.get(t.customerId);
        label = v === undefined || v === null ? null : v === true || v === 1 ? 1 : 0;
      }
      if (label === null) input.withoutLabel++;
      sink.add({ seq: t.seq, createdAt: t.createdAt, groups: [], selected: t.selected, converted: label, score: t.score }, l);
    }
    if (page.length < PAGE) break;
    const last = page[page.length - 1]!;
    after = { createdAt: last.createdAt, seq: last.seq };
  }
  return input;
}

/**
 * Evaluates the request's rows under `req.policy` (or the tenant's policy), stores the
 * evaluation with its audit row, and returns it. A missing or disabled policy → 409
 * fairness_policy_disabled; an unknown flow key → 404; nothing is written on any error.
 */
export async function evaluateFairness(deps: ServiceDeps, store: TenantStore, actor: Actor, req: EvaluateRequest): Promise<EvaluateResult> {
  const given = req.policy !== undefined;
  let policy: FairnessPolicy | null;
  if (req.policy !== undefined) {
    const { override: _override, ...rest } = req.policy; // refused by the schema; never stored
    policy = rest;
  } else policy = await store.governance.getPolicy();
  if (!policy?.enabled)
    throw new ConflictError("fairness_policy_disabled", given ? "The given policy is disabled: nothing can pass or fail." : "The tenant has no enabled fairness policy; send one as `policy`.");
  let window: Evaluation["window"] = null;
  let flowKey: string | null = null;
  if (req.mode === "trace-join") {
    const flow = await store.flows.getByKey(req.flowKey);
    if (!flow) throw new NotFoundError("decision flow");
    flowKey = flow.key;
    const from = new Date(req.from);
    const to = new Date(req.to);
    window = { from: from.toISOString(), to: to.toISOString(), days: Math.ceil((to.getTime() - from.getTime()) / DAY) };
  }
  const rp = resolvePolicy(policy);
  const sink = createRowSink(deps, rp.attributes, rp.calibrationBins);
  const input = req.mode === "inline" ? inlineRows(req, sink, rp.attributes) : await joinedRows(store, req, sink, rp.attributes);
  // One gate call over every slice, as services/evaluate.ts and `fairgate check` make it: no
  // override (an evaluation never bypasses), no baseline and no kept sequence (there is no flow version).
  const gate = decideGate(policy, { observed: sink.tables(), baseline: null, counterfactualNote: COUNTERFACTUAL_NOTE, sequential: null }, null, {
    resample: (cells, replicates, seed) => deps.kernels.bootstrap(cells, replicates, seed),
  });
  const now = deps.clock();
  const built = buildEvaluation({ id: deps.newId(), flowId: null, flowKey, version: null, trigger: "evaluate", policy, window, now, input }, gate);
  // What is stored and returned is the shared schema, parsed rather than assumed.
  const evaluation = evaluationSchema.parse(built);
  const at = now.toISOString();
  await store.write([
    store.evidence.evaluationStmt(evaluation, null),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "fairness_evaluation",
        entityId: evaluation.id,
        action: "fairness_evaluate",
        actor: actor.name,
        // Counts and the verdict only: never a customerId, group value or label.
        details: withActor({ mode: req.mode, flowKey, window, policy: given ? "request" : "tenant", verdict: evaluation.verdict, input }, actor),
      },
      at,
    ),
  ]);
  return { evaluationId: evaluation.id, evaluation };
}
