/**
 * @module scripts/cli/report-files
 * `fairgate check --out DIR` also writes the audit report of the run
 * (report.json + report.html), built by the same domain code as the gateway's
 * report routes, and report.pdf — that page printed by headless Chromium, as the
 * gateway's report.pdf — when Chromium and playwright-core are both there. The
 * packaged CLI leaves playwright-core out (an optional peer): without either the
 * run only says so on stderr; the gate's verdict never depends on a browser.
 * The dataset hash is the SHA-256 of the input file's bytes.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { BaselineView } from "../../worker/domain/baseline.js";
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { buildReport } from "../../worker/domain/report.js";
import { renderReportHtml } from "../../worker/report/html.js";
import { createChromiumPdfRenderer, locateChromium } from "../../worker/runtime/chromium-pdf.js";

/** SHA-256 of a file, streamed (inputs can be many gigabytes; WebCrypto, behind domain/hex.ts, has no incremental digest). */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Writes DIR/report.json, DIR/report.html and, where it can, DIR/report.pdf for a CLI
 * evaluation (`baseline`: the --baseline evaluation, for deltas). Returns a note for
 * stderr when report.pdf was not written, else null.
 */
export async function writeReportFiles(
  dir: string,
  evaluation: Evaluation,
  inputFile: string,
  now: Date,
  baseline: BaselineView | null = null,
  env: Record<string, string | undefined> = process.env,
): Promise<string | null> {
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
  const html = renderReportHtml(report);
  await writeFile(join(dir, "report.html"), html);
  return writeReportPdf(join(dir, "report.pdf"), html, env);
}

/** Prints the report page to `file` with Chromium (FAIRGATE_CHROMIUM_PATH as for the gateway); a note instead when it cannot. */
async function writeReportPdf(file: string, html: string, env: Record<string, string | undefined>): Promise<string | null> {
  const where = locateChromium(env.FAIRGATE_CHROMIUM_PATH || undefined);
  if (where.kind === "off" && env.FAIRGATE_CHROMIUM_PATH === "off") return null;
  if (where.kind !== "found") return `report.pdf not written: ${where.reason}`;
  let failure: unknown = null;
  const renderer = createChromiumPdfRenderer({
    executablePath: where.executablePath,
    concurrency: 1,
    timeoutMs: Number(env.FAIRGATE_PDF_TIMEOUT_MS) || 60_000,
    onError: (_m, e) => (failure = e),
  });
  try {
    await writeFile(file, await renderer.render(html));
    return null;
  } catch (e) {
    const why = failure instanceof Error ? failure.message.split("\n")[0] : (e as Error).message;
    return `report.pdf not written: ${why}`;
  } finally {
    await renderer.close();
  }
}
