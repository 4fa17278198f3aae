/**
 * @module domain/replay
 * Synthetic slices from recorded requests (pure):
 *  - the candidate replay: a draft version's decisions on the window's recorded
 *    requests, as confusion tables per slice. Selection is the candidate's; an
 *    outcome is kept only where the candidate decides as the recorded decision did
 *    (we cannot know what a changed decision would have led to), else it is unknown.
 *  - the counterfactual: each request re-run with its sensitive attribute(s) set to
 *    every other observed value; a flip is a change of `selected`.
 * Requests whose attributes the flow refuses (AttributeTypeError) are counted, not run.
 */
import { type CalibrationGroup, type CalibrationTable, emptyCalibrationGroup, scoreBin, scoreUnits } from "./calibration.js";
import { type ConfusionTable, emptyGroup, type GroupCounts } from "./confusion.js";
import { type Attributes, AttributeTypeError, type Decision, executeFlow, type FlowDefinition } from "./flow.js";
import { wilson } from "./intervals.js";
import { groupLabel, intersectionValue, type SliceSpec, type SliceTable } from "./slices.js";
import type { Interval } from "./tiers.js";

/** A recorded request with its recorded decision and outcome. */
export interface RecordedRequest {
  attributes: Attributes;
  selected: boolean;
  converted: boolean | null;
}

/** Runs the flow; null when it refuses the attributes (as the API would, with a 400). */
function run(def: FlowDefinition, attrs: Attributes): Decision | null {
  try {
    return executeFlow(def, attrs);
  } catch (e) {
    if (e instanceof AttributeTypeError) return null;
    throw e;
  }
}

/** The group value of a request in a slice, or null when it lacks one of the attributes. */
export function sliceValue(attrs: Attributes, attributes: readonly string[]): string | null {
  const parts: string[] = [];
  for (const a of attributes) {
    const l = groupLabel(attrs[a]);
    if (l === null) return null;
    parts.push(l);
  }
  return intersectionValue(parts);
}

const byValue = <T extends { value: string }>(xs: Iterable<T>) => [...xs].sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));

export interface ReplayResult {
  slices: SliceTable[];
  /** Requests replayed (the flow ran). */
  requests: number;
  /** Requests the candidate refused (attribute type mismatch). */
  refused: number;
  /** Requests whose selection the candidate changed. */
  changed: number;
}

/**
 * The candidate's confusion tables and calibration per slice on the recorded requests.
 * `visit` sees each decision the candidate made (the what-if counts its utility in the same pass).
 */
export function replayCandidate(
  def: FlowDefinition,
  requests: readonly RecordedRequest[],
  slices: readonly SliceSpec[],
  bins: number,
  visit?: (request: RecordedRequest, decision: Decision) => void,
): ReplayResult {
  const acc = slices.map(() => ({ counts: new Map<string, GroupCounts>(), cal: new Map<string, CalibrationGroup>() }));
  let refused = 0;
  let changed = 0;
  for (const r of requests) {
    const d = run(def, r.attributes);
    if (!d) {
      refused++;
      continue;
    }
    visit?.(r, d);
    if (d.selected !== r.selected) changed++;
    const outcome = d.selected === r.selected ? r.converted : null;
    // Scores are stored as f32; rounding here bins a replayed score exactly like a recorded one.
    const bin = d.score === null || outcome === null ? -1 : scoreBin(Math.fround(d.score), bins);
    slices.forEach((s, i) => {
      const value = sliceValue(r.attributes, s.attributes);
      if (value === null) return;
      const a = acc[i]!;
      let g = a.counts.get(value);
      if (!g) a.counts.set(value, (g = emptyGroup(value)));
      g.n++;
      if (d.selected) g.selected++;
      if (outcome !== null) {
        g.labeled++;
        if (outcome) g.positives++;
        if (d.selected && outcome) g.tp++;
        else if (d.selected) g.fp++;
        else if (outcome) g.fn++;
        else g.tn++;
      }
      if (bin >= 0) {
        let c = a.cal.get(value);
        if (!c) a.cal.set(value, (c = emptyCalibrationGroup(value, bins)));
        c.count[bin]!++;
        if (outcome) c.positives[bin]!++;
        c.scoreSum[bin]! += scoreUnits(Math.fround(d.score!));
      }
    });
  }
  return {
    slices: slices.map((s, i) => {
      const table: ConfusionTable = { groups: byValue(acc[i]!.counts.values()) };
      const calibration: CalibrationTable = { bins, groups: byValue(acc[i]!.cal.values()) };
      return { name: s.name, attributes: s.attributes, table, calibration };
    }),
    requests: requests.length - refused,
    refused,
    changed,
  };
}

