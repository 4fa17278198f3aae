/**
 * @module domain/drift
 * Feature drift between two windows of a flow's recorded requests: the population
 * stability index (PSI) of every attribute and, for numeric attributes, the
 * two-sample Kolmogorov–Smirnov statistic D with its asymptotic p-value.
 * Pure: the same two samples always give the same report.
 *
 * - Bins. Categorical attributes: one bin per value seen in either window.
 *   Numeric attributes: the deciles of the reference window — cut k (k = 1..9) is
 *   the lower empirical quantile sorted[ceil(k·n/10) − 1], repeated cuts merged
 *   (ties can leave fewer than ten bins); bin i holds the values v with
 *   cut_{i} < v ≤ cut_{i+1} (the first bin is everything ≤ cut_1, the last
 *   everything > cut_9).
 * - Small-count correction: each bin's proportion is floored at PSI_FLOOR = 1e-4
 *   (no renormalisation), so an empty bin contributes a large but finite term
 *   instead of ln(0). PSI = Σ (cur_i − ref_i) · ln(cur_i / ref_i).
 * - Bands: < 0.1 none, 0.1–0.25 monitor, ≥ 0.25 alert (the industry convention).
 * - KS: D = sup |F_ref(x) − F_cur(x)| over the pooled values (ties handled by
 *   stepping past every equal value in both samples). p-value from the asymptotic
 *   Kolmogorov distribution with the small-sample correction of Numerical Recipes
 *   (Press et al., §14.3): λ = (√ne + 0.12 + 0.11/√ne)·D, ne = n·m/(n+m),
 *   Q_KS(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}; for λ < 1.18 the equivalent
 *   Jacobi-theta form 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)} converges faster.
 *   Small samples (n·m ≤ KS_EXACT_MAX_NM = 2500) get the exact p-value instead: the
 *   share of the C(n+m, n) equally likely orderings of the pooled sample (lattice
 *   paths from (0,0) to (n,m)) on which some point has |i/n − j/m| ≥ D, counted by
 *   dynamic programming; exact for samples without ties, conservative with ties.
 * - Verdict: alert when any PSI ≥ 0.25 or any KS test has p < 0.05 with D > 0.1;
 *   monitor when any PSI is in the monitor band; none otherwise.
 * - Missing values (absent or null) are left out of both windows and counted apart.
 *   An attribute is numeric when every present value in both windows is a number;
 *   otherwise every value is compared as its string form (booleans "true"/"false").
 */
import { z } from "zod";
import type { Attributes } from "./flow.js";

export const PSI_FLOOR = 1e-4;
export const PSI_MONITOR = 0.1;
export const PSI_ALERT = 0.25;
export const KS_ALPHA = 0.05;
export const KS_MIN_D = 0.1;
/** Largest n·m for which the KS p-value is computed exactly (lattice paths) rather than asymptotically. */
export const KS_EXACT_MAX_NM = 2500;

export const driftBandSchema = z.enum(["none", "monitor", "alert"]);
export type DriftBand = z.infer<typeof driftBandSchema>;

export const attributeDriftSchema = z.object({
  attribute: z.string(),
  kind: z.enum(["numeric", "categorical"]),
  /** Values present in each window (missing ones are counted apart). */
  reference: z.object({ n: z.number().int(), missing: z.number().int() }),
  current: z.object({ n: z.number().int(), missing: z.number().int() }),
  bins: z.array(z.object({ label: z.string(), reference: z.number(), current: z.number() })).describe("per bin: the share of each window's present values (before the floor)"),
  /** null when either window has no value of the attribute. */
  psi: z.number().nullable(),
  band: driftBandSchema.nullable(),
  /** Numeric attributes only (null otherwise). ksPValue: exact for n·m ≤ 2500, else asymptotic. */
  ks: z.number().nullable(),
  ksPValue: z.number().nullable(),
  /** Whether this attribute alone raises the alert. */
  alert: z.boolean(),
});
export type AttributeDrift = z.infer<typeof attributeDriftSchema>;

/** The band of a PSI value. */
export function psiBand(psi: number): DriftBand {
  return psi >= PSI_ALERT ? "alert" : psi >= PSI_MONITOR ? "monitor" : "none";
}

