/**
 * @module scripts/cli/check
 * `fairgate check`: streams a decisions file into per-slice confusion tables and
 * runs the gateway's own gate (decideGate + buildEvaluation) over each, so the
 * CLI and the gateway cannot disagree. With several --sensitive attributes each
 * is evaluated alone and together ("a|b"); the top level then carries the first
 * attribute's groups and metrics, the combined verdict (block if any slice
 * blocks), every slice's violations prefixed with its name, and `slices`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildEvaluation, type Evaluation } from "../../worker/domain/evaluation.js";
import type { BaselineView } from "../../worker/domain/baseline.js";
import { decideGate } from "../../worker/domain/gate.js";
import type { FairnessPolicy } from "../../worker/domain/policy.js";
import { createReferenceKernels } from "../../worker/engine/kernels/reference.js";
import { type Kernels, OUTCOME_UNKNOWN } from "../../worker/engine/kernels/types.js";
import { loadWasmKernelsFromFile } from "../../worker/engine/kernels/wasm-node.js";
import type { CheckOptions } from "./args.js";
import { CellError, createSlices, parseBinary, parseGroup, parseScore, TooManyGroupsError } from "./encode.js";
import { at, InputError } from "./errors.js";
import { inputSize, readRows } from "./input.js";
import { defaultPolicy, DEFAULT_THRESHOLDS, loadPolicyFile } from "./policy.js";
import { createProgress } from "./progress.js";
import { renderSummary } from "./report.js";
import { writeReportFiles } from "./report-files.js";

/** Where the CLI writes; injectable so tests and embedders need no child process. */
export interface CheckIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  now?: () => Date;
  newId?: () => string;
}

/** The CLI's output: an evaluation (validates against evaluationSchema) plus what was read. */
export interface CheckOutput extends Evaluation {
  input: { file: string; format: "csv" | "ndjson"; rows: number };
  /** One evaluation per slice; present only with several sensitive attributes. */
  slices?: Evaluation[];
}

/** Exit status for a verdict: only a block fails the pipeline. */
export const exitCodeFor = (verdict: Evaluation["verdict"]): 0 | 1 => (verdict === "block" ? 1 : 0);

async function loadKernels(kind: CheckOptions["kernels"]): Promise<Kernels> {
  if (kind === "reference") return createReferenceKernels();
  try {
    return await loadWasmKernelsFromFile();
  } catch (err) {
    throw new InputError(`cannot load the Wasm kernels: ${(err as Error).message} (or pass --kernels reference)`);
  }
}

async function resolvePolicy(o: CheckOptions, note: (s: string) => void): Promise<{ policy: FairnessPolicy; attributes: string[] }> {
  if (o.policyFile === null) {
    const attributes = o.sensitive; // args guarantee at least one without --policy
    const policy = defaultPolicy(attributes[0]!);
    note(`no --policy given; using the default policy ${JSON.stringify({ enabled: true, sensitiveAttribute: attributes[0], thresholds: DEFAULT_THRESHOLDS })} (minSampleSize ${policy.minSampleSize})`);
    return { policy, attributes };
  }
  const loaded = await loadPolicyFile(o.policyFile);
  loaded.notes.forEach(note);
  const { policy } = loaded;
  if (o.sensitive.length === 0) return { policy, attributes: policy.sensitiveAttributes ?? [policy.sensitiveAttribute] };
  if (!o.sensitive.includes(policy.sensitiveAttribute))
    note(`--sensitive ${o.sensitive.join(", ")} replaces the policy's sensitiveAttribute "${policy.sensitiveAttribute}"`);
  return { policy, attributes: o.sensitive };
}

/** Combines slice evaluations: block if any blocks, else pass if any passes, else skip. */
function combine(slices: Evaluation[], id: string): Evaluation {
  const verdicts = slices.map((s) => s.verdict);
  const verdict = verdicts.includes("block") ? "block" : verdicts.includes("pass") ? "pass" : "skip";
  return {
    ...slices[0]!,
    id,
    verdict,
    reason: verdict === "skip" ? slices[0]!.reason : null,
    violations: slices.flatMap((s) => s.violations.map((v) => `${s.sensitiveAttribute}: ${v}`)),
    warnings: slices.flatMap((s) => s.warnings.map((w) => ({ ...w, message: `${s.sensitiveAttribute}: ${w.message}` }))),
    insufficientEvidence: slices.flatMap((s) => s.insufficientEvidence.map((v) => `${s.sensitiveAttribute}: ${v}`)),
  };
}

