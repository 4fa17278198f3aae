/**
 * @module domain/ll144
 * NYC Local Law 144 bias-audit tables (6 RCNY §§ 5-301 – 5-303) from per-cell
 * counts, with the EEOC four-fifths significance of each impact ratio
 * (29 CFR § 1607.4D, domain/fairness-tests).
 *
 * Input: one cell per (sex, race/ethnicity) combination — its count and how many
 * of it were selected (selection tool) or scored above the full sample's median
 * (scoring tool; the caller computes the median over every individual). A null
 * category is unknown: those individuals are counted and reported separately and
 * left out of the table(s) that need that category.
 *
 * Three tables: sex, race/ethnicity and their intersection ("<sex> | <race>").
 * In each, rate = positives / count and impact ratio = rate ÷ the highest rate in
 * the same table. A category under 2% of the individuals assessed may be excluded
 * from the impact ratios only when the caller states a justification; it keeps its
 * count and rate. Pure: no I/O.
 */
import { compareRates, formatP, FOUR_FIFTHS, fourFifthsFlipsWithOneSelection, type RateComparison } from "./fairness-tests.js";

export const LL144_FORMAT = "fairgate-ll144/1";
/** Categories below this share of the individuals assessed may be excluded (§ 5-301(d)). */
export const SMALL_CATEGORY_SHARE = 0.02;

export type Ll144RateKind = "selection" | "scoring";

export interface Ll144Cell {
  sex: string | null;
  race: string | null;
  count: number;
  /** Selected (selection rate) or scored above the sample median (scoring rate). */
  positives: number;
}

export interface Ll144Meta {
  /** When the audit was computed (ISO). */
  auditDate: string;
  /** Where the data came from (file name, or the evaluation and flow). */
  dataSource: string;
  window: { from: string; to: string } | null;
  /** The tool's distribution date, as the caller states it; null when not supplied. */
  distributionDate: string | null;
  sexAttribute: string;
  raceAttribute: string;
}

export interface Ll144Significance extends RateComparison {
  /** The category this one is compared with (the highest rate in the table). */
  comparedWith: string;
  /** UGESP practical significance: the four-fifths conclusion flips if one selection moves to this category. */
  oneSelectionFlips: boolean;
  /** The finding in words, when it qualifies the ratio (below 0.8 but not significant, above 0.8 but significant). */
  statement: string | null;
}

export interface Ll144Row {
  category: string;
  count: number;
  /** Share of all individuals assessed (unknown included). */
  share: number;
  positives: number;
  rate: number;
  /** null when excluded, or when no category in the table has a positive rate. */
  impactRatio: number | null;
  excluded: boolean;
  /** Against the table's highest category; null for that category itself and for excluded ones. */
  significance: Ll144Significance | null;
}

export interface Ll144Audit {
  format: typeof LL144_FORMAT;
  rateKind: Ll144RateKind;
  meta: Ll144Meta;
  /** Every individual assessed, unknown included. */
  individuals: number;
  /** For scoring: the full sample's median score (positives are scores strictly above it). */
  medianScore: number | null;
  tables: { sex: Ll144Row[]; race: Ll144Row[]; intersection: Ll144Row[] };
  /** Individuals with an unknown category: `count` with either unknown; `sex`, `race` per attribute. */
  unknown: { count: number; sex: number; race: number };
  smallCategories: { threshold: number; justification: string | null; excluded: { table: keyof Ll144Audit["tables"]; category: string }[] };
  /** Plain-language findings (four-fifths with significance), one sentence each. */
  statements: string[];
}

export interface Ll144Input {
  cells: readonly Ll144Cell[];
  rateKind: Ll144RateKind;
  meta: Ll144Meta;
  medianScore?: number | null;
  /** Exclude categories under 2% from the impact ratios, for this stated reason. */
  excludeSmall?: { justification: string } | null;
}

/** The label of an intersection category. */
export function intersectionLabel(sex: string, race: string): string {
  return `${sex} | ${race}`;
}

const byCategory = (a: { category: string }, b: { category: string }) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0);

function accumulate(cells: readonly Ll144Cell[], key: (c: Ll144Cell) => string | null): Map<string, { count: number; positives: number }> {
  const m = new Map<string, { count: number; positives: number }>();
  for (const c of cells) {
    const k = key(c);
    if (k === null || c.count <= 0) continue;
    const e = m.get(k) ?? { count: 0, positives: 0 };
    e.count += c.count;
    e.positives += c.positives;
    m.set(k, e);
  }
  return m;
}

