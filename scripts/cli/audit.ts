/**
 * @module scripts/cli/audit
 * `fairgate audit ll144`: streams a CSV/NDJSON file into per-(sex, race) cells and
 * hands them to the domain's buildLl144Audit (the gateway's LL144 route uses the same
 * function). For a scoring rate the scores are kept (8 bytes a row) to find the
 * file's median, then each row counts as positive when its score is above it.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { buildLl144Audit, type Ll144Cell, medianOf } from "../../worker/domain/ll144.js";
import { renderLl144Html } from "../../worker/report/ll144-html.js";
import type { AuditOptions } from "./args.js";
import type { CheckIo } from "./check.js";
import { CellError, parseBinary, parseGroup, parseScore } from "./encode.js";
import { at } from "./errors.js";
import { inputSize, readRows } from "./input.js";

/** Runs the audit; prints the JSON (--json) or a short summary; returns the exit status (0). */
export async function runAuditLl144(o: AuditOptions, io: CheckIo): Promise<number> {
  await inputSize(o.input);
  const now = (io.now ?? (() => new Date()))();
  // Cells keyed by JSON [sex, race] (null = unknown); per row the cell index, for the scoring pass.
  const cells = new Map<string, number>();
  const cellOf: Ll144Cell[] = [];
  let rowCell = new Uint32Array(1024);
  let scores = new Float64Array(o.rate.kind === "scoring" ? 1024 : 0);
  let rows = 0;
  let unscored = 0;
  const rateColumn = o.rate.column;
  await readRows({
    file: o.input,
    format: o.format,
    columns: [o.sex, o.race, rateColumn],
    required: new Set([rateColumn]),
    onRow: (line, [sexCell, raceCell, rateCell]) => {
      let sex: string | null;
      let race: string | null;
      let value: number | null;
      let column = o.sex;
      try {
        sex = parseGroup(sexCell);
        column = o.race;
        race = parseGroup(raceCell);
        column = rateColumn;
        value = o.rate.kind === "selection" ? parseBinary(rateCell) : parseScore(rateCell);
      } catch (err) {
        if (err instanceof CellError) throw at(o.input, line, `column "${column}" ${err.message}`);
        throw err;
      }
      if (value === null) {
        // An individual without a decision or score was not assessed by the tool: not counted, but reported.
        unscored++;
        return;
      }
      const key = JSON.stringify([sex, race]);
      let index = cells.get(key);
      if (index === undefined) {
        index = cellOf.push({ sex, race, count: 0, positives: 0 }) - 1;
        cells.set(key, index);
      }
      const cell = cellOf[index]!;
      cell.count++;
      if (o.rate.kind === "selection") {
        cell.positives += value;
        return;
      }
      if (rows === scores.length) {
        scores = grow(scores);
        rowCell = growU32(rowCell);
      }
      scores[rows] = value;
      rowCell[rows] = index;
      rows++;
    },
  });
  let median: number | null = null;
  if (o.rate.kind === "scoring") {
    median = medianOf(scores.subarray(0, rows));
    for (let i = 0; i < rows; i++) if (scores[i]! > median!) cellOf[rowCell[i]!]!.positives++;
  }
  const audit = buildLl144Audit({
    cells: cellOf,
    rateKind: o.rate.kind,
    medianScore: median,
    excludeSmall: o.excludeSmall ? { justification: o.excludeSmall } : null,
    meta: {
      auditDate: now.toISOString(),
      dataSource: `file ${basename(o.input)}${unscored ? ` (${unscored} rows without a ${o.rate.kind === "selection" ? "decision" : "score"} not counted)` : ""}`,
      window: null,
      distributionDate: o.distributionDate,
      sexAttribute: o.sex,
      raceAttribute: o.race,
    },
  });
  if (o.out) {
    await mkdir(o.out, { recursive: true });
    await writeFile(join(o.out, "ll144.json"), `${JSON.stringify(audit, null, 2)}\n`);
    await writeFile(join(o.out, "ll144.html"), renderLl144Html(audit));
  }
  if (o.json) io.stdout.write(`${JSON.stringify(audit, null, 2)}\n`);
  else {
    io.stdout.write(`LL144 bias audit of ${basename(o.input)}: ${audit.individuals} individuals, ${audit.unknown.count} with an unknown category\n`);
    for (const [name, t] of Object.entries(audit.tables)) {
      io.stdout.write(`  ${name}:\n`);
      for (const r of t)
        io.stdout.write(`    ${r.category.padEnd(36)} ${String(r.count).padStart(8)}  rate ${r.rate.toFixed(4)}  ratio ${r.excluded ? "excluded" : r.impactRatio === null ? "—" : r.impactRatio.toFixed(3)}\n`);
    }
    for (const s of audit.statements) io.stdout.write(`  ${s}\n`);
  }
  return 0;
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
function growU32(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
