/**
 * @module domain/sequential
 * Anytime-valid confidence sequences for `decisionRule: "sequential"`: a recheck that
 * looks again every day may look forever, and still pauses a flow within its threshold
 * with probability at most alpha over all looks together.
 *
 * Per group rate (a stream of 0/1 outcomes in arrival order): the two-sided normal-
 * mixture boundary for sub-Gaussian increments (Robbins 1970; Howard, Ramdas,
 * McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Ann. Statist. 49:1055). A value in [0, 1] is 1/4-sub-Gaussian
 * (Hoeffding), so with S_t = Σ (X_i − μ_i) and V_t = t/4,
 *   P(∃ t: |S_t| ≥ √((V_t + ρ) · log((V_t + ρ) / (ρ α²)))) ≤ α     (Ville's inequality),
 * i.e. p̂_t ± √((t/4 + ρ) log((t/4 + ρ)/(ρ α²))) / t covers the running mean of the
 * (possibly drifting) conditional rates at every t simultaneously.
 *
 * A gap (max − min over k groups) or ratio (min / max) gets the sequence implied by
 * all its groups' sequences at α/k each (Bonferroni over groups; equalized odds: α/2k
 * over TPR and FPR), so it covers the true max − min however the extreme pair is
 * chosen; the FN/FP gap, the calibration gap and the counterfactual flip rate are
 * reduced to bounded-mean streams the same way (domain/sequence-bounds). The state of
 * a sequence is the per-group cumulative counts since it began (plus the calibration
 * bins, or the flip-share stream, for the metrics that need them).
 *
 * That sequence covers the average since the version began, so a gap that appears late
 * is diluted by the earlier data. Beside it runs a second one over fixed calendar blocks
 * of SEQUENCE_BLOCK_DAYS from the sequence's start: block j restarts its counts and gets
 * α_j = (α/2) · 6/(π² j²) (Σ_j α_j = α/2), the since-start sequence the other α/2. A
 * union bound over all of them keeps P(ever wholly beyond while within) ≤ α, and a late
 * gap is seen within about a block. Block boundaries depend on time only, never on data.
 */
import { z } from "zod";
import type { CalibrationGroup } from "./calibration.js";
import type { GroupCounts } from "./confusion.js";
import type { IntervalSource } from "./interval-sources.js";
import { type FlipStream, metricSequence, type SequenceExtra } from "./sequence-bounds.js";
import { type Interval, METRIC_NAMES, METRICS, type MetricName } from "./tiers.js";

export { metricSequence, rateSequence, RATIO_BOUND_CAP, type FlipStream, type SequenceExtra } from "./sequence-bounds.js";

/** The metrics a confidence sequence is kept for: every gated metric. */
export const SEQUENTIAL_METRICS = METRIC_NAMES;
export type SequentialMetric = MetricName;
export const isSequentialMetric = (m: MetricName): m is SequentialMetric => (SEQUENTIAL_METRICS as readonly string[]).includes(m);

/**
 * The number of traces per group at which the boundary is tightest (ρ is fixed in
 * advance, never chosen from the data: any ρ > 0 keeps the guarantee).
 */
export const SEQUENCE_TUNED_FOR = 10_000;
/** Length of the restarting blocks, in days from the sequence's start. */
export const SEQUENCE_BLOCK_DAYS = 14;
/** Traces per group at which a block's boundary is tightest. */
export const BLOCK_TUNED_FOR = 2_000;

/** The current block of a sequence: its number (1, 2, …), when it began, its counts. */
export interface SequenceBlock extends StreamData {
  index: number;
  since: string;
  groups: GroupCounts[];
}

/** The streams beyond the confusion counts, kept only by the metrics that need them. */
export interface StreamData {
  /** calibrationGap: per group, the calibration bins since the start (of the sequence or block). */
  calibration?: CalibrationGroup[] | null;
  /** counterfactualFlipRate: the requests re-run and the sum of their flip shares. */
  flips?: FlipStream | null;
}

/**
 * The zod schema of a kept SequenceState — the one definition the tenant store
 * (reading stored bodies) and the CLI's state file both parse with. `object` is
 * `z.object` (unknown keys stripped) or `z.strictObject` (unknown keys refused).
 */