/** PSI of two count vectors over the same bins, with proportions floored at PSI_FLOOR. */
export function psi(reference: readonly number[], current: readonly number[]): number {
  const nr = reference.reduce((a, b) => a + b, 0);
  const nc = current.reduce((a, b) => a + b, 0);
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i]! / nr, PSI_FLOOR);
    const c = Math.max(current[i]! / nc, PSI_FLOOR);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** The decile cut points of a sorted sample (lower empirical quantiles, repeats merged). */
export function decileCuts(sorted: readonly number[]): number[] {
  const n = sorted.length;
  const cuts: number[] = [];
  for (let k = 1; k <= 9; k++) {
    const c = sorted[Math.ceil((k * n) / 10) - 1]!;
    if (cuts.length === 0 || c > cuts[cuts.length - 1]!) cuts.push(c);
  }
  return cuts;
}

/** Index of the bin of `v`: the number of cuts strictly below it (binary search). */
function binOf(cuts: readonly number[], v: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two-sample KS statistic D of two ascending-sorted samples. */
export function ksStatistic(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    // Step past every copy of x in both samples before comparing the two ECDFs.
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}

/** Q_KS(λ): the Kolmogorov distribution's upper tail, P(K > λ). */
export function kolmogorovQ(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    // Jacobi-theta form: converges in a few terms where the alternating series is slow.
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda));
    let s = 0;
    for (let k = 1; k <= 10; k++) s += y ** ((2 * k - 1) * (2 * k - 1));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s));
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    s += term;
    if (Math.abs(term) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * Exact P(D ≥ d) for samples of n and m without ties: 1 − (paths staying strictly within
 * |i/n − j/m| < d) / C(n+m, n). Counts are doubles (C(100, 50) ≈ 1e29 is far below the range).
 */
export function ksExactPValue(d: number, n: number, m: number): number {
  // D is a multiple of 1/lcm(n, m): the tolerance only absorbs rounding of i/n − j/m.
  const outside = (i: number, j: number) => Math.abs(i / n - j / m) >= d - 1e-12;
  const inside = new Float64Array(m + 1);
  const all = new Float64Array(m + 1);
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i === 0 && j === 0) {
        inside[0] = outside(0, 0) ? 0 : 1;
        all[0] = 1;
        continue;
      }
      // inside[j] still holds row i − 1 (the step i−1 → i); inside[j − 1] already row i.
      const viaI = i > 0 ? inside[j]! : 0;
      const viaJ = j > 0 ? inside[j - 1]! : 0;
      inside[j] = outside(i, j) ? 0 : viaI + viaJ;
      all[j] = (i > 0 ? all[j]! : 0) + (j > 0 ? all[j - 1]! : 0);
    }
  }
  return Math.min(1, Math.max(0, 1 - inside[m]! / all[m]!));
}

/** The p-value of D for samples of n and m: exact when n·m ≤ KS_EXACT_MAX_NM, else asymptotic (NR). */
export function ksPValue(d: number, n: number, m: number): number | null {
  if (n === 0 || m === 0) return null;
  if (n * m <= KS_EXACT_MAX_NM) return ksExactPValue(d, n, m);
  const ne = (n * m) / (n + m);
  const r = Math.sqrt(ne);
  return kolmogorovQ((r + 0.12 + 0.11 / r) * d);
}

type Value = string | number | boolean;

function present(rows: readonly Attributes[], attribute: string): { values: Value[]; missing: number } {
  const values: Value[] = [];
  let missing = 0;
  for (const r of rows) {
    const v = Object.hasOwn(r, attribute) ? r[attribute] : undefined;
    if (v === undefined || v === null) missing++;
    else values.push(v);
  }
  return { values, missing };
}

const fmt = (x: number) => String(Number(x.toPrecision(6)));

