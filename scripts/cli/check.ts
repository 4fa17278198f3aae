/**
 * @module scripts/cli/check
 * `fairgate check`: streams a decisions file into the slice tables a gateway policy
 * with the same sensitive attributes evaluates (each attribute, then their
 * intersection "a|b") and calls the gateway's own gate ONCE over all of them
 * (decideGate + buildEvaluation), so the CLI and the gateway give one verdict on the
 * same rows. The output is the gateway's evaluation (evaluationSchema), every slice in
 * `results[]`.
 *
 * The whole file is the window (`window` null). There is no decision flow: `flowId` is
 * the literal "cli" and `flowKey` the input file's base name, so an evaluation.json
 * says where it came from; `version` is null, and there are no overrides (bypass
 * needs a second approver in the gateway).
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildEvaluation, type Evaluation, evaluationSchema } from "../../worker/domain/evaluation.js";
import { decideGate } from "../../worker/domain/gate.js";
import { type FairnessPolicy, resolvePolicy } from "../../worker/domain/policy.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { type Kernels, OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import type { CheckOptions } from "./args.js";
import { loadBaseline } from "./baseline.js";
import { CellError, createSlices, parseBinary, parseGroup, parseScore, TooManyGroupsError } from "./encode.js";
import { at, InputError } from "./errors.js";
import { inputSize, readRows } from "./input.js";
import { createBatchSink } from "./columnar.js";
import { defaultPolicy, DEFAULT_THRESHOLDS, loadPolicyFile, withAttributes } from "./policy.js";
import { createProgress } from "./progress.js";
import { loadState, saveState } from "./state.js";
import { renderSummary } from "./report.js";
import { writeReportFiles } from "./report-files.js";
import { writeCiOutputs } from "./ci-outputs.js";
import { exitCodeFor } from "./fail-on.js";
import { medianScoreOf } from "./scoring-rate.js";
import { createSweep } from "./sweep.js";
import { tierUpWasmEagerly } from "./wasm-tiering.js";

/** Where the CLI writes; injectable so tests and embedders need no child process. */
export interface CheckIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  now?: () => Date;
  newId?: () => string;
  /** Where $GITHUB_STEP_SUMMARY is read from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** The literal flowId of every `fairgate check` evaluation (there is no stored flow). */
export const CLI_FLOW_ID = "cli";

/** Exit status of an evaluation under --fail-on (scripts/cli/fail-on): by default only a block fails the pipeline. */
export { exitCodeFor };

async function loadKernels(kind: CheckOptions["kernels"]): Promise<Kernels> {
  tierUpWasmEagerly(); // before any module is compiled: the page kernels and zstd are Wasm too
  if (kind === "reference") return createReferenceKernels();
  try {
    return await loadWasmKernelsFromFile();
  } catch (err) {
    throw new InputError(`cannot load the Wasm kernels: ${(err as Error).message} (or pass --kernels reference)`);
  }
}

/** --decision-rule, --interval-method and --multiplicity replace the policy's settings. */
function withRuleFlags(policy: FairnessPolicy, o: CheckOptions): FairnessPolicy {
  return {
    ...policy,
    ...(o.decisionRule ? { decisionRule: o.decisionRule } : {}),
    ...(o.intervalMethod ? { intervalMethod: o.intervalMethod } : {}),
    ...(o.multiplicity ? { multiplicity: o.multiplicity } : {}),
  };
}