/**
 * Reads --baseline: a previous `fairgate check` (or gateway) evaluation. Only what the
 * comparison needs is checked; slices of a multi-attribute run contribute their results.
 */
async function loadBaseline(file: string): Promise<BaselineView> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw at(file, null, code === "ENOENT" ? "baseline file not found" : code ? `cannot read baseline file (${code})` : "baseline is not valid JSON");
  }
  const e = (json ?? {}) as Partial<Evaluation> & { slices?: Partial<Evaluation>[] };
  if (typeof e.id !== "string" || typeof e.metrics !== "object" || e.metrics === null)
    throw at(file, null, "is not an evaluation (expected the evaluation.json of a previous run)");
  const results = [...(e.results ?? []), ...(e.slices ?? []).flatMap((x) => x.results ?? [])];
  return { id: e.id, createdAt: String(e.createdAt ?? ""), sensitiveAttribute: e.sensitiveAttribute ?? null, metrics: e.metrics, results };
}

/** Runs `fairgate check`; returns the exit status. Throws InputError for bad input. */
export async function runCheck(o: CheckOptions, io: CheckIo): Promise<number> {
  // Notes are held back until the output is ready: a failing run then prints exactly one
  // line, and nothing interleaves with the progress bar.
  const notes: string[] = [];
  const note = (s: string) => void notes.push(s);
  const { policy, attributes } = await resolvePolicy(o, note);
  const size = await inputSize(o.input);
  const kernels = await loadKernels(o.kernels);
  const slices = createSlices(attributes, kernels);

  const sel = o.selection;
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
        selected = score >= sel.threshold ? 1 : 0;
        for (const s of slices) s.add(values, selected, outcome, score);
        return;
      }
      for (const s of slices) s.add(values, selected, outcome);
    } catch (err) {
      if (err instanceof CellError) throw at(o.input, line, `column ${JSON.stringify(columns[i])} ${err.message}`);
      if (err instanceof TooManyGroupsError) throw at(o.input, line, err.message);
      throw err;
    }
  };

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
  const evaluations = slices.map((s) => {
    // Each slice is its own one-attribute evaluation (the intersection is named "a|b").
    const { sensitiveAttributes: _all, ...single } = policy;
    const p: FairnessPolicy = { ...single, sensitiveAttribute: s.name };
    const observed = policy.enabled ? [{ name: s.name, attributes: s.parts.map((i) => attributes[i]!), table: s.table(), calibration: s.calibration() }] : [];
    // Intervals come from the kernels' Poisson bootstrap, exactly as in the gateway.
    const counterfactualNote = "not available in fairgate check (there is no decision flow to re-run)";
    const gate = decideGate(p, { observed, baseline, counterfactualNote }, null, { resample: kernels.bootstrap });
    return buildEvaluation({ id: newId(), flowId: null, flowKey: null, version: null, trigger: "cli", policy: p, window: null, now }, gate);
  });
  const top = evaluations.length === 1 ? evaluations[0]! : combine(evaluations, newId());
  const output: CheckOutput = {
    ...top,
    input: { file: o.input, format: o.format, rows },
    ...(evaluations.length > 1 ? { slices: evaluations } : {}),
  };

  const json = `${JSON.stringify(output, null, 2)}\n`;
  if (o.out !== null) {
    try {
      await mkdir(o.out, { recursive: true });
      await writeFile(join(o.out, "evaluation.json"), json);
      await writeReportFiles(o.out, output, o.input, now, baseline);
    } catch (err) {
      throw at(o.out, null, `cannot write evaluation.json and the report (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  for (const n of notes) io.stderr.write(`fairgate: ${n}\n`);
  io.stdout.write(o.json ? json : renderSummary(output, evaluations));
  return exitCodeFor(output.verdict);
}