export function sequenceStateSchemaOf(object: typeof z.object | typeof z.strictObject) {
  const int = z.number().int().min(0);
  const group = object({ value: z.string(), n: int, selected: int, labeled: int, positives: int, tp: int, fp: int, fn: int, tn: int });
  const bins = z.array(int);
  // Optional: states kept before these streams existed have none (their metrics kept no sequence).
  const streams = {
    calibration: z.array(object({ value: z.string(), count: bins, positives: bins, scoreSum: bins })).nullable().optional(),
    flips: object({ n: int, sum: z.number().finite().min(0) }).nullable().optional(),
  };
  return object({
    slice: z.string(),
    metric: z.enum(SEQUENTIAL_METRICS),
    looks: int,
    since: z.string(),
    through: z.string(),
    groups: z.array(group),
    ...streams,
    block: object({ index: z.number().int().min(1), since: z.string(), groups: z.array(group), ...streams }).nullable().optional(),
  });
}

/** One sequence's state: per group, the counts accumulated over every look since it began. */
export interface SequenceState extends StreamData {
  slice: string;
  metric: SequentialMetric;
  /** Looks so far, this one included. */
  looks: number;
  /** When the sequence began (its first look) and the end of the data it has seen. */
  since: string;
  through: string;
  groups: GroupCounts[];
  /** The current restarting block (absent in bare calls without times: then only the since-start sequence). */
  block?: SequenceBlock | null;
}

/**
 * ρ for a boundary tightest at V = m/4 (m traces): ρ = c·V where c solves
 * log((1 + c)/(c α²)) = 1/c (minimising the boundary over ρ at that V).
 */
export function mixtureRho(alpha: number, m = SEQUENCE_TUNED_FOR): number {
  let lo = 1e-6;
  let hi = 10;
  for (let i = 0; i < 100; i++) {
    const c = (lo + hi) / 2;
    if (Math.log((1 + c) / (c * alpha * alpha)) - 1 / c > 0) hi = c;
    else lo = c;
  }
  return ((lo + hi) / 2) * (m / 4);
}

