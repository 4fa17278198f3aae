/**
 * Parquet and Arrow IPC input for `fairgate check`: the COMPAS extract converted by
 * real writers (DuckDB for Parquet — snappy, gzip and zstd pages, dictionary and plain
 * string columns, data page v1 and v2, small row groups; apache-arrow for IPC — file and
 * stream format, dictionary and plain strings) must give exactly the CSV path's
 * evaluation, and ProPublica's published table. Bad files exit 2 with one line naming
 * the file and the problem. In-process through main(), like inputs.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Float64, Int32, Table, tableFromArrays, tableToIPC, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { loadCompas, PROPUBLICA, writeCompasCsv } from "../helpers/compas.js";

let dir: string;
let csv: string;

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    now: () => new Date("2026-01-01T00:00:00Z"),
    newId: () => "00000000-0000-4000-8000-000000000000",
  });
  return { code, stdout, stderr };
}

/** The COMPAS gate as the existing COMPAS tests run it: race, two-year recidivism, decile ≥ 5. */
const compas = (input: string, ...more: string[]) =>
  ["check", "--input", input, "--sensitive", "race", "--label", "two_year_recid", "--score", "decile_score", "--threshold", "5", "--json", ...more];
/** What legitimately differs between two runs on the same rows: the file name. */
const stable = (json: string) => {
  const { flowKey: _flowKey, ...rest } = JSON.parse(json) as Record<string, unknown>;
  return rest;
};

/** Parquet variants: [file name, COPY options, SELECT list over the CSV, expected string-column encoding]. */
const PARQUET: [string, string, string, RegExp][] = [
  ["snappy.parquet", "COMPRESSION snappy", "race, decile_score::INTEGER AS decile_score, two_year_recid::INTEGER AS two_year_recid", /RLE_DICTIONARY|PLAIN_DICTIONARY/],
  ["gzip-v2.parquet", "COMPRESSION gzip, PARQUET_VERSION V2", "race, decile_score::DOUBLE AS decile_score, two_year_recid::BOOLEAN AS two_year_recid", /RLE_DICTIONARY|PLAIN_DICTIONARY/],
  ["zstd-groups.parquet", "COMPRESSION zstd, ROW_GROUP_SIZE 1000", "race, decile_score::BIGINT AS decile_score, two_year_recid::TINYINT AS two_year_recid", /RLE_DICTIONARY|PLAIN_DICTIONARY/],
  ["zstd-plain-strings.parquet", "COMPRESSION zstd, DICTIONARY_SIZE_LIMIT 1", "race, decile_score::FLOAT AS decile_score, two_year_recid::VARCHAR AS two_year_recid", /^PLAIN$/],
];

const encodings: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fairgate-columnar-"));
  csv = writeCompasCsv(dir);
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  try {
    for (const [name, options, select] of PARQUET) {
      await c.run(`COPY (SELECT ${select} FROM read_csv('${csv}', header = true)) TO '${join(dir, name)}' (FORMAT parquet, ${options})`);
      const meta = await c.runAndReadAll(`SELECT encodings FROM parquet_metadata('${join(dir, name)}') WHERE path_in_schema = 'race' LIMIT 1`);
      encodings[name] = String(meta.getRowObjectsJson()[0]!.encodings);
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  // Arrow IPC from the same rows: strings dictionary-encoded (tableFromArrays' default) and plain.
  const rows = loadCompas();
  const dictTable = tableFromArrays({
    race: rows.map((r) => r.race),
    decile_score: Int32Array.from(rows, (r) => r.decileScore),
    two_year_recid: rows.map((r) => r.twoYearRecid === 1),
  });
  const plainTable = new Table({
    race: vectorFromArray(rows.map((r) => r.race), new Utf8()),
    decile_score: vectorFromArray(rows.map((r) => r.decileScore), new Int32()),
    two_year_recid: vectorFromArray(rows.map((r) => r.twoYearRecid), new Float64()),
  });
  await writeFile(join(dir, "dict.arrow"), tableToIPC(dictTable, "file"));
  await writeFile(join(dir, "dict.arrows"), tableToIPC(dictTable, "stream"));
  await writeFile(join(dir, "plain.arrow"), tableToIPC(plainTable, "file"));
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("Parquet and Arrow reproduce the CSV path and ProPublica's table", () => {
  it("the writers produced what the cases claim (dictionary vs plain string pages)", () => {
    for (const [name, , , encoding] of PARQUET) expect(encodings[name], name).toMatch(encoding);
  });

  it.each([...PARQUET.map((p) => p[0]), "dict.arrow", "dict.arrows", "plain.arrow"])("%s gives exactly the CSV evaluation", async (name) => {
    const reference = await run(compas(csv));
    expect(reference.code).toBe(1);
    const r = await run(compas(join(dir, name)));
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(1);
    expect(stable(r.stdout)).toEqual(stable(reference.stdout));
    // And the published numbers, independently of the CSV path.
    const ev = JSON.parse(r.stdout);
    expect(ev.sampleSize).toBe(7214);
    for (const race of ["African-American", "Caucasian"] as const) {
      const g = ev.groups.find((x: { value: string }) => x.value === race);
      const ref = PROPUBLICA[race];
      expect({ tp: g.tp, fp: g.fp, tn: g.tn, fn: g.fn }).toEqual({ tp: ref.tp, fp: ref.fp, tn: ref.tn, fn: ref.fn });
    }
  });

  it("--format overrides the extension", async () => {
    const copy = join(dir, "compas.bin");
    await writeFile(copy, await readFile(join(dir, "snappy.parquet")));
    const r = await run(compas(copy, "--format", "parquet"));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).sampleSize).toBe(7214);
  });
});

