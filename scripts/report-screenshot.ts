/**
 * @module scripts/report-screenshot
 * Renders a report.html in headless Chromium (Debian's /usr/bin/chromium, or
 * CHROMIUM_PATH) with all network access refused, and saves a full-page PNG:
 *
 *   tsx scripts/report-screenshot.ts path/to/report.html docs/report-demo.png
 */
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS } from "../worker/runtime/chromium-pdf.js";

const [, , htmlFile, pngFile] = process.argv;
if (!htmlFile || !pngFile) {
  console.error("usage: tsx scripts/report-screenshot.ts REPORT.html OUT.png");
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: CHROMIUM_ARGS,
});
try {
  const page = await browser.newPage({ viewport: { width: 960, height: 1200 } });
  await page.route("**/*", (r) => r.abort());
  await page.setContent(readFileSync(htmlFile, "utf8"), { waitUntil: "load" });
  await page.screenshot({ path: pngFile, fullPage: true });
  console.log(pngFile);
} finally {
  await browser.close();
}
