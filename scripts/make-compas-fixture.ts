/**
 * @module scripts/make-compas-fixture
 * Regenerates test/fixtures/compas/ from ProPublica's original
 * `compas-scores-two-years.csv`, given as an explicit path, so that the extract the
 * tests read can be rebuilt and checked by anyone holding the original:
 *
 *   npx tsx scripts/make-compas-fixture.ts /path/to/compas-scores-two-years.csv
 *
 * Writes the kept columns of every row (original order) as gzip'd CSV plus a README
 * with the provenance and both SHA-256 digests. The tests never read the original.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { sha256Hex } from "../worker/domain/hex.js";
import { parseCsv } from "../worker/engine/sources/csv.js";

/** The columns the suites use, in the extract's order. */
export const COMPAS_COLUMNS = ["race", "sex", "age_cat", "decile_score", "two_year_recid"] as const;
export const COMPAS_EXTRACT_FILE = "compas-two-years.csv.gz";

/** RFC 4180 quoting, only where a value needs it. */
const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/** The extract as CSV text: header plus one line per original record, LF line ends. */
export function extractCompas(original: string): { csv: string; rows: number; decileField: number } {
  const [header, ...records] = parseCsv(original);
  if (!header) throw new Error("empty input");
  // The original header repeats decile_score; the first occurrence is the recidivism
  // decile ProPublica's table is computed from, so indexOf is the right pick.
  const index = COMPAS_COLUMNS.map((c) => {
    const i = header.fields.indexOf(c);
    if (i < 0) throw new Error(`column ${c} not in the header`);
    return i;
  });
  const lines = [COMPAS_COLUMNS.join(",")];
  for (const r of records) lines.push(index.map((i) => csvField(r.fields[i] ?? "")).join(","));
  return { csv: `${lines.join("\n")}\n`, rows: records.length, decileField: index[COMPAS_COLUMNS.indexOf("decile_score")]! + 1 };
}

function readme(p: { originalSha: string; originalBytes: number; csvSha: string; gzSha: string; rows: number; decileField: number }): string {
  return `# COMPAS extract (test fixture)

A column extract of ProPublica's COMPAS two-year recidivism data, so that the suites that
reproduce ProPublica's published error-rate table run from the repository alone.

- Source: repository [propublica/compas-analysis](https://github.com/propublica/compas-analysis),
  file \`compas-scores-two-years.csv\` (${p.originalBytes.toLocaleString("en-US")} bytes).
- SHA-256 of the original file: \`${p.originalSha}\`
- Columns kept, in this order: ${COMPAS_COLUMNS.map((c) => `\`${c}\``).join(", ")}.
  The original header repeats \`decile_score\`; the extract keeps the first occurrence
  (field ${p.decileField}, the recidivism decile), the one ProPublica's table uses.
- Rows: ${p.rows.toLocaleString("en-US")} (every record, original order).
- \`${COMPAS_EXTRACT_FILE}\`: the extract as CSV (LF line ends), gzip'd.
  - SHA-256 of the decompressed CSV: \`${p.csvSha}\`
  - SHA-256 of the .gz file: \`${p.gzSha}\` (depends on the zlib build; the CSV digest does not)

Regenerate with \`npx tsx scripts/make-compas-fixture.ts PATH/TO/compas-scores-two-years.csv\`.
The test helper \`test/helpers/compas.ts\` reads only this folder.
`;
}

async function main(argv: string[]) {
  const source = argv[0];
  if (!source || argv.length > 1) {
    process.stderr.write("usage: tsx scripts/make-compas-fixture.ts PATH/TO/compas-scores-two-years.csv\n");
    process.exit(2);
  }
  const raw = readFileSync(source);
  const { csv, rows, decileField } = extractCompas(raw.toString("utf8"));
  const gz = gzipSync(csv, { level: 9 });
  const dir = resolve(import.meta.dirname, "../test/fixtures/compas");
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, COMPAS_EXTRACT_FILE), gz);
  const provenance = { originalSha: await sha256Hex(raw), originalBytes: raw.length, csvSha: await sha256Hex(csv), gzSha: await sha256Hex(gz), rows, decileField };
  writeFileSync(resolve(dir, "README.md"), readme(provenance));
  process.stdout.write(`${JSON.stringify({ ...provenance, csvBytes: csv.length, gzBytes: gz.length })}\n`);
}

if (import.meta.filename === resolve(process.argv[1] ?? "")) void main(process.argv.slice(2));