/** Drift of one attribute between the reference and current samples. */
export function attributeDrift(attribute: string, reference: readonly Attributes[], current: readonly Attributes[]): AttributeDrift {
  const ref = present(reference, attribute);
  const cur = present(current, attribute);
  const numeric = ref.values.length + cur.values.length > 0 && ref.values.every((v) => typeof v === "number") && cur.values.every((v) => typeof v === "number");
  const counts = { reference: { n: ref.values.length, missing: ref.missing }, current: { n: cur.values.length, missing: cur.missing } };
  const empty = ref.values.length === 0 || cur.values.length === 0;
  let labels: string[];
  let rc: number[];
  let cc: number[];
  let ks: number | null = null;
  let p: number | null = null;
  if (numeric) {
    const rs = (ref.values as number[]).slice().sort((a, b) => a - b);
    const cs = (cur.values as number[]).slice().sort((a, b) => a - b);
    const cuts = rs.length ? decileCuts(rs) : [];
    labels = Array.from({ length: cuts.length + 1 }, (_, i) =>
      i === 0 ? (cuts.length ? `≤ ${fmt(cuts[0]!)}` : "all") : i === cuts.length ? `> ${fmt(cuts[i - 1]!)}` : `(${fmt(cuts[i - 1]!)}, ${fmt(cuts[i]!)}]`,
    );
    rc = new Array<number>(labels.length).fill(0);
    cc = new Array<number>(labels.length).fill(0);
    for (const v of rs) rc[binOf(cuts, v)]!++;
    for (const v of cs) cc[binOf(cuts, v)]!++;
    if (!empty) {
      ks = ksStatistic(rs, cs);
      p = ksPValue(ks, rs.length, cs.length);
    }
  } else {
    const index = new Map<string, number>();
    rc = [];
    cc = [];
    const bump = (into: number[], v: Value) => {
      const k = String(v);
      let i = index.get(k);
      if (i === undefined) {
        i = index.size;
        index.set(k, i);
        rc.push(0);
        cc.push(0);
      }
      into[i]!++;
    };
    for (const v of ref.values) bump(rc, v);
    for (const v of cur.values) bump(cc, v);
    labels = [...index.keys()];
  }
  const value = empty ? null : psi(rc, cc);
  const band = value === null ? null : psiBand(value);
  const ksAlert = ks !== null && p !== null && p < KS_ALPHA && ks > KS_MIN_D;
  return {
    attribute,
    kind: numeric ? "numeric" : "categorical",
    ...counts,
    bins: labels.map((label, i) => ({ label, reference: ref.values.length ? rc[i]! / ref.values.length : 0, current: cur.values.length ? cc[i]! / cur.values.length : 0 })),
    psi: value,
    band,
    ks,
    ksPValue: p,
    alert: band === "alert" || ksAlert,
  };
}

/** The overall verdict of a set of attribute drifts. */
export function driftVerdict(attrs: readonly AttributeDrift[]): DriftBand {
  if (attrs.some((a) => a.alert)) return "alert";
  return attrs.some((a) => a.band === "monitor") ? "monitor" : "none";
}

/** Every attribute name carried by either sample (sorted), or the requested ones. */
export function driftAttributes(reference: readonly Attributes[], current: readonly Attributes[], requested?: readonly string[]): string[] {
  if (requested && requested.length) return [...new Set(requested)];
  const names = new Set<string>();
  for (const r of reference) for (const k of Object.keys(r)) names.add(k);
  for (const r of current) for (const k of Object.keys(r)) names.add(k);
  return [...names].sort();
}

/** Drift of every attribute, and the verdict. */
export function compareWindows(reference: readonly Attributes[], current: readonly Attributes[], requested?: readonly string[]): { attributes: AttributeDrift[]; verdict: DriftBand } {
  const attributes = driftAttributes(reference, current, requested).map((a) => attributeDrift(a, reference, current));
  return { attributes, verdict: driftVerdict(attributes) };
}

/** The drift check's alert (daily job, verdict alert): what drifted, by how much, and what to do. Drift never pauses a flow. */
export function driftAlert(input: {
  id: string;
  tenantId: string;
  occurredAt: string;
  flow: { id: string; key: string };
  reference: { from: string; to: string };
  current: { from: string; to: string };
  attributes: readonly AttributeDrift[];
}) {
  return {
    id: input.id,
    event: "drift" as const,
    tier: "warning" as const,
    occurredAt: input.occurredAt,
    tenantId: input.tenantId,
    flow: { id: input.flow.id, key: input.flow.key, version: null },
    verdict: "alert" as const,
    reference: input.reference,
    current: input.current,
    drifted: input.attributes.filter((a) => a.alert).map((a) => ({ attribute: a.attribute, psi: a.psi, band: a.band, ks: a.ks, ksPValue: a.ksPValue })),
    suggestedNextStep:
      "The requests this flow sees have shifted. Check the drifted attributes' sources (a new channel, a pipeline change, a population change); drift does not pause the flow, but its fairness window now measures a different population — review the latest evaluation.",
  };
}
