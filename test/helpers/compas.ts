/**
 * Loads ProPublica's COMPAS two-year dataset from ../shared/data (not copied into
 * the repository). Fails loudly, naming the path, when it is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCsv } from "../../worker/engine/sources/csv.js";

export const COMPAS_PATH = resolve(import.meta.dirname, "../../../shared/data/compas-scores-two-years.csv");

export interface CompasRow {
  race: string;
  sex: string;
  ageCat: string;
  decileScore: number;
  twoYearRecid: 0 | 1;
}

export function loadCompas(): CompasRow[] {
  if (!existsSync(COMPAS_PATH))
    throw new Error(`COMPAS dataset missing: expected ${COMPAS_PATH} (the shared/ folder must sit beside the repository)`);
  const [header, ...records] = parseCsv(readFileSync(COMPAS_PATH, "utf8"));
  // The header repeats decile_score; the first occurrence is the recidivism score.
  const col = (name: string) => header!.fields.indexOf(name);
  const [race, sex, age, decile, recid] = ["race", "sex", "age_cat", "decile_score", "two_year_recid"].map(col) as [number, number, number, number, number];
  return records.map((r) => ({
    race: r.fields[race]!,
    sex: r.fields[sex]!,
    ageCat: r.fields[age]!,
    decileScore: Number(r.fields[decile]),
    twoYearRecid: Number(r.fields[recid]) === 1 ? 1 : 0,
  }));
}

/** ProPublica's published error-rate table (all rows, prediction = decile ≥ 5, label = two_year_recid). */
export const PROPUBLICA = {
  "African-American": { tp: 1369, fp: 805, tn: 990, fn: 532, fpr: 44.85, fnr: 27.99 },
  Caucasian: { tp: 505, fp: 349, tn: 1139, fn: 461, fpr: 23.45, fnr: 47.72 },
  all: { tp: 2035, fp: 1282, tn: 2681, fn: 1216, fpr: 32.35, fnr: 37.4 },
} as const;
