/**
 * @module scripts/make-sample-parquet
 * Writes the sample predictions of docs/tutorial-ci.md: a loan-approval model scored on
 * 20,000 applicants, as zstd Parquet (DuckDB, a dev dependency; no network). Every value
 * is a function of the row number (DuckDB's hash), so the files and the tutorial's output
 * are the same on every machine.
 *
 *   candidate-a.parquet  approval rates within four fifths of each other: the gate passes
 *   candidate-b.parquet  the same applicants, a model that approves women far less often: blocked
 *
 * Columns: applicant_id (BIGINT), sex (VARCHAR, dictionary-encoded), age_band (VARCHAR),
 * score (DOUBLE, the model's probability), approved (BOOLEAN = score ≥ 0.5) and repaid
 * (BOOLEAN, the observed outcome; NULL for the ~10% whose loan has not yet run its term).
 *
 *   npx tsx scripts/make-sample-parquet.ts [--out DIR] [--rows N]
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

const { values } = parseArgs({ options: { out: { type: "string", default: "sample" }, rows: { type: "string", default: "20000" } } });
const out = resolve(values.out);
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 1) throw new Error(`--rows must be a positive integer, not ${values.rows}`);
await mkdir(out, { recursive: true });

/** A uniform number in [0, 1) from row i and a salt (DuckDB's hash is deterministic). */
const u = (salt: number, i = "i") => `((hash(${i} * 7919 + ${salt}) % 1000000) / 1000000.0)`;

/**
 * `penalty` lowers women's scores: 0 for candidate A; for candidate B it pushes many
 * women below the 0.5 cut (the disparate impact the gate is there to catch).
 */
const select = (penalty: number) => `
  WITH base AS (
    SELECT i AS applicant_id,
      CASE WHEN ${u(1)} < 0.48 THEN 'female' ELSE 'male' END AS sex,
      ['18-25', '26-40', '41-60', '60+'][(hash(i * 31 + 2) % 4)::INTEGER + 1] AS age_band,
      ${u(3)} AS ability
    FROM range(${rows}) t(i)
  ), scored AS (
    SELECT *, greatest(0.0, least(1.0, 0.15 + 0.7 * ability + 0.1 * (${u(4, "applicant_id")} - 0.5)
      - CASE WHEN sex = 'female' THEN ${penalty} ELSE 0 END))::DOUBLE AS score
    FROM base
  )
  SELECT applicant_id, sex, age_band, round(score, 4) AS score, round(score, 4) >= 0.5 AS approved,
    CASE WHEN ${u(5, "applicant_id")} < 0.1 THEN NULL ELSE ${u(6, "applicant_id")} < 0.2 + 0.7 * ability END AS repaid
  FROM scored ORDER BY applicant_id`;

const db = await DuckDBInstance.create(":memory:");
const c = await db.connect();
try {
  for (const [name, penalty] of [["candidate-a.parquet", 0], ["candidate-b.parquet", 0.2]] as const) {
    const file = join(out, name);
    await c.run(`COPY (${select(penalty)}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
    process.stdout.write(`wrote ${file} (${rows} rows)\n`);
  }
} finally {
  c.closeSync();
  db.closeSync();
}
