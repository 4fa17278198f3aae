/**
 * @module scripts/cli/args
 * Command-line parsing for `fairgate`. Strict: an unknown flag, a missing value
 * or a contradictory combination is a UsageError (exit 2 with the usage text),
 * so a typo in a CI script can never silently weaken the gate.
 */
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { type SweepRange, sweepThresholds } from "../../worker/domain/threshold-sweep.js";
import { UsageError } from "./errors.js";
import type { InputFormat } from "./input.js";

export const USAGE = `Usage: fairgate check --input FILE --sensitive COL [--sensitive COL ...]
                      (--decision COL | --score COL --threshold T) [--label COL]
                      [--policy FILE] [--format csv|ndjson|parquet|arrow] [--json] [--out DIR]
                      [--kernels wasm|reference] [--baseline FILE]
                      [--decision-rule point|confident|sequential]
                      [--interval-method bootstrap|analytic|simultaneous]
                      [--multiplicity holm|bh|none]
                      [--state FILE]
                      [--junit FILE] [--summary FILE] [--fail-on block|critical|warning]
                      [--sweep FROM:TO:STEP] [--scoring-rate median]
       fairgate verify FILE [--public-key KEY] [--json]
       fairgate audit ll144 --input FILE --sex COL --race COL (--decision COL | --score COL)
                      [--exclude-small "justification"] [--distribution-date DATE]
                      [--format csv|ndjson] [--json] [--out DIR]

Runs the Fairgate fairness gate over a CSV, NDJSON, Parquet or Arrow IPC file of decisions.

  --input FILE        decisions, one row per decision (.csv, .ndjson, .jsonl, .parquet,
                      .arrow, .feather, .ipc or .arrows)
  --format F          csv, ndjson, parquet or arrow (audit ll144: csv or ndjson);
                      default: from the file extension
  --sensitive COL     sensitive attribute column; repeat it to evaluate each attribute
                      and their intersection ("a|b") in one evaluation with one verdict,
                      as the gateway does for sensitiveAttributes
                      (default: the policy's sensitiveAttribute(s))
  --label COL         observed outcome: 0/1/true/false; empty = unknown
  --decision COL      the decision: 0/1/true/false (1 = selected)
  --score COL         a score column; selected = score >= T (with --threshold T)
  --threshold T       the score threshold
  --scoring-rate median
                      with --score instead of --threshold: selected = score above the
                      whole file's median score (NYC Local Law 144's scoring rate; the
                      file is read twice)
  --sweep FROM:TO:STEP
                      with --score: also decide the gate at every threshold FROM..TO
                      (inclusive, at most 201), in the JSON's "thresholdSweep" and as a
                      chart in report.html; the verdict stays the --threshold one
  --policy FILE       fairnessPolicy JSON (the object, or {"fairnessPolicy": {...}}); default:
                      {"enabled":true,"sensitiveAttributes":<the --sensitive columns>,
                       "thresholds":{"disparateImpactRatio":0.8}}
  --json              print the evaluation as JSON on stdout: the gateway's evaluation
                      schema (trigger "cli", flowId "cli", flowKey = the input file name)
  --out DIR           also write DIR/evaluation.json, DIR/report.json and DIR/report.html,
                      and DIR/report.pdf when Chromium and playwright-core are there
                      (FAIRGATE_CHROMIUM_PATH: the browser, or "off"; else a note on stderr)
  --kernels K         wasm (default) or reference
  --baseline FILE     a previous evaluation.json: a metric worse than there by more than
                      the policy's maxRegression for it is reported as a warning
  --decision-rule R   point, confident or sequential (replaces the policy's decisionRule)
  --interval-method M bootstrap, analytic or simultaneous (replaces the policy's intervalMethod)
  --multiplicity M    holm, bh or none (replaces the policy's multiplicity)
  --state FILE        with the sequential rule: the confidence sequences carried from one
                      run to the next. Each run's input is the decisions since the previous
                      run; the file is created when missing and replaced atomically.
  --junit FILE        write JUnit XML: one testcase per slice x metric (failure for a
                      breach that fails the run, skipped for not gated or unavailable)
  --summary FILE      write a Markdown summary (verdict, violations, per-group tables);
                      also appended to $GITHUB_STEP_SUMMARY when that is set
  --fail-on TIER      block (default), critical or warning: the least severe tier that
                      fails the run (exit 1); a block verdict always does
  -h, --help          show this help

The whole file is the window (the policy's windowDays and continuousRecheck are
not used). Rows whose sensitive value is empty are not counted. In CSV, a repeated
header name refers to its first occurrence.
Exit status: 0 pass or skip, 1 blocked by the policy (or, with --fail-on critical|
warning, a metric at that tier or worse), 2 bad usage or bad input.

fairgate verify FILE checks an evidence export (GET /api/v1/audit-log/export,
NDJSON) offline: every hash-chain link, the chain heads, and the signed chain
anchors. --public-key KEY (the gateway's GET /api/v1/evidence/public-key,
raw Ed25519 base64url) checks the signatures against a key you obtained
independently; without it they are checked against the key inside the file.
A ZIP file (GET /api/v1/evidence-pack) is verified as an evidence pack: every member
against SHA256SUMS, manifest.json and the pack's audit row in the signed audit chain,
the evaluations and policies against their chained rows, and the export as above.
Exit status: 0 intact, 1 tampered or truncated (the member is named), 2 bad usage,
not an export or not a pack.

fairgate audit ll144 builds the NYC Local Law 144 bias-audit tables (sex, race/
ethnicity, their intersection): count, selection rate (--decision) or scoring rate
(--score: share above the file's median score), impact ratio against the highest
category, and per ratio a two-sided significance test (Fisher's exact test when an
expected cell is below 5, else a two-proportion z-test) with UGESP's one-selection
practical-significance check. Empty sex/race cells are counted as unknown.
--exclude-small "why" excludes categories under 2% of the individuals from the
impact ratios (their count and rate stay). --out DIR writes DIR/ll144.json and
DIR/ll144.html. Exit status: 0 written, 2 bad usage or bad input.`;