/** Flips from one group value to another. */
export interface FlipPair {
  from: string;
  to: string;
  trials: number;
  flips: number;
  rate: number;
}

export interface CounterfactualResult {
  /** Requests carrying every attribute of the slice that were re-run. */
  requests: number;
  /** (request, other value) runs. */
  trials: number;
  flips: number;
  rate: number | null;
  interval: Interval | null;
  pairs: FlipPair[];
  /** Pairs beyond MAX_REPORTED_PAIRS are left out of `pairs` (the totals include them). */
  pairsTruncated: boolean;
  /** Runs the flow refused (attribute type mismatch); not counted as trials. */
  refused: number;
  /**
   * Per request with at least one trial, the share of its re-runs that flip: how many such
   * requests and the sum of their shares (the stream the sequential rule's flip-rate sequence
   * is built on; its mean equals `rate` when every request is re-run against the same number of values).
   */
  shares?: { n: number; sum: number };
}

/** Bound on flow executions per slice, so a high-cardinality attribute stays cheap. */
export const MAX_COUNTERFACTUAL_RUNS = 200_000;
export const MAX_REPORTED_PAIRS = 400;

/**
 * The counterfactual flip rate of `def` on one slice. The flow's own decision on the
 * unchanged request is the reference (not the recorded one, which may come from another
 * version). With k observed values each request is re-run k − 1 times; the requests are
 * cut so runs stay ≤ MAX_COUNTERFACTUAL_RUNS (they arrive in random order, so a prefix is a sample).
 */
export function counterfactualFlips(def: FlowDefinition, requests: readonly RecordedRequest[], slice: SliceSpec): CounterfactualResult {
  // Observed values with the first raw (typed) attribute values seen for each.
  const raws = new Map<string, Attributes>();
  const usable: { attrs: Attributes; value: string }[] = [];
  for (const r of requests) {
    const value = sliceValue(r.attributes, slice.attributes);
    if (value === null) continue;
    usable.push({ attrs: r.attributes, value });
    if (!raws.has(value)) raws.set(value, Object.fromEntries(slice.attributes.map((a) => [a, r.attributes[a] ?? null])));
  }
  const values = [...raws.keys()].sort();
  const others = Math.max(0, values.length - 1);
  const take = others === 0 ? 0 : Math.min(usable.length, Math.floor(MAX_COUNTERFACTUAL_RUNS / others));
  const pairs = new Map<string, FlipPair>();
  let trials = 0;
  let flips = 0;
  let refused = 0;
  let requestsRun = 0;
  const shares = { n: 0, sum: 0 };
  for (const { attrs, value } of usable.slice(0, take)) {
    const base = run(def, attrs);
    if (!base) {
      refused++;
      continue;
    }
    requestsRun++;
    const before = { trials, flips };
    for (const to of values) {
      if (to === value) continue;
      const d = run(def, { ...attrs, ...raws.get(to)! });
      if (!d) {
        refused++;
        continue;
      }
      const key = `${value}\u0000${to}`;
      let p = pairs.get(key);
      if (!p) pairs.set(key, (p = { from: value, to, trials: 0, flips: 0, rate: 0 }));
      p.trials++;
      trials++;
      if (d.selected !== base.selected) {
        p.flips++;
        flips++;
      }
    }
    if (trials > before.trials) {
      shares.n++;
      shares.sum += (flips - before.flips) / (trials - before.trials);
    }
  }
  const all = [...pairs.values()].map((p) => ({ ...p, rate: p.flips / p.trials }));
  all.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  return {
    requests: requestsRun,
    trials,
    flips,
    rate: trials === 0 ? null : flips / trials,
    // Trials of one request are not independent; Wilson on trials is the usual, slightly narrow, summary.
    interval: wilson(flips, trials),
    pairs: all.slice(0, MAX_REPORTED_PAIRS),
    pairsTruncated: all.length > MAX_REPORTED_PAIRS,
    refused,
    shares,
  };
}