/** Adds `more` to `base`, group by group (by value). */
export function addCounts(base: readonly GroupCounts[], more: readonly GroupCounts[]): GroupCounts[] {
  const out = new Map(base.map((g) => [g.value, { ...g }]));
  for (const g of more) {
    const b = out.get(g.value);
    if (!b) {
      out.set(g.value, { ...g });
      continue;
    }
    for (const k of ["n", "selected", "labeled", "positives", "tp", "fp", "fn", "tn"] as const) b[k] += g[k];
  }
  return [...out.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** The block (1, 2, …) a look ending at `through` falls in, for a sequence begun at `since`; null without valid times. */
export function blockIndex(since: string, through: string): number | null {
  const a = Date.parse(since);
  const b = Date.parse(through);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return null;
  return Math.max(0, Math.floor((b - a) / (SEQUENCE_BLOCK_DAYS * 86_400_000))) + 1;
}

/**
 * Adds `more` calibration bins to `base`, group by group (by value). A group whose bin
 * count differs from its kept one (the policy's calibrationBins changed mid-version)
 * keeps its bins and the look's are not added: leaving out data by a rule that does not
 * look at outcomes keeps the sequence valid on the data it has.
 */
export function addCalibration(base: readonly CalibrationGroup[], more: readonly CalibrationGroup[]): CalibrationGroup[] {
  const copy = (g: CalibrationGroup) => ({ value: g.value, count: [...g.count], positives: [...g.positives], scoreSum: [...g.scoreSum] });
  const out = new Map(base.map((g) => [g.value, copy(g)]));
  for (const g of more) {
    const b = out.get(g.value);
    if (!b) out.set(g.value, copy(g));
    else if (b.count.length === g.count.length)
      for (let i = 0; i < g.count.length; i++) {
        b.count[i]! += g.count[i]!;
        b.positives[i]! += g.positives[i]!;
        b.scoreSum[i]! += g.scoreSum[i]!;
      }
  }
  return [...out.values()].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** The streams of `base` plus a look's (only those the look or the base has). */
function addStreams(base: StreamData | null, look: SequenceExtra): StreamData {
  const out: StreamData = {};
  if (look.calibration || base?.calibration) out.calibration = addCalibration(base?.calibration ?? [], look.calibration ?? []);
  if (look.flips || base?.flips) out.flips = { n: (base?.flips?.n ?? 0) + (look.flips?.n ?? 0), sum: (base?.flips?.sum ?? 0) + (look.flips?.sum ?? 0) };
  return out;
}

/**
 * The next state of a sequence: `prior` (null: it begins now, with `look` as its first data)
 * plus this look; `extra` carries the look's calibration bins or flip shares for the metrics kept on them.
 */
export function advance(
  prior: SequenceState | null,
  slice: string,
  metric: SequentialMetric,
  look: readonly GroupCounts[],
  from: string,
  through: string,
  extra: SequenceExtra = {},
): SequenceState {
  const since = prior?.since ?? from;
  const index = blockIndex(since, through);
  const old = prior?.block ?? null;
  // A look whose end falls in a new block starts that block with the look's data.
  const block: SequenceBlock | null =
    index === null
      ? null
      : old && old.index === index
        ? { ...old, groups: addCounts(old.groups, look), ...addStreams(old, extra) }
        : { index, since: prior ? prior.through : from, groups: addCounts([], look), ...addStreams(null, extra) };
  return { slice, metric, looks: (prior?.looks ?? 0) + 1, since, through, groups: addCounts(prior?.groups ?? [], look), ...addStreams(prior, extra), block };
}

/** The error rate of block j: (α/2) · 6/(π² j²). */
export const blockAlpha = (a: number, j: number) => ((a / 2) * 6) / (Math.PI * Math.PI * j * j);

export interface SequenceRho {
  /** ρ of the since-start sequence and of the blocks (fixed in advance from the policy's alpha). */
  sinceStart: number;
  block: number;
}

/** The ρ values for a policy alpha. */
export const sequenceRho = (alpha: number): SequenceRho => ({ sinceStart: mixtureRho(alpha / 2), block: mixtureRho(alpha / 2, BLOCK_TUNED_FOR) });

/** Which sequence an interval came from. */
export type SequenceComponent = "since_start" | "block";

/**
 * The interval source of a state, over groups of at least `minGroupSize`: at level 1 − a,
 * the since-start sequence at a/2 and the current block's at α_j(a); of the two, the one
 * reaching furthest towards "worse" (a gap: the larger lower bound; the ratio: the smaller
 * upper bound) — it is wholly beyond whenever either is. `componentAt` says which.
 */
export function sequenceSource(state: SequenceState, minGroupSize: number, rho: SequenceRho): IntervalSource & { componentAt(level: number): SequenceComponent } {
  const keep = (gs: readonly GroupCounts[]) => gs.filter((g) => g.n >= minGroupSize);
  // A group's calibration bins count when the group itself is large enough (its confusion counts say).
  const extraOf = (d: StreamData, kept: readonly GroupCounts[]): SequenceExtra => {
    const values = new Set(kept.map((g) => g.value));
    return { calibration: d.calibration?.filter((c) => values.has(c.value)) ?? null, flips: d.flips ?? null };
  };
  const groups = keep(state.groups);
  const blockGroups = state.block ? keep(state.block.groups) : null;
  const extra = extraOf(state, groups);
  const blockExtra = state.block && blockGroups ? extraOf(state.block, blockGroups) : {};
  const lowerIsWorse = METRICS[state.metric].lowerIsWorse;
  const pick = (level: number): { iv: Interval | null; component: SequenceComponent } => {
    const a = 1 - level;
    const main = metricSequence(state.metric, groups, blockGroups ? a / 2 : a, rho.sinceStart, extra);
    const blk = blockGroups && state.block ? metricSequence(state.metric, blockGroups, blockAlpha(a, state.block.index), rho.block, blockExtra) : null;
    if (!blk) return { iv: main, component: "since_start" };
    if (!main) return { iv: blk, component: "block" };
    const blockWorse = lowerIsWorse ? blk.upper < main.upper : blk.lower > main.lower;
    return blockWorse ? { iv: blk, component: "block" } : { iv: main, component: "since_start" };
  };
  return { method: "confidence-sequence", pair: null, at: (level) => pick(level).iv, componentAt: (level) => pick(level).component };
}
