/**
 * @module report/pdf
 * The port through which a runtime turns a report page into a PDF. The report
 * renderers (report/html) produce one self-contained HTML page; printing it
 * needs a browser, which only some runtimes have (Node with Chromium), so the
 * app takes a `PdfRenderer` as an optional dependency and answers 501
 * `pdf_unavailable` without one. Implementations: runtime/chromium-pdf.
 */
import { AppError } from "../domain/errors.js";
import type { Report } from "../domain/report.js";
import { renderReportHtml } from "./html.js";

/** Renders one self-contained HTML page to a PDF document. */
export interface PdfRenderer {
  /**
   * The page printed to PDF (A4, backgrounds kept). Throws AppError 503
   * `pdf_timeout` when the render (queue wait included) exceeds its deadline and
   * 503 `pdf_render_failed` when the browser fails.
   */
  render(html: string): Promise<Uint8Array>;
  /** Stops the browser; renders after it fail with `pdf_render_failed`. Idempotent. */
  close(): Promise<void>;
}

/** The problem code, title and detail of a server without a renderer (one wording for every runtime). */
export const PDF_UNAVAILABLE = {
  status: 501,
  code: "pdf_unavailable",
  title: "PDF rendering unavailable",
  detail: "This server has no PDF renderer (headless Chromium on Node; see docs/deployment.md#pdf-reports). The same report is at report.html.",
} as const;

/** The file name a printed report is downloaded as (the id kept to safe characters for the header). */
export const reportPdfName = (evaluationId: string) => `fairgate-report-${evaluationId.replace(/[^A-Za-z0-9._-]/g, "_")}.pdf`;

/**
 * The report page printed by `renderer`, as the API and the console both serve it. The
 * renderer is checked before `load` runs: without one no id can succeed, so no store read
 * is spent on it.
 */
export async function printReport(renderer: PdfRenderer | null | undefined, load: () => Promise<Report>): Promise<{ pdf: Uint8Array; fileName: string }> {
  if (!renderer) throw new AppError(PDF_UNAVAILABLE.status, PDF_UNAVAILABLE.code, PDF_UNAVAILABLE.title, PDF_UNAVAILABLE.detail);
  const report = await load();
  return { pdf: await renderer.render(renderReportHtml(report)), fileName: reportPdfName(report.evaluation.id) };
}