/** How the "selected" bit of a row is obtained. */
export type Selection =
  | { kind: "decision"; column: string }
  | { kind: "score"; column: string; threshold: number }
  /** --scoring-rate median: selected = score strictly above the whole file's median (LL144's scoring rate). */
  | { kind: "median"; column: string };

/** The least severe tier that fails the run (exit 1). */
export type FailOn = "block" | "critical" | "warning";

/** Everything `fairgate check` needs, validated. */
export interface CheckOptions {
  input: string;
  format: InputFormat;
  /** Possibly empty: then the policy's sensitiveAttribute is used. */
  sensitive: string[];
  label: string | null;
  selection: Selection;
  policyFile: string | null;
  json: boolean;
  out: string | null;
  kernels: "wasm" | "reference";
  /** A previous evaluation to compare with (maxRegression); absent for none. */
  baseline?: string;
  /** Replace the policy's decisionRule / intervalMethod / multiplicity when given. */
  decisionRule?: "point" | "confident" | "sequential";
  intervalMethod?: "bootstrap" | "analytic" | "simultaneous";
  multiplicity?: "holm" | "bh" | "none";
  /** The sequential state file carried between runs. */
  stateFile?: string;
  /** CI outputs: JUnit XML and a Markdown summary. */
  junit?: string;
  summary?: string;
  /** Default block. */
  failOn?: FailOn;
  /** --sweep FROM:TO:STEP (only with a score column). */
  sweep?: SweepRange;
}

/** Everything `fairgate audit ll144` needs, validated. */
export interface AuditOptions {
  input: string;
  format: "csv" | "ndjson";
  sex: string;
  race: string;
  rate: { kind: "selection"; column: string } | { kind: "scoring"; column: string };
  excludeSmall: string | null;
  distributionDate: string | null;
  json: boolean;
  out: string | null;
}

export type Command =
  | { kind: "help" }
  | { kind: "check"; options: CheckOptions }
  | { kind: "verify"; file: string; json: boolean; publicKey: string | null }
  | { kind: "audit-ll144"; options: AuditOptions };

const OPTIONS = {
  input: { type: "string" },
  format: { type: "string" },
  sensitive: { type: "string", multiple: true },
  label: { type: "string" },
  decision: { type: "string" },
  score: { type: "string" },
  threshold: { type: "string" },
  policy: { type: "string" },
  json: { type: "boolean" },
  out: { type: "string" },
  kernels: { type: "string" },
  baseline: { type: "string" },
  "decision-rule": { type: "string" },
  "interval-method": { type: "string" },
  multiplicity: { type: "string" },
  state: { type: "string" },
  junit: { type: "string" },
  summary: { type: "string" },
  "fail-on": { type: "string" },
  sweep: { type: "string" },
  "scoring-rate": { type: "string" },
  "public-key": { type: "string" },
  sex: { type: "string" },
  race: { type: "string" },
  "exclude-small": { type: "string" },
  "distribution-date": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The format implied by a file name, or null when the extension says nothing. */
export function formatFromName(file: string): InputFormat | null {
  const ext = extname(file).toLowerCase();
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  // Arrow IPC: the file format (.arrow, .feather v2, .ipc) and the stream format (.arrows).
  if (ext === ".arrow" || ext === ".feather" || ext === ".ipc" || ext === ".arrows") return "arrow";
  return ext === ".csv" ? "csv" : ext === ".ndjson" || ext === ".jsonl" ? "ndjson" : null;
}

const FORMATS: readonly InputFormat[] = ["csv", "ndjson", "parquet", "arrow"];

/**
 * A base64url public key may begin with "-", which node:util would take for an option:
 * `--public-key VALUE` is joined into `--public-key=VALUE` before parsing.
 */
function joinKeyValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--public-key" && i + 1 < argv.length) out.push(`--public-key=${argv[++i]}`);
    else out.push(argv[i]!);
  }
  return out;
}

