/**
 * @module report/pdf
 * The port through which a runtime turns a report page into a PDF. The report
 * renderers (report/html) produce one self-contained HTML page; printing it
 * needs a browser, which only some runtimes have (Node with Chromium), so the
 * app takes a `PdfRenderer` as an optional dependency and answers 501
 * `pdf_unavailable` without one. Implementations: runtime/chromium-pdf.
 */

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
