/**
 * GET /docs in headless Chromium: the page loads /openapi.json from its own origin
 * and nothing else (every request is recorded; only the app answers), renders one
 * entry per operation with its roles and problem codes, the search box filters
 * them, and no script error or CSP violation occurs.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operationList } from "../../worker/http/openapi/operations.js";
import { createInProcessApp, type InProcessApp } from "../helpers/in-process.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const ORIGIN = "http://fairgate.test";

describe("/docs", () => {
  let app: InProcessApp;
  beforeAll(async () => {
    app = await createInProcessApp();
  });
  afterAll(async () => {
    await app.close();
  });

  // Skipped only on a developer machine without Chromium; in CI a missing browser fails.
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("renders every operation from /openapi.json, searchable, with no outside request", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      // The app answers every request to its origin; anything else is recorded and refused.
      await page.route("**/*", async (route) => {
        const url = route.request().url();
        requests.push(url);
        if (!url.startsWith(`${ORIGIN}/`)) return route.abort();
        const res = await app.fetch(url.slice(ORIGIN.length), { method: route.request().method() });
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return route.fulfill({ status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) });
      });
      await page.goto(`${ORIGIN}/docs`);
      const entries = page.locator("details[data-hay]");
      await expect.poll(() => entries.count(), { timeout: 10_000 }).toBe(operationList.length);
      expect(requests.sort()).toEqual([`${ORIGIN}/docs`, `${ORIGIN}/openapi.json`]);
      // One entry, opened: roles and problem codes are shown.
      const publish = page.locator("details[data-hay]", { hasText: "/api/v1/decision-flows/publish" });
      await publish.locator("summary").first().click();
      const text = await publish.innerText();
      expect(text).toContain("Roles: publisher");
      expect(text).toContain("fairness_gate_blocked");
      expect(text).toContain("X-Requested-With");
      // Search: every word must match; the rest is hidden.
      await page.fill("input[type=search]", "self_approval_forbidden");
      await expect.poll(() => page.locator("details[data-hay]:visible").count()).toBe(1);
      expect(await page.locator("details[data-hay]:visible summary").first().innerText()).toContain("/approve");
      await page.fill("input[type=search]", "");
      await expect.poll(() => page.locator("details[data-hay]:visible").count()).toBe(operationList.length);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
