/**
 * @module domain/gate-intervals
 * The two passes of the gate over its results' intervals, after every slice is built:
 * under decisionRule "sequential", replacing each gated metric's interval by
 * its confidence sequence (domain/sequential); under confident/sequential, the
 * multiplicity adjustment over the family of gated tests (domain/multiplicity).
 */
import type { CalibrationTable } from "./calibration.js";
import type { ConfusionTable } from "./confusion.js";
import type { MetricReport } from "./metrics.js";
import { adjustedLevels, type FamilyTest, type Multiplicity } from "./multiplicity.js";
import type { ResolvedPolicy } from "./policy.js";
import type { CounterfactualResult } from "./replay.js";
import { metricEvidence, type ResultBasis, type SliceResult } from "./results.js";
import { advance, SEQUENTIAL_METRICS, type SequenceExtra, type SequenceState, sequenceRho, sequenceSource } from "./sequential.js";
import type { SliceTable } from "./slices.js";
import { METRIC_NAMES, type MetricName } from "./tiers.js";

/** A result with what its intervals were built from (and the slice's table and calibration, for sequences). */
export type Built = { result: SliceResult; report: MetricReport; basis: ResultBasis; table: ConfusionTable; calibration?: CalibrationTable | null };

/**
 * Under decisionRule "sequential": the flow version's sequence states before this look and
 * the observed slices of the data since their `through` (null: no kept state, the window is
 * the look — a publish gate, or the first recheck of a version).
 */
export interface SequentialInput {
  prior: SequenceState[];
  increment: SliceTable[] | null;
  /**
   * The counterfactual of the version on a sample of the increment's requests, by slice
   * (the flip-rate sequence's new data); absent: the look adds no flip data.
   */
  incrementCounterfactual?: Record<string, CounterfactualResult> | null;
  /** Start of the window (where a new sequence's data begins) and end of this look's data. */
  from: string;
  through: string;
  /** Whether the states are kept (the recheck); a publish gate judges the window alone and keeps nothing. */
  persist: boolean;
}

/**
 * Under the sequential rule: each gated metric's interval becomes its confidence
 * sequence — the prior state plus this look for observed results with kept state, else the
 * window alone (publish gates and replayed candidates: "the same rule on the window").
 * Returns the observed states to keep.
 */
export function applySequences(observed: Built[], replayed: Built[], sq: SequentialInput | null, rp: ResolvedPolicy): SequenceState[] {
  const keep = sq?.persist ?? false;
  const rho = sequenceRho(rp.alpha);
  const level = 1 - rp.alpha;
  const kept: SequenceState[] = [];
  const apply = (b: Built, persisted: boolean) => {
    for (const metric of SEQUENTIAL_METRICS) {
      const e = b.result.metrics[metric];
      if (e.threshold?.block === undefined) continue;
      const prior = persisted ? (sq?.prior.find((x) => x.slice === b.result.slice && x.metric === metric) ?? null) : null;
      const inc = prior && sq?.increment ? { slice: sq.increment.find((s) => s.name === b.result.slice), cf: sq.incrementCounterfactual?.[b.result.slice] } : null;
      const look = inc ? (inc.slice?.table.groups ?? []) : b.table.groups;
      const extra: SequenceExtra =
        metric === "calibrationGap"
          ? { calibration: (inc ? inc.slice?.calibration?.groups : b.calibration?.groups) ?? [] }
          : metric === "counterfactualFlipRate"
            ? { flips: flipStream(inc ? (inc.cf ?? null) : b.result.counterfactual) }
            : {};
      // Without times (a bare call) the look is simply "the window".
      // minGroupSize decides which groups join the allocation (their share of α, fixed from then on).
      const state = advance(prior, b.result.slice, metric, look, sq?.from ?? "window", sq?.through ?? "window", extra, rp.minGroupSize);
      // A state advances even when the window has no value this time, so no look's data is skipped.
      if (persisted && keep) kept.push(state);
      if (e.value === null) continue;
      const source = sequenceSource(state, rp.minGroupSize, rho);
      b.basis.sources[metric] = source;
      b.result.metrics[metric] = {
        ...metricEvidence(metric, e, source, level, rp, b.basis.hintGroups[metric], true),
        sequence: {
          looks: state.looks,
          since: state.since,
          through: state.through,
          rho: rho.sinceStart,
          persisted: persisted && keep,
          groups: state.groups,
          // Each group's share of the level: the interval reproduces from these, the counts and `level`.
          allocation: state.allocation ?? [],
          ...(state.calibration ? { calibration: state.calibration } : {}),
          ...(state.flips ? { flips: state.flips } : {}),
          block: state.block ? { ...state.block, rho: rho.block } : null,
          component: source.componentAt(level),
        },
      };
    }
  };
  observed.forEach((b) => apply(b, true));
  replayed.forEach((b) => apply(b, false));
  return kept;
}

/** A counterfactual as a stream of per-request flip shares (none measured: no data this look). */
const flipStream = (cf: CounterfactualResult | null): SequenceExtra["flips"] => cf?.shares ?? { n: 0, sum: 0 };

/**
 * Runs the multiplicity adjustment over the family of gated tests — every metric with a
 * block threshold, a value and an interval source, in every result — and rewrites those
 * metrics' evidence at the level each test was run at (domain/multiplicity).
 */
export function adjustFamily(built: Built[], rp: ResolvedPolicy): { method: Multiplicity; familySize: number; alpha: number } {
  const members: { r: number; metric: MetricName; test: FamilyTest }[] = [];
  built.forEach((b, r) => {
    for (const metric of METRIC_NAMES) {
      const e = b.result.metrics[metric];
      const source = b.basis.sources[metric];
      const t = e.threshold?.block;
      if (t === undefined || e.value === null || !source) continue;
      members.push({ r, metric, test: { metric, threshold: t, at: (level) => source.at(level) } });
    }
  });
  const levels = adjustedLevels(members.map((x) => x.test), rp.alpha, rp.multiplicity);
  members.forEach((x, i) => {
    const b = built[x.r]!;
    const e = b.result.metrics[x.metric];
    if (levels[i] === e.level) return;
    const source = b.basis.sources[x.metric];
    // A sequence's evidence says which of its two sequences the interval at this level came from.
    const sequence = e.sequence && source && "componentAt" in source ? { ...e.sequence, component: (source as ReturnType<typeof sequenceSource>).componentAt(levels[i]!) } : (e.sequence ?? null);
    b.result.metrics[x.metric] = { ...metricEvidence(x.metric, e, source, levels[i]!, rp, b.basis.hintGroups[x.metric], true), sequence };
  });
  return { method: rp.multiplicity, familySize: members.length, alpha: rp.alpha };
}
