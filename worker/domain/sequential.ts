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
 * A gap (max − min over groups) or ratio (min / max) gets the sequence implied by all
 * its groups' sequences, group g at α·w_g (a union bound over groups; equalized odds:
 * α·w_g/2 for TPR and for FPR), so it covers the true max − min however the extreme pair
 * is chosen; the FN/FP gap, the calibration gap and the counterfactual flip rate are
 * reduced to bounded-mean streams the same way (domain/sequence-bounds). The shares w_g
 * are the sequence's allocation: fixed when g first reaches minGroupSize and never
 * changed, Σ w_g ≤ 1 over every group that could ever appear (allocate). A split over the
 * groups present at each look would not do: it runs early looks at α/2 and later ones at
 * α/8, and the union over time of those levels exceeds α. The state of a sequence is the
 * per-group cumulative counts since it began and the allocation (plus the calibration
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
import { type FlipStream, type GroupWeights, metricSequence, type SequenceExtra } from "./sequence-bounds.js";
import { type Interval, METRIC_NAMES, METRICS, type MetricName } from "./tiers.js";

export { metricSequence, rateSequence, RATIO_BOUND_CAP, type FlipStream, type GroupWeights, type SequenceExtra } from "./sequence-bounds.js";

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

/**
 * The share of α held back for groups that reach minGroupSize after the first cohort.
 * Late groups are the exception (a rechecked flow's first look is a whole window), so
 * the first cohort keeps 90%: its streams' radii grow by about 1% (√ of the log of the
 * level) against an even split of all of α, while a late cohort still gets a usable level.
 */
export const SEQUENCE_LATE_SHARE = 0.1;

/** One group's share of a sequence's α: fixed at the look it was admitted (reached minGroupSize), never changed. */
export interface GroupAllocation {
  value: string;
  /** 1 for the groups admitted together first, 2 for the next look that admitted any, … */
  cohort: number;
  /** The look (1, 2, …) that admitted it. */
  look: number;
  /** w_g: the group's streams run at a·w_g of the sequence's level a (Σ over all groups ≤ 1). */
  weight: number;
}

/**
 * The weight of cohort c, shared evenly by its groups: 1 − L for the first, then
 * L · 6/(π² (c − 1)²), L = SEQUENCE_LATE_SHARE. Σ_c = (1 − L) + L · Σ_m 6/(π² m²) = 1.
 */
export const cohortWeight = (c: number) => (c === 1 ? 1 - SEQUENCE_LATE_SHARE : (SEQUENCE_LATE_SHARE * 6) / (Math.PI * Math.PI * (c - 1) * (c - 1)));

/**
 * The allocation after a look: `prior` unchanged, plus the groups whose cumulative
 * counts reach `minGroupSize` now, as the next cohort. The first cohort opens only once
 * two groups qualify (no gap or ratio exists with one, so one group would hold 1 − L
 * alone). Admission depends on the groups' trace counts, never on their outcomes, and a
 * weight is never revised, so each group's streams keep one level for all time and the
 * union bound Σ_g a·w_g ≤ a holds over every look together.
 */
export function allocate(prior: readonly GroupAllocation[], groups: readonly GroupCounts[], minGroupSize: number, look: number): GroupAllocation[] {
  const have = new Set(prior.map((x) => x.value));
  const fresh = groups.filter((g) => g.n >= minGroupSize && !have.has(g.value)).map((g) => g.value);
  if (fresh.length === 0 || (prior.length === 0 && fresh.length < 2)) return [...prior];
  const cohort = prior.reduce((m, x) => Math.max(m, x.cohort), 0) + 1;
  const weight = cohortWeight(cohort) / fresh.length;
  return [...prior, ...fresh.sort().map((value) => ({ value, cohort, look, weight }))];
}

/**
 * The weights a state's intervals use. A state kept before allocations existed has none:
 * it is given one as if its sequence had begun at this look (every group of at least
 * minGroupSize in the first cohort) — advance() stores exactly that at its next look.
 */
export function allocationOf(state: Pick<SequenceState, "allocation" | "groups" | "looks">, minGroupSize: number): GroupWeights {
  const a = state.allocation ?? allocate([], state.groups, minGroupSize, state.looks);
  return new Map(a.map((x) => [x.value, x.weight]));
}

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
  // Optional: states kept before allocations existed have none (allocationOf says how they are upgraded).
  // A file whose weights sum past 1 would spend more than α: refused.
  const allocation = z
    .array(object({ value: z.string(), cohort: z.number().int().min(1), look: z.number().int().min(1), weight: z.number().gt(0).max(1) }))
    .refine((xs) => xs.reduce((s, x) => s + x.weight, 0) <= 1 + 1e-9, "the weights of an allocation sum to at most 1")
    .optional();
  return object({
    slice: z.string(),
    metric: z.enum(SEQUENTIAL_METRICS),
    looks: int,
    since: z.string(),
    through: z.string(),
    groups: z.array(group),
    allocation,
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
  /** Each admitted group's share of α (absent only in states kept before allocations existed: see allocationOf). */
  allocation?: GroupAllocation[];
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
 * plus this look; `extra` carries the look's calibration bins or flip shares for the metrics kept on them;
 * groups reaching `minGroupSize` join the allocation (a prior without one starts it at this look).
 */
export function advance(
  prior: SequenceState | null,
  slice: string,
  metric: SequentialMetric,
  look: readonly GroupCounts[],
  from: string,
  through: string,
  extra: SequenceExtra = {},
  minGroupSize = 1,
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
  const looks = (prior?.looks ?? 0) + 1;
  const groups = addCounts(prior?.groups ?? [], look);
  const allocation = allocate(prior?.allocation ?? [], groups, minGroupSize, looks);
  return { slice, metric, looks, since, through, groups, allocation, ...addStreams(prior, extra), block };
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
 * The interval source of a state, over allocated groups of at least `minGroupSize`: at level 1 − a,
 * the since-start sequence at a/2 and the current block's at α_j(a), each split over the
 * groups by the allocation's weights (a block is its own family at α_j: the same weights
 * serve it, its groups being a subset of the admitted ones); of the two, the one
 * reaching furthest towards "worse" (a gap: the larger lower bound; the ratio: the smaller
 * upper bound) — it is wholly beyond whenever either is. `componentAt` says which.
 */
export function sequenceSource(state: SequenceState, minGroupSize: number, rho: SequenceRho): IntervalSource & { componentAt(level: number): SequenceComponent } {
  const weights = allocationOf(state, minGroupSize);
  const keep = (gs: readonly GroupCounts[]) => gs.filter((g) => g.n >= minGroupSize && weights.has(g.value));
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
    const main = metricSequence(state.metric, groups, blockGroups ? a / 2 : a, rho.sinceStart, extra, weights);
    const blk = blockGroups && state.block ? metricSequence(state.metric, blockGroups, blockAlpha(a, state.block.index), rho.block, blockExtra, weights) : null;
    if (!blk) return { iv: main, component: "since_start" };
    if (!main) return { iv: blk, component: "block" };
    const blockWorse = lowerIsWorse ? blk.upper < main.upper : blk.lower > main.lower;
    return blockWorse ? { iv: blk, component: "block" } : { iv: main, component: "since_start" };
  };
  return { method: "confidence-sequence", pair: null, at: (level) => pick(level).iv, componentAt: (level) => pick(level).component };
}