/** The policy to gate with; --sensitive flags replace the policy's attributes, in flag order. */
async function policyFor(o: CheckOptions, note: (s: string) => void): Promise<FairnessPolicy> {
  if (o.policyFile === null) {
    const policy = withRuleFlags(defaultPolicy(o.sensitive), o); // args guarantee at least one without --policy
    const named = o.sensitive.length > 1 ? { sensitiveAttributes: o.sensitive } : { sensitiveAttribute: o.sensitive[0] };
    note(`no --policy given; using the default policy ${JSON.stringify({ enabled: true, ...named, thresholds: DEFAULT_THRESHOLDS })} (minSampleSize ${policy.minSampleSize})`);
    return policy;
  }
  const loaded = await loadPolicyFile(o.policyFile);
  loaded.notes.forEach(note);
  const policy = withRuleFlags(loaded.policy, o);
  if (o.sensitive.length === 0) return policy;
  const own = resolvePolicy(policy).attributes;
  if (!o.sensitive.includes(policy.sensitiveAttribute))
    note(`--sensitive ${o.sensitive.join(", ")} replaces the policy's sensitiveAttribute "${policy.sensitiveAttribute}"`);
  else if (own.join("\0") !== o.sensitive.join("\0"))
    note(`--sensitive ${o.sensitive.join(", ")} replaces the policy's sensitive attributes ${own.join(", ")}`);
  return withAttributes(policy, o.sensitive);
}

