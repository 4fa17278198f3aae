/**
 * GET /docs in headless Chromium: Scalar's API reference, with its bundle and
 * mount script served by the app (/docs/assets/*) and the spec from
 * /openapi.json, and nothing else: every request the page makes is recorded and
 * must be to the app's origin (anything else would be refused). The reference
 * renders the operations (summaries, roles, problem codes), its search finds an
 * operation and opens it, and no script error or CSP violation occurs under a
 * policy that allows scripts from 'self' only.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS } from "../../worker/runtime/chromium-pdf.js";
import { DOCS_BUNDLE_PATH, DOCS_INIT_PATH } from "../../worker/http/openapi/docs-page.js";
import { operationList, operations } from "../../worker/http/openapi/operations.js";
import { createInProcessApp, type InProcessApp } from "../helpers/in-process.js";

const CHROMIUM = "/usr/bin/chromium";
const ORIGIN = "http://fairgate.test";

describe("/docs", () => {
  let app: InProcessApp;
  beforeAll(async () => {
    app = await createInProcessApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it("serves a page whose every URL is same-origin, under a CSP of 'self' (inline styles only)", async () => {
    const res = await app.fetch("/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    const directive = (name: string) => csp.split(";").map((d) => d.trim()).find((d) => d.startsWith(name + " "));
    expect(directive("default-src")).toBe("default-src 'none'");
    expect(directive("script-src")).toBe("script-src 'self'");
    expect(directive("connect-src")).toBe("connect-src 'self'");
    expect(directive("style-src")).toBe("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toMatch(/https?:|unsafe-eval/);
    const html = await res.text();
    const urls = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(urls).toContain(DOCS_BUNDLE_PATH);
    expect(urls).toContain(DOCS_INIT_PATH);
    for (const u of urls) expect(u, u).toMatch(/^(\/[^/]|data:)/);
    expect(html).not.toMatch(/<script>|<style|style=/);

    const bundle = await app.fetch(DOCS_BUNDLE_PATH);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    const init = await app.fetch(DOCS_INIT_PATH);
    expect(await init.text()).toContain('"url":"/openapi.json"');
  });

  // Skipped only on a developer machine without Chromium; in CI a missing browser fails.
  it.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("renders the operations, finds one by search, and sends no request off the origin", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      // The app answers every request to its origin; anything else is refused (and fails the origin check below).
      await page.route("**/*", async (route) => {
        const url = route.request().url();
        if (!url.startsWith(`${ORIGIN}/`)) return route.abort();
        const res = await app.fetch(url.slice(ORIGIN.length), { method: route.request().method() });
        const headers: Record<string, string> = {};
        res.headers.forEach((v, k) => (headers[k] = v));
        return route.fulfill({ status: res.status, headers, body: Buffer.from(await res.arrayBuffer()) });
      });
      await page.goto(`${ORIGIN}/docs`);

      // Rendered: the document's title and the first tag's operations with their summaries and roles.
      await expect.poll(() => page.getByRole("heading", { name: "Fairgate API" }).first().isVisible(), { timeout: 20_000 }).toBe(true);
      await expect.poll(() => page.getByRole("heading", { name: "Liveness" }).first().isVisible(), { timeout: 10_000 }).toBe(true);
      expect(await page.locator("body").innerText()).toContain("Who: No authentication.");

      // Search: the operation is found by words of its summary, and choosing it opens it.
      await page.getByRole("button", { name: /search/i }).first().click();
      const input = page.getByRole("combobox", { name: /search/i });
      // The operation sought, by words of its current summary (the definitions are the source).
      const target = operations.approveOverride;
      const hit = page.getByRole("option").filter({ hasText: target.summary });
      // Typed again on each try: the index is built while the reference loads the document.
      const search = async (q: string) => {
        await input.fill("");
        await input.fill(q);
        return hit.count();
      };
      await expect.poll(() => search(target.summary), { timeout: 15_000, interval: 500 }).toBe(1);
      expect(await hit.innerText()).toContain(target.path);
      // A search, not the whole list: fewer results than operations.
      expect(await page.getByRole("option").count()).toBeLessThan(operationList.length);
      await hit.click();
      await expect.poll(() => decodeURIComponent(new URL(page.url()).hash), { timeout: 10_000 }).toContain(target.path);
      const heading = page.getByRole("heading", { name: target.summary }).first();
      await expect.poll(() => heading.isVisible(), { timeout: 10_000 }).toBe(true);
      // The operation's description: its roles and a problem code it can return.
      await expect.poll(() => page.locator("body").innerText(), { timeout: 10_000 }).toContain("self_approval_forbidden");

      // Only the page, its two assets and the spec: all from the app's origin.
      expect(requests.length).toBeGreaterThan(0);
      for (const url of requests) expect(new URL(url).origin, url).toBe(ORIGIN);
      expect([...new Set(requests)].sort()).toEqual([`${ORIGIN}/docs`, `${ORIGIN}${DOCS_BUNDLE_PATH}`, `${ORIGIN}${DOCS_INIT_PATH}`, `${ORIGIN}/openapi.json`].sort());
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
