/**
 * @module runtime/node-pdf
 * The Node gateway's PDF renderer from its configuration: FAIRGATE_CHROMIUM_PATH
 * unset → on when Chromium is at a usual path and playwright-core is installed
 * (the PDF is the report people forward, so it works wherever it can without a
 * switch), "off" → off, a path → on, and a path that is not an executable file
 * stops the start (exit 2), so a typo is not found on the first download.
 */
import type { Logger } from "../observability/logger.js";
import { errorFields } from "../observability/logger.js";
import type { PdfRenderer } from "../report/pdf.js";
import { createChromiumPdfRenderer, locateChromium } from "./chromium-pdf.js";
import { ConfigError, type ServerConfig } from "./config.js";

/** The renderer, or null (report.pdf answers 501 pdf_unavailable); throws ConfigError for a bad path. */
export function createNodePdfRenderer(config: ServerConfig, logger: Logger): PdfRenderer | null {
  const where = locateChromium(config.FAIRGATE_CHROMIUM_PATH);
  if (where.kind === "invalid") throw new ConfigError(`Invalid configuration: FAIRGATE_CHROMIUM_PATH: ${where.reason}`);
  if (where.kind === "off") {
    logger.info("pdf reports off", { reason: where.reason });
    return null;
  }
  return createChromiumPdfRenderer({
    executablePath: where.executablePath,
    concurrency: config.FAIRGATE_PDF_CONCURRENCY,
    timeoutMs: config.FAIRGATE_PDF_TIMEOUT_MS,
    onError: (message, e) => logger.error(message, errorFields(e)),
  });
}
