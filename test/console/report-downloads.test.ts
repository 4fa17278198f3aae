/**
 * The evaluation report through the console, in Chromium over real HTTP: with the app's
 * PDF renderer (runtime/chromium-pdf, what the Node runtime builds), the Evaluations screen
 * offers a "PDF" download per evaluation, served by the session with report.html's roles
 * (an operator 403, another tenant's id 404) as the API's report.pdf; without a renderer
 * the link is not there and the route is the API's 501 pdf_unavailable. The report.html
 * page is served under a static-page CSP that also refuses framing (Chromium shows no
 * frame of it), a <base> and form targets. axe finds nothing serious on the screen either way.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import type { PdfRenderer } from "../../worker/report/pdf.js";
import { createChromiumPdfRenderer } from "../../worker/runtime/chromium-pdf.js";
import { type ConsoleServer, consoleTenant, launchBrowser, personContext, seriousA11yViolations, signIn, startConsoleServer, CHROMIUM } from "../helpers/console.js";
import { bulk, breachingLines, createFlow, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

const magic = (b: Uint8Array) => Buffer.from(b.subarray(0, 5)).toString("latin1");

/** A tenant with one blocked publish; returns its evaluation id. */
async function blockedEvaluation(s: ConsoleServer, fx: TenantFixture): Promise<string> {
  const api = (method: string, path: string, token: string, body?: unknown) => s.api.request(method, path, { token, body });
  expect((await api("PUT", "/api/v1/tenant-settings", fx.keys.admin, policy())).status).toBe(200);
  const flow = await createFlow(s.api, fx.keys.publisher, "nbo", PLATINUM_FLOW);
  expect((await bulk(s.api, fx.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
  expect((await api("POST", "/api/v1/decision-flows/publish", fx.keys.publisher, { id: flow })).status).toBe(422);
  return (await api("GET", `/api/v1/fairness-evaluations?flowId=${flow}`, fx.keys.auditor)).body.items[0].id;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console report downloads: PDF where there is a renderer, report.html's CSP", () => {
  let withPdf: ConsoleServer;
  let without: ConsoleServer;
  let renderer: PdfRenderer;
  let browser: Browser;
  let a: TenantFixture;
  let other: TenantFixture;
  let plain: TenantFixture;
  let evaluationA = "";
  let evaluationOther = "";
  let evaluationPlain = "";
  const pages: Record<string, Page> = {};

  beforeAll(async () => {
    renderer = createChromiumPdfRenderer({ executablePath: CHROMIUM, concurrency: 2, timeoutMs: 60_000 });
    [withPdf, without, browser] = await Promise.all([startConsoleServer({ wrap: (d) => ({ ...d, pdfRenderer: renderer }) }), startConsoleServer(), launchBrowser()]);
    a = await consoleTenant(withPdf, `pdf-a-${crypto.randomUUID().slice(0, 8)}`);
    other = await consoleTenant(withPdf, `pdf-b-${crypto.randomUUID().slice(0, 8)}`);
    plain = await consoleTenant(without, `pdf-off-${crypto.randomUUID().slice(0, 8)}`);
    evaluationA = await blockedEvaluation(withPdf, a);
    evaluationOther = await blockedEvaluation(withPdf, other);
    evaluationPlain = await blockedEvaluation(without, plain);
    for (const [name, s, key] of [["auditor", withPdf, a.keys.auditor], ["operator", withPdf, a.keys.operator], ["off", without, plain.keys.auditor]] as const) {
      const { page } = await personContext(browser, s.baseUrl);
      await signIn(page, key!);
      pages[name] = page;
    }
  });
  afterAll(async () => {
    await browser?.close();
    await renderer?.close();
    await withPdf?.close();
    await without?.close();
  });

  it("with a renderer: each evaluation has a PDF link; it downloads the report printed (application/pdf, %PDF-)", async () => {
    const page = pages.auditor!;
    await page.goto("/console/evaluations");
    const link = page.getByRole("link", { name: `PDF report of ${evaluationA}` });
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute("href")).toBe(`/console/evaluations/${evaluationA}/report.pdf`);
    expect(await seriousA11yViolations(page)).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe(`fairgate-report-${evaluationA}.pdf`);
    expect(magic(await readFile((await download.path())!))).toBe("%PDF-");
    // The response itself, with the person's cookie: the content type and the attachment, as the API's.
    const r = await page.evaluate(async (p) => {
      const res = await fetch(p);
      return { status: res.status, type: res.headers.get("content-type"), disposition: res.headers.get("content-disposition"), head: Array.from(new Uint8Array(await res.arrayBuffer()).subarray(0, 5)) };
    }, `/console/evaluations/${evaluationA}/report.pdf`);
    expect(r).toEqual({ status: 200, type: "application/pdf", disposition: `attachment; filename="fairgate-report-${evaluationA}.pdf"`, head: [...Buffer.from("%PDF-")] });
  });

  it("report.html's roles and tenants: an operator 403, another tenant's evaluation 404; no session, sign-in", async () => {
    const status = (page: Page, p: string) => page.evaluate(async (path) => (await fetch(path, { redirect: "manual" })).status, p);
    expect(await status(pages.operator!, `/console/evaluations/${evaluationA}/report.pdf`)).toBe(403);
    expect(await status(pages.auditor!, `/console/evaluations/${evaluationOther}/report.pdf`)).toBe(404);
    expect(await status(pages.auditor!, "/console/evaluations/no-such-evaluation/report.pdf")).toBe(404);
    const anonymous = await fetch(`${withPdf.baseUrl}/console/evaluations/${evaluationA}/report.pdf`, { redirect: "manual" });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toContain("/console/sign-in");
  });

  it("without a renderer: no PDF link on the screen, and the route is the API's 501 pdf_unavailable", async () => {
    const page = pages.off!;
    await page.goto("/console/evaluations");
    expect(await page.locator(`tr[data-evaluation="${evaluationPlain}"]`).count()).toBe(1);
    expect(await page.getByRole("link", { name: /^PDF/ }).count()).toBe(0);
    expect(await page.locator('a[href$="/report.pdf"]').count()).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    const res = await page.goto(`/console/evaluations/${evaluationPlain}/report.pdf`);
    expect(res!.status()).toBe(501);
    expect(await res!.text()).toContain("pdf_unavailable");
  });

  it("report.html: the static-page CSP also has frame-ancestors, base-uri and form-action 'none'; Chromium will not frame it", async () => {
    const page = pages.auditor!;
    const res = await page.goto(`/console/evaluations/${evaluationA}/report.html`);
    expect(res!.status()).toBe(200);
    const csp = res!.headers()["content-security-policy"]!;
    const directives = csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k!, v.join(" ")]);
    expect(Object.fromEntries(directives)).toEqual({ "default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": "data:", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'none'" });
    // Framed by a page of its own origin (which 'self' would allow): frame-ancestors 'none' refuses every parent.
    await page.goto("/console/evaluations");
    const framed = await page.evaluate(async (src) => {
      const f = document.createElement("iframe");
      f.src = src;
      document.body.append(f);
      await new Promise((ok) => setTimeout(ok, 1500));
      try {
        return f.contentDocument?.body?.innerText ?? "(no document)";
      } catch {
        return "(blocked)";
      }
    }, `/console/evaluations/${evaluationA}/report.html`);
    expect(framed).not.toContain("nbo");
  });
});