function parse(argv: string[]) {
  try {
    return parseArgs({ args: joinKeyValues(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util names the flag in its first sentence; its follow-up advice (about "--" or
    // "--flag=-x") would break the one-line message, so keep the first line only.
    const first = (err as Error).message.split("\n")[0]!.split(/\. To specify a positional/)[0]!;
    throw new UsageError(first.includes("ambiguous") ? `${first.replace(/\.$/, "")} (missing value?)` : first);
  }
}

/** Parses `argv` (without node and script). Throws UsageError. */
export function parseCommand(argv: string[]): Command {
  const { values: v, positionals } = parse(argv);
  if (v.help) return { kind: "help" };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError("missing command");
  if (command === "verify") {
    const other = Object.keys(v).filter((k) => k !== "json" && k !== "public-key");
    if (other.length > 0) throw new UsageError(`--${other[0]} does not apply to verify`);
    if (extra.length !== 1) throw new UsageError(extra.length === 0 ? "verify needs the export FILE" : `unexpected argument "${extra[1]}"`);
    const key = v["public-key"];
    if (key !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(key.trim())) throw new UsageError("--public-key must be a raw Ed25519 public key in base64url (43 characters)");
    return { kind: "verify", file: extra[0]!, json: v.json ?? false, publicKey: key?.trim() ?? null };
  }
  if (command === "audit") return parseAudit(v, extra);
  if (command !== "check") throw new UsageError(`unknown command "${command}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const auditOnly = (["sex", "race", "exclude-small", "distribution-date"] as const).find((k) => v[k] !== undefined);
  if (auditOnly) throw new UsageError(`--${auditOnly} does not apply to check`);

  if (!v.input) throw new UsageError("--input FILE is required");
  let format: InputFormat;
  if (v.format !== undefined) {
    if (!FORMATS.includes(v.format as InputFormat)) throw new UsageError(`--format must be csv, ndjson, parquet or arrow, not "${v.format}"`);
    format = v.format as InputFormat;
  } else {
    const guessed = formatFromName(v.input);
    if (!guessed) throw new UsageError(`cannot tell the format of "${v.input}" from its extension; pass --format csv|ndjson|parquet|arrow`);
    format = guessed;
  }

  let selection: Selection;
  if (v.decision !== undefined && v.score !== undefined) throw new UsageError("--decision and --score are mutually exclusive");
  if (v.decision !== undefined) {
    if (v.threshold !== undefined) throw new UsageError("--threshold only applies with --score");
    selection = { kind: "decision", column: v.decision };
  } else if (v.score !== undefined && v["scoring-rate"] !== undefined) {
    if (v["scoring-rate"] !== "median") throw new UsageError(`--scoring-rate must be median, not "${v["scoring-rate"]}"`);
    if (v.threshold !== undefined) throw new UsageError("--threshold and --scoring-rate median are mutually exclusive");
    selection = { kind: "median", column: v.score };
  } else if (v.score !== undefined) {
    if (v.threshold === undefined) throw new UsageError("--score needs --threshold T (or --scoring-rate median)");
    const threshold = v.threshold.trim() === "" ? NaN : Number(v.threshold);
    if (!Number.isFinite(threshold)) throw new UsageError(`--threshold must be a number, not "${v.threshold}"`);
    selection = { kind: "score", column: v.score, threshold };
  } else {
    throw new UsageError("one of --decision COL or --score COL --threshold T is required");
  }

  const sensitive = [...new Set(v.sensitive ?? [])];
  if (sensitive.some((s) => s === "")) throw new UsageError("--sensitive needs a column name");
  if (sensitive.length === 0 && v.policy === undefined)
    throw new UsageError("--sensitive COL is required (or a --policy naming its sensitiveAttribute)");

  const kernels = v.kernels ?? "wasm";
  if (kernels !== "wasm" && kernels !== "reference") throw new UsageError(`--kernels must be wasm or reference, not "${kernels}"`);
  const decisionRule = oneOf("decision-rule", v["decision-rule"], ["point", "confident", "sequential"] as const);
  const intervalMethod = oneOf("interval-method", v["interval-method"], ["bootstrap", "analytic", "simultaneous"] as const);
  const multiplicity = oneOf("multiplicity", v.multiplicity, ["holm", "bh", "none"] as const);
  if (v.state === "") throw new UsageError("--state needs a FILE");
  if (v.state !== undefined && decisionRule !== undefined && decisionRule !== "sequential") throw new UsageError("--state only applies with the sequential decision rule");
  if (v["scoring-rate"] !== undefined && v.score === undefined) throw new UsageError("--scoring-rate only applies with --score");
  const failOn = oneOf("fail-on", v["fail-on"], ["block", "critical", "warning"] as const);
  for (const k of ["junit", "summary"] as const) if (v[k] === "") throw new UsageError(`--${k} needs a FILE`);
  const sweep = v.sweep === undefined ? undefined : parseSweep(v.sweep, v.score !== undefined);

  return {
    kind: "check",
    options: {
      input: v.input,
      format,
      sensitive,
      label: v.label ?? null,
      selection,
      policyFile: v.policy ?? null,
      json: v.json ?? false,
      out: v.out ?? null,
      kernels,
      ...(v.baseline !== undefined ? { baseline: v.baseline } : {}),
      ...(decisionRule !== undefined ? { decisionRule } : {}),
      ...(intervalMethod !== undefined ? { intervalMethod } : {}),
      ...(multiplicity !== undefined ? { multiplicity } : {}),
      ...(v.state !== undefined ? { stateFile: v.state } : {}),
      ...(v.junit !== undefined ? { junit: v.junit } : {}),
      ...(v.summary !== undefined ? { summary: v.summary } : {}),
      ...(failOn !== undefined ? { failOn } : {}),
      ...(sweep !== undefined ? { sweep } : {}),
    },
  };
}

/** `--sweep FROM:TO:STEP`: three numbers, a non-empty range of at most 201 thresholds. */
function parseSweep(text: string, scored: boolean): SweepRange {
  if (!scored) throw new UsageError("--sweep only applies with --score");
  const parts = text.split(":");
  const nums = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
  if (parts.length !== 3 || !nums.every(Number.isFinite)) throw new UsageError(`--sweep must be FROM:TO:STEP (three numbers), not "${text}"`);
  const range = { from: nums[0]!, to: nums[1]!, step: nums[2]! };
  try {
    sweepThresholds(range);
  } catch (err) {
    throw new UsageError(`--sweep ${text}: ${(err as Error).message}`);
  }
  return range;
}

/** A flag restricted to `allowed` values (undefined when absent). */
function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be ${allowed.slice(0, -1).join(", ")} or ${allowed[allowed.length - 1]}, not "${value}"`);
  return value as T;
}

function inputFormat(input: string, format: string | undefined): "csv" | "ndjson" {
  if (format !== undefined) {
    if (format !== "csv" && format !== "ndjson") throw new UsageError(`--format must be csv or ndjson, not "${format}"`);
    return format;
  }
  const guessed = formatFromName(input);
  if (guessed === "parquet" || guessed === "arrow") throw new UsageError(`audit ll144 reads csv or ndjson, not ${guessed}`);
  if (!guessed) throw new UsageError(`cannot tell the format of "${input}" from its extension; pass --format csv|ndjson`);
  return guessed;
}

/** `fairgate audit ll144 …` (the only audit so far). */
function parseAudit(v: ReturnType<typeof parse>["values"], extra: string[]): Command {
  const [kind, ...rest] = extra;
  if (kind !== "ll144") throw new UsageError(kind === undefined ? "audit needs a kind: ll144" : `unknown audit "${kind}"`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const foreign = (["sensitive", "label", "threshold", "policy", "kernels", "baseline", "public-key", "decision-rule", "interval-method", "multiplicity", "state", "junit", "summary", "fail-on", "sweep", "scoring-rate"] as const).find((k) => v[k] !== undefined);
  if (foreign) throw new UsageError(`--${foreign} does not apply to audit ll144`);
  if (!v.input) throw new UsageError("--input FILE is required");
  if (!v.sex) throw new UsageError("--sex COL is required");
  if (!v.race) throw new UsageError("--race COL is required");
  if (v.decision !== undefined && v.score !== undefined) throw new UsageError("--decision and --score are mutually exclusive");
  if (v.decision === undefined && v.score === undefined) throw new UsageError("one of --decision COL or --score COL is required");
  const excludeSmall = v["exclude-small"];
  if (excludeSmall !== undefined && excludeSmall.trim().length < 10)
    throw new UsageError("--exclude-small needs the justification, in words (at least 10 characters)");
  return {
    kind: "audit-ll144",
    options: {
      input: v.input,
      format: inputFormat(v.input, v.format),
      sex: v.sex,
      race: v.race,
      rate: v.decision !== undefined ? { kind: "selection", column: v.decision } : { kind: "scoring", column: v.score! },
      excludeSmall: excludeSmall?.trim() ?? null,
      distributionDate: v["distribution-date"]?.trim() || null,
      json: v.json ?? false,
      out: v.out ?? null,
    },
  };
}
