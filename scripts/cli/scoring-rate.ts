/**
 * @module scripts/cli/scoring-rate
 * `fairgate check --score COL --scoring-rate median`: a first pass over the file reads
 * only the score column and finds the whole sample's median (domain/ll144's medianOf,
 * the one `fairgate audit ll144` and the gateway's LL144 route use), so that the
 * second, evaluating pass can count a row as selected when its score is above it —
 * NYC Local Law 144's scoring rate. Every scored row counts towards the median, whatever
 * its sensitive values, as LL144 takes the median over every individual assessed.
 */
import { medianOf } from "../../worker/domain/ll144.js";
import { CellError, parseScore } from "./encode.js";
import { at } from "./errors.js";
import { readRows } from "./input.js";

/** The median score of `file` (8 bytes a row held until the median is found). */
export async function medianScoreOf(file: string, format: Parameters<typeof readRows>[0]["format"], column: string): Promise<{ median: number | null; rows: number }> {
  let scores = new Float64Array(1024);
  let rows = 0;
  await readRows({
    file,
    format,
    columns: [column],
    required: new Set([column]),
    onRow: (line, [cell]) => {
      let score: number | null;
      try {
        score = parseScore(cell);
      } catch (err) {
        if (err instanceof CellError) throw at(file, line, `column ${JSON.stringify(column)} ${err.message}`);
        throw err;
      }
      if (score === null) throw at(file, line, `column ${JSON.stringify(column)} is empty; every row needs a score`);
      if (rows === scores.length) {
        const bigger = new Float64Array(scores.length * 2);
        bigger.set(scores);
        scores = bigger;
      }
      scores[rows++] = score;
    },
  });
  return { median: medianOf(scores.subarray(0, rows)), rows };
}