describe("nulls, booleans, integers and intersections from Parquet", () => {
  it("follows the gateway's rules: empty/null group not counted, null label unknown, null decision an error", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const file = join(dir, "nulls.parquet");
    const bad = join(dir, "null-decision.parquet");
    try {
      // 3 × (a, selected, positive) · (a, not selected, unknown) · (b, selected, negative) · ("" and NULL groups).
      await c.run(`COPY (SELECT * FROM (VALUES ('a', 1, true, 'x'), ('a', 0, NULL, 'y'), ('b', 1, false, 'x'), ('', 1, true, 'x'), (NULL, 0, true, 'y')) v(g, d, y, h), range(3))
        TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
      await c.run(`COPY (SELECT * FROM (VALUES ('a', 1), ('b', NULL)) v(g, d)) TO '${bad}' (FORMAT parquet)`);
    } finally {
      c.closeSync();
      db.closeSync();
    }
    const r = await run(["check", "--input", file, "--sensitive", "g", "--sensitive", "h", "--label", "y", "--decision", "d", "--json"]);
    expect(r.code === 0 || r.code === 1).toBe(true);
    const ev = JSON.parse(r.stdout);
    const g = (value: string) => ev.groups.find((x: { value: string }) => x.value === value);
    expect(ev.groups.map((x: { value: string }) => x.value)).toEqual(["a", "b"]);
    expect({ n: g("a").n, selected: g("a").selected, labeled: g("a").labeled, tp: g("a").tp }).toEqual({ n: 6, selected: 3, labeled: 3, tp: 3 });
    expect({ n: g("b").n, selected: g("b").selected, fp: g("b").fp }).toEqual({ n: 3, selected: 3, fp: 3 });
    const inter = ev.results.find((s: { slice: string }) => s.slice === "g|h");
    expect(inter.groups.map((x: { value: string; n: number }) => [x.value, x.n])).toEqual([["a|x", 3], ["a|y", 3], ["b|x", 3]]);
    const e = await run(["check", "--input", bad, "--sensitive", "g", "--decision", "d"]);
    expect(e.code).toBe(2);
    expect(e.stderr.trimEnd()).toBe(`fairgate: ${bad}: row 2: column "d" is empty; every row needs a decision`);
  });
});

describe("bad files → exit 2, one line naming the file and the problem", () => {
  const expectError = async (argv: string[], message: string) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toBe(`fairgate: ${message}`);
  };

  it("Parquet: truncated, wrong magic, a missing column", async () => {
    const whole = await readFile(join(dir, "snappy.parquet"));
    const truncated = join(dir, "truncated.parquet");
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)));
    await expectError(compas(truncated), `${truncated}: truncated Parquet file: the footer's PAR1 magic is missing at the end`);
    const notParquet = join(dir, "csv-renamed.parquet");
    await writeFile(notParquet, await readFile(csv));
    await expectError(compas(notParquet), `${notParquet}: not a Parquet file: it does not begin with the PAR1 magic`);
    const file = join(dir, "snappy.parquet");
    await expectError(
      ["check", "--input", file, "--sensitive", "ethnicity", "--decision", "two_year_recid"],
      `${file}: unknown column "ethnicity" (available: race, decile_score, two_year_recid)`,
    );
  });

  it("Parquet: a page cut short inside the file is a corrupt page, not a crash", async () => {
    const whole = Buffer.from(await readFile(join(dir, "snappy.parquet")));
    // Keep the footer, zero the column data: every page header is then garbage.
    whole.fill(0, 4, Math.floor(whole.length / 2));
    const file = join(dir, "zeroed.parquet");
    await writeFile(file, whole);
    const r = await run(compas(file));
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^fairgate: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: (column "\\w+": |corrupt page header in column |truncated or corrupt Parquet file)`));
  });

  it("Arrow: truncated, wrong magic, a missing column", async () => {
    const whole = await readFile(join(dir, "dict.arrow"));
    const truncated = join(dir, "truncated.arrow");
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    await expectError(compas(truncated), `${truncated}: truncated Arrow IPC file: the ARROW1 magic is missing at the end`);
    const notArrow = join(dir, "csv-renamed.arrow");
    await writeFile(notArrow, await readFile(csv));
    await expectError(compas(notArrow), `${notArrow}: not an Arrow IPC file or stream: it begins with neither ARROW1 nor an IPC message`);
    const stream = join(dir, "dict.arrows");
    await expectError(
      ["check", "--input", stream, "--sensitive", "ethnicity", "--decision", "two_year_recid"],
      `${stream}: unknown column "ethnicity" (available: race, decile_score, two_year_recid)`,
    );
    const cut = join(dir, "truncated.arrows");
    await writeFile(cut, (await readFile(stream)).subarray(0, 3000));
    const r = await run(compas(cut));
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/truncated\.arrows: corrupt or truncated Arrow IPC data/);
  });

  it("a bad value names the row and the column", async () => {
    const file = join(dir, "plain.arrow");
    // decile_score is 1..10: the first row above 1 is not a 0/1 decision.
    const rows = loadCompas();
    const first = rows.findIndex((r) => r.decileScore > 1);
    await expectError(["check", "--input", file, "--sensitive", "race", "--decision", "decile_score"], `${file}: row ${first + 1}: column "decile_score" value ${rows[first]!.decileScore} is not 0/1/true/false`);
  });
});