function table(
  name: keyof Ll144Audit["tables"],
  counts: Map<string, { count: number; positives: number }>,
  individuals: number,
  excludeSmall: boolean,
  rateWord: string,
  statements: string[],
): Ll144Row[] {
  const rows: Ll144Row[] = [...counts].map(([category, { count, positives }]) => ({
    category,
    count,
    share: count / individuals,
    positives,
    rate: positives / count,
    impactRatio: null,
    excluded: excludeSmall && count / individuals < SMALL_CATEGORY_SHARE,
    significance: null,
  }));
  rows.sort(byCategory);
  const included = rows.filter((r) => !r.excluded);
  // The favoured category: highest rate; ties go to the larger category, then the first label (deterministic).
  const top = included.reduce<Ll144Row | null>((best, r) => (best === null || r.rate > best.rate || (r.rate === best.rate && r.count > best.count) ? r : best), null);
  if (top === null || top.rate <= 0) return rows;
  for (const r of included) {
    r.impactRatio = r.rate / top.rate;
    if (r === top) continue;
    const group = { selected: r.positives, n: r.count };
    const ref = { selected: top.positives, n: top.count };
    const cmp = compareRates(group, ref);
    const flips = fourFifthsFlipsWithOneSelection(group, ref);
    const testName = cmp.test === "fisher-exact" ? "Fisher's exact test" : "two-proportion z-test";
    const ratio = r.impactRatio.toFixed(3);
    let statement: string | null = null;
    if (r.impactRatio < FOUR_FIFTHS && !cmp.significant)
      statement = `${name}: "${r.category}" has an impact ratio of ${ratio}, below four-fifths, but its ${rateWord} rate is not statistically significantly different from "${top.category}" (p ${formatP(cmp.pValue)}, ${testName}); the shortfall may be chance.`;
    else if (r.impactRatio >= FOUR_FIFTHS && cmp.significant)
      statement = `${name}: "${r.category}" has an impact ratio of ${ratio}, at or above four-fifths, but its ${rateWord} rate is statistically significantly lower than "${top.category}" (p ${formatP(cmp.pValue)}, ${testName}).`;
    else if (r.impactRatio < FOUR_FIFTHS)
      statement = `${name}: "${r.category}" has an impact ratio of ${ratio}, below four-fifths, and the difference from "${top.category}" is statistically significant (p ${formatP(cmp.pValue)}, ${testName}).`;
    if (statement && flips)
      statement += ` Moving one selection from "${top.category}" to "${r.category}" would change the four-fifths conclusion, so it is not practically significant.`;
    if (statement) statements.push(statement);
    r.significance = { ...cmp, comparedWith: top.category, oneSelectionFlips: flips, statement };
  }
  return rows;
}

/** Builds the bias-audit tables from per-(sex, race) cells. */
export function buildLl144Audit(input: Ll144Input): Ll144Audit {
  const cells = input.cells.filter((c) => c.count > 0);
  const individuals = cells.reduce((s, c) => s + c.count, 0);
  const justification = input.excludeSmall?.justification.trim() || null;
  const exclude = justification !== null;
  const rateWord = input.rateKind === "selection" ? "selection" : "scoring";
  const statements: string[] = [];
  const unknown = {
    count: cells.reduce((s, c) => s + (c.sex === null || c.race === null ? c.count : 0), 0),
    sex: cells.reduce((s, c) => s + (c.sex === null ? c.count : 0), 0),
    race: cells.reduce((s, c) => s + (c.race === null ? c.count : 0), 0),
  };
  const base = Math.max(1, individuals);
  const tables = {
    sex: table("sex", accumulate(cells, (c) => c.sex), base, exclude, rateWord, statements),
    race: table("race", accumulate(cells, (c) => c.race), base, exclude, rateWord, statements),
    intersection: table(
      "intersection",
      accumulate(cells, (c) => (c.sex === null || c.race === null ? null : intersectionLabel(c.sex, c.race))),
      base,
      exclude,
      rateWord,
      statements,
    ),
  };
  const excluded = (Object.keys(tables) as (keyof typeof tables)[]).flatMap((t) => tables[t].filter((r) => r.excluded).map((r) => ({ table: t, category: r.category })));
  for (const t of Object.keys(tables) as (keyof typeof tables)[])
    if (tables[t].length > 0 && tables[t].every((r) => r.excluded || r.impactRatio === null))
      statements.push(`${t}: no impact ratios: no included category has a positive ${rateWord} rate.`);
  if (unknown.count > 0) statements.push(`${unknown.count} of ${individuals} individuals have an unknown sex or race/ethnicity category; they are counted here and not in the tables that need that category.`);
  return {
    format: LL144_FORMAT,
    rateKind: input.rateKind,
    meta: input.meta,
    individuals,
    medianScore: input.rateKind === "scoring" ? (input.medianScore ?? null) : null,
    tables,
    unknown,
    smallCategories: { threshold: SMALL_CATEGORY_SHARE, justification, excluded },
    statements,
  };
}

/** The median of the scores (mean of the two middle values for an even count); null when empty. Sorts a copy. */
export function medianOf(scores: Float64Array): number | null {
  if (scores.length === 0) return null;
  const s = Float64Array.from(scores).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
