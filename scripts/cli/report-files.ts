/**
 * @module scripts/cli/report-files
 * `fairgate check --out DIR` also writes the audit report of the run
 * (report.json + report.html), built by the same domain code as the gateway's
 * report routes. The dataset hash is the SHA-256 of the input file's bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BaselineView } from "../../worker/domain/baseline.js";
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { buildReport } from "../../worker/domain/report.js";
import { renderReportHtml } from "../../worker/report/html.js";

/** SHA-256 of a file, streamed (inputs can be many gigabytes; WebCrypto, behind domain/hex.ts, has no incremental digest). */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Writes DIR/report.json and DIR/report.html for a CLI evaluation (`baseline`: the --baseline evaluation, for deltas). */
export async function writeReportFiles(dir: string, evaluation: Evaluation, inputFile: string, now: Date, baseline: BaselineView | null = null): Promise<void> {
  const report = await buildReport({
    baselineEvaluation: baseline,
    tenant: { id: "local", name: "fairgate check" },
    evaluation,
    flowDefinition: null,
    datasetHash: await fileSha256(inputFile),
    datasetHashScope: `SHA-256 of the input file ${inputFile}`,
    overrides: [],
    generatedAt: now.toISOString(),
  });
  await writeFile(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, "report.html"), renderReportHtml(report));
}
