/**
 * @module scripts/cli/ci-outputs
 * Writes the CI-native outputs of a `fairgate check` run: --junit FILE (JUnit XML),
 * --summary FILE (Markdown), and the same Markdown appended to $GITHUB_STEP_SUMMARY
 * when GitHub Actions sets it (appended, because other steps write there too). Each
 * file is written to a temporary name and renamed, so a failed run never leaves half
 * a report for the CI system to parse.
 */
import { appendFile, rename, writeFile } from "node:fs/promises";
import type { Evaluation } from "../../worker/domain/evaluation.js";
import type { FailOn } from "./args.js";
import { at } from "./errors.js";
import { renderJunit } from "./junit.js";
import { renderMarkdownSummary } from "./summary-markdown.js";

export interface CiOutputOptions {
  junit?: string;
  summary?: string;
  failOn: FailOn;
  /** $GITHUB_STEP_SUMMARY (only used together with --summary). */
  stepSummary?: string;
}

async function replaceFile(file: string, body: string, what: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, body);
    await rename(tmp, file);
  } catch (err) {
    throw at(file, null, `cannot write the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Writes whatever of JUnit / summary / step summary `o` asks for. Throws InputError naming the file. */
export async function writeCiOutputs(o: CiOutputOptions, e: Evaluation, input: { file: string; rows: number }): Promise<void> {
  if (o.junit !== undefined) await replaceFile(o.junit, renderJunit(e, o.failOn), "JUnit XML");
  if (o.summary === undefined) return;
  const md = renderMarkdownSummary(e, input, o.failOn);
  await replaceFile(o.summary, md, "Markdown summary");
  if (o.stepSummary) {
    try {
      await appendFile(o.stepSummary, `${md}\n`);
    } catch (err) {
      throw at(o.stepSummary, null, `cannot append to $GITHUB_STEP_SUMMARY (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}