/** Runs `fairgate check`; returns the exit status. Throws InputError for bad input. */
export async function runCheck(o: CheckOptions, io: CheckIo): Promise<number> {
  // Notes are held back until the output is ready: a failing run then prints exactly one
  // line, and nothing interleaves with the progress bar.
  const notes: string[] = [];
  const note = (s: string) => void notes.push(s);
  const policy = await policyFor(o, note);
  // The gateway's resolution of the policy: attributes in order, bins, seed.
  const rp = resolvePolicy(policy);
  const attributes = rp.attributes;
  const size = await inputSize(o.input);
  const kernels = await loadKernels(o.kernels);
  const slices = createSlices(attributes, kernels, undefined, rp.calibrationBins);

  const sel = o.selection;
  // --scoring-rate median: a first pass finds the whole file's median score; rows above it are selected.
  let median = NaN;
  if (sel.kind === "median" && policy.enabled) {
    const m = await medianScoreOf(o.input, o.format, sel.column);
    median = m.median ?? NaN;
    note(`scoring rate: a row is selected when its ${JSON.stringify(sel.column)} is above the median score ${m.median === null ? "(no rows)" : m.median} of all ${m.rows} rows`);
  }
  const sweep = o.sweep && sel.kind !== "decision" ? createSweep(sel.column, o.sweep, attributes, kernels, rp.calibrationBins) : null;
  const columns = [...attributes, ...(o.label === null ? [] : [o.label]), sel.column];
  const labelAt = o.label === null ? -1 : attributes.length;
  const selAt = columns.length - 1;
  const values = new Array<string | null>(attributes.length);
  const onRow = (line: number, cells: unknown[]) => {
    let i = 0;
    try {
      for (; i < attributes.length; i++) values[i] = parseGroup(cells[i]);
      i = labelAt;
      const outcome = labelAt === -1 ? OUTCOME_UNKNOWN : (parseBinary(cells[labelAt]) ?? OUTCOME_UNKNOWN);
      i = selAt;
      let selected: number;
      if (sel.kind === "decision") {
        const d = parseBinary(cells[selAt]);
        if (d === null) throw new CellError("is empty; every row needs a decision");
        selected = d;
      } else {
        const score = parseScore(cells[selAt]);
        if (score === null) throw new CellError("is empty; every row needs a score");
        selected = (sel.kind === "score" ? score >= sel.threshold : score > median) ? 1 : 0;
        for (const s of slices) s.add(values, selected, outcome, score);
        sweep?.add(values, outcome, score);
        return;
      }
      for (const s of slices) s.add(values, selected, outcome);
    } catch (err) {
      if (err instanceof CellError) throw at(o.input, line, `column ${JSON.stringify(columns[i])} ${err.message}`);
      if (err instanceof TooManyGroupsError) throw at(o.input, line, err.message);
      throw err;
    }
  };
  // Parquet, Arrow and CSV also come as column batches, counted by the kernels without a
  // per-row object (scripts/cli/columnar); the sweep counts row by row, so it takes rows.
  const batches = sweep
    ? undefined
    : createBatchSink({
        slices,
        attributes: attributes.length,
        labelAt,
        columns,
        selection: sel.kind === "decision" ? { kind: "decision" } : { kind: "score", threshold: sel.kind === "score" ? sel.threshold : median, above: sel.kind !== "score" },
        file: o.input,
      });

  let rows = 0;
  if (policy.enabled) {
    // Only a TTY gets the bar: in CI logs carriage returns just add noise.
    const progress = io.stderr.isTTY ? createProgress(io.stderr, size) : null;
    try {
      rows = await readRows({
        file: o.input,
        format: o.format,
        columns,
        required: new Set([sel.column]),
        onRow,
        batches,
        onProgress: progress ? (b) => progress.update(b) : undefined,
        onNote: note,
      });
    } finally {
      progress?.clear();
    }
  } else {
    // Same as the gateway: a disabled policy skips without reading any traces.
    note("the policy is disabled; the input was not read");
  }

  const now = io.now?.() ?? new Date();
  const newId = io.newId ?? randomUUID;
  const baseline = o.baseline === undefined ? null : await loadBaseline(o.baseline);
  // One gate call over every slice, exactly as services/evaluate.ts makes it; intervals
  // come from the kernels' Poisson bootstrap with the policy's seed.
  const observed = policy.enabled ? slices.map((s) => s.sliceTable()) : [];
  const counterfactualNote = "not available in fairgate check (there is no decision flow to re-run)";
  // --state: this file is the look's new data; the kept sequences continue from the previous run.
  if (o.stateFile !== undefined && rp.decisionRule !== "sequential") throw new InputError(`--state only applies with the sequential decision rule (the policy's is "${rp.decisionRule}")`);
  const prior = o.stateFile !== undefined ? await loadState(o.stateFile) : [];
  const through = now.toISOString();
  const sequential =
    o.stateFile !== undefined ? { prior, increment: prior.length ? observed : null, from: prior[0]?.since ?? through, through, persist: true } : null;
  const gate = decideGate(policy, { observed, baseline, counterfactualNote, sequential }, null, { resample: kernels.bootstrap });
  const built = buildEvaluation(
    { id: newId(), flowId: CLI_FLOW_ID, flowKey: basename(o.input), version: null, trigger: "cli", policy, window: null, now },
    gate,
  );
  // --sweep: the same gate decided again at each threshold, carried in the one evaluation shape.
  if (sweep) built.thresholdSweep = sweep.result(policy, { resample: kernels.bootstrap, counterfactualNote });
  // The selection rule is evidence too: the median a scoring rate cut at is recorded, not only printed.
  built.selection =
    sel.kind === "decision"
      ? { kind: "decision", column: sel.column }
      : { kind: "score", column: sel.column, rule: sel.kind === "score" ? "at-least" : "above-median", threshold: sel.kind === "score" ? sel.threshold : Number.isFinite(median) ? median : null };
  // The printed document is the gateway's schema, nothing more: parsed, not assumed.
  const evaluation = evaluationSchema.parse(built);

  if (o.stateFile !== undefined && policy.enabled) await saveState(o.stateFile, gate.sequences, evaluation.id, now);

  const json = `${JSON.stringify(evaluation, null, 2)}\n`;
  if (o.out !== null) {
    try {
      await mkdir(o.out, { recursive: true });
      await writeFile(join(o.out, "evaluation.json"), json);
      const pdfNote = await writeReportFiles(o.out, evaluation, o.input, now, baseline, io.env ?? process.env);
      if (pdfNote) note(pdfNote);
    } catch (err) {
      throw at(o.out, null, `cannot write evaluation.json and the report (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const failOn = o.failOn ?? "block";
  await writeCiOutputs({ junit: o.junit, summary: o.summary, failOn, stepSummary: (io.env ?? process.env).GITHUB_STEP_SUMMARY }, evaluation, { file: basename(o.input), rows });
  for (const n of notes) io.stderr.write(`fairgate: ${n}\n`);
  io.stdout.write(o.json ? json : renderSummary(evaluation, { file: o.input, format: o.format, rows }));
  return exitCodeFor(evaluation, failOn);
}
