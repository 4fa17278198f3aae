/**
 * @module test/helpers/compas
 * ProPublica's COMPAS two-year data, from the column extract shipped in
 * test/fixtures/compas/ (provenance and digests in its README; rebuilt by
 * scripts/make-compas-fixture.ts). Nothing here reads outside the repository.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { parseCsv } from "../../worker/engine/sources/csv.js";

export const COMPAS_FIXTURE_DIR = resolve(import.meta.dirname, "../fixtures/compas");
export const COMPAS_FIXTURE = join(COMPAS_FIXTURE_DIR, "compas-two-years.csv.gz");

export interface CompasRow {
  race: string;
  sex: string;
  ageCat: string;
  decileScore: number;
  twoYearRecid: 0 | 1;
}

/** The extract as CSV text (header `race,sex,age_cat,decile_score,two_year_recid`). */
export function compasCsv(): string {
  return gunzipSync(readFileSync(COMPAS_FIXTURE)).toString("utf8");
}

/** Writes the extract as a plain CSV file in `dir` (for the CLI, which reads files) and returns its path. */
export function writeCompasCsv(dir: string): string {
  const path = join(dir, "compas-two-years.csv");
  writeFileSync(path, compasCsv());
  return path;
}

export function loadCompas(): CompasRow[] {
  const [header, ...records] = parseCsv(compasCsv());
  // By name, not position, so a regenerated extract with other columns still loads.
  const col = (name: string) => {
    const i = header!.fields.indexOf(name);
    if (i < 0) throw new Error(`COMPAS fixture has no column ${name}`);
    return i;
  };
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
