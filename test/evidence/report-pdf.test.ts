/**
 * report.pdf: the report page printed by headless Chromium (runtime/chromium-pdf,
 * the renderer the Node runtime builds), read back with poppler-utils the way a
 * person opens it — page 1 rasterised (A4, not blank) and its text (the verdict,
 * the flow key). Roles and tenants as report.html; an app without a renderer
 * (Workers, Deno, FAIRGATE_CHROMIUM_PATH=off) answers 501 pdf_unavailable, a render
 * past its deadline 503 pdf_timeout; nothing is fetched while a page prints; the
 * real Node process wires the renderer from its environment and refuses a bad path.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PdfRenderer } from "../../worker/report/pdf.js";
import { CHROMIUM_ARGS, createChromiumPdfRenderer } from "../../worker/runtime/chromium-pdf.js";
import { createContractChecker } from "../helpers/contract.js";
import { createInProcessApp, inProcessClient } from "../helpers/in-process.js";
import { spawnNodeServer } from "../helpers/server.js";
import { createTenant, PLATINUM_FLOW, policy } from "../integration/_support.js";
import { blockedAndBypassed, type EvidenceFixture } from "./_fixture.js";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = resolve(import.meta.dirname, "../..");
// Skipped only on a developer machine without the tools; in CI (.ci/run installs both) a missing one fails.
const haveTools = (existsSync(CHROMIUM) && existsSync("/usr/bin/pdftoppm")) || !!process.env.CI;

/** Page 1 of a PDF as an 8-bit grey raster (pdftoppm's PGM output), at `dpi`. */
function firstPageGrey(pdf: Uint8Array, dpi: number): { width: number; height: number; pixels: Uint8Array } {
  const file = join(mkdtempSync(join(tmpdir(), "fairgate-pdf-")), "r.pdf");
  writeFileSync(file, pdf);
  const pgm = execFileSync("pdftoppm", ["-f", "1", "-l", "1", "-r", String(dpi), "-gray", file], { maxBuffer: 64 << 20 });
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 64).toString("latin1"));
  if (!header) throw new Error("pdftoppm did not write a PGM");
  const width = Number(header[1]);
  const height = Number(header[2]);
  return { width, height, pixels: new Uint8Array(pgm.buffer, pgm.byteOffset + header[0].length, width * height) };
}

const pdfText = (pdf: Uint8Array, args: string[] = []): string => {
  const file = join(mkdtempSync(join(tmpdir(), "fairgate-pdf-")), "t.pdf");
  writeFileSync(file, pdf);
  return execFileSync("pdftotext", [...args, "-layout", file, "-"], { encoding: "utf8" });
};
const pdfInfo = (pdf: Uint8Array): string => {
  const file = join(mkdtempSync(join(tmpdir(), "fairgate-pdf-")), "i.pdf");
  writeFileSync(file, pdf);
  return execFileSync("pdfinfo", [file], { encoding: "utf8" });
};
const magic = (b: Uint8Array) => Buffer.from(b.subarray(0, 5)).toString("latin1");

describe.skipIf(!haveTools)("GET /fairness-evaluations/{id}/report.pdf", () => {
  let f: EvidenceFixture;
  let renderer: PdfRenderer;
  const checker = createContractChecker();
  beforeAll(async () => {
    renderer = createChromiumPdfRenderer({ executablePath: CHROMIUM, concurrency: 2, timeoutMs: 60_000 });
    f = await blockedAndBypassed({ wrap: (d) => ({ ...d, pdfRenderer: renderer }) });
  });
  afterAll(async () => {
    await renderer?.close();
    await f?.app.close();
  });
  const pdfOf = (id: string, token: string) => f.app.fetch(`/api/v1/fairness-evaluations/${id}/report.pdf`, { headers: { authorization: `Bearer ${token}` } });
  const checked = async (path: string, res: Response) => {
    const ct = res.headers.get("content-type") ?? "";
    const text = ct.includes("json") ? await res.clone().text() : "";
    expect(checker.check("GET", path, { status: res.status, contentType: ct, body: text ? JSON.parse(text) : null })).toEqual([]);
  };

  it("is the report printed to A4: a PDF download whose first page shows the verdict and the flow", async () => {
    const res = await pdfOf(f.blockedEvaluationId, f.fx.keys.auditor);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="fairgate-report-${f.blockedEvaluationId}.pdf"`);
    await checked(`/api/v1/fairness-evaluations/${f.blockedEvaluationId}/report.pdf`, res);
    const pdf = new Uint8Array(await res.arrayBuffer());
    expect(magic(pdf)).toBe("%PDF-");
    expect(pdfInfo(pdf)).toMatch(/Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)|Page size:\s+595\.\d+ x 842\.\d+ pts \(A4\)/);

    // Page 1 as an image: A4's proportions at 36 dpi (8.27 × 11.69 in), and ink on it.
    const page = firstPageGrey(pdf, 36);
    expect(page.width).toBeGreaterThanOrEqual(296);
    expect(page.width).toBeLessThanOrEqual(300);
    expect(page.height).toBeGreaterThanOrEqual(419);
    expect(page.height).toBeLessThanOrEqual(423);
    let ink = 0;
    for (const p of page.pixels) if (p < 200) ink++;
    const share = ink / page.pixels.length;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.6);

    // What the page says: the report's title, verdict and flow, as text a reader (or a search) finds.
    const first = pdfText(pdf, ["-f", "1", "-l", "1"]);
    expect(first).toContain("Fairness check FAILED");
    expect(first).toMatch(/\bnbo\b/);
    expect(first).toContain("disparate impact ratio");
    // The same report as the HTML page: its bypass has the approver in it.
    const bypass = new Uint8Array(await (await pdfOf(f.bypassEvaluationId, f.fx.keys.admin)).arrayBuffer());
    expect(pdfText(bypass)).toContain(f.fx.principals.approver);
  });

  it("has report.html's roles and tenants: operator 403, another tenant's evaluation 404, unknown 404", async () => {
    const denied = await pdfOf(f.blockedEvaluationId, f.fx.keys.operator);
    expect(denied.status).toBe(403);
    expect(denied.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    for (const role of ["publisher", "admin", "approver"] as const) expect((await pdfOf(f.blockedEvaluationId, f.fx.keys[role])).status).toBe(200);
    const other = await createTenant(f.app, `pdf-other-${crypto.randomUUID().slice(0, 8)}`);
    const foreign = await pdfOf(f.blockedEvaluationId, other.keys.auditor);
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { code: string }).code).toBe("not_found");
    const unknown = await pdfOf("no-such-evaluation", f.fx.keys.auditor);
    expect(unknown.status).toBe(404);
    await checked("/api/v1/fairness-evaluations/no-such-evaluation/report.pdf", unknown);
  });

  it("a render past its deadline is 503 pdf_timeout (problem+json), and the renderer goes on serving", async () => {
    const slow = createChromiumPdfRenderer({ executablePath: CHROMIUM, concurrency: 1, timeoutMs: 1 });
    const app = await createInProcessApp({ wrap: (d) => ({ ...d, pdfRenderer: slow }) });
    try {
      const fx = await createTenant(app, `pdf-timeout-${crypto.randomUUID().slice(0, 8)}`);
      const api = inProcessClient(app);
      expect((await api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: policy() })).status).toBe(200);
      const flow = await api.request("POST", "/api/v1/decision-flows", { token: fx.keys.publisher, body: { key: "nbo", name: "NBO", definition: PLATINUM_FLOW } });
      const published = await api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flow.body.id } });
      expect(published.status, JSON.stringify(published.body)).toBe(200);
      const path = `/api/v1/fairness-evaluations/${published.body.evaluation.id}/report.pdf`;
      const res = await app.fetch(path, { headers: { authorization: `Bearer ${fx.keys.auditor}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      await checked(path, res);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe("pdf_timeout");
      expect(body.detail).not.toMatch(/\bat\s+\S+:\d+/);
    } finally {
      await slow.close();
      await app.close();
    }
    // The shared renderer was untouched by the other one's timeout.
    expect((await pdfOf(f.blockedEvaluationId, f.fx.keys.auditor)).status).toBe(200);
  });

  it("renders queued pages one at a time in order with concurrency 1 (every caller gets its own PDF)", async () => {
    const one = createChromiumPdfRenderer({ executablePath: CHROMIUM, concurrency: 1, timeoutMs: 60_000 });
    try {
      const pdfs = await Promise.all(["alpha", "bravo", "charlie"].map((w) => one.render(`<!doctype html><title>${w}</title><h1>page ${w}</h1>`)));
      expect(pdfs.map((p) => pdfText(p).trim())).toEqual(["page alpha", "page bravo", "page charlie"]);
    } finally {
      await one.close();
    }
    await expect(one.render("<p>after close</p>")).rejects.toMatchObject({ status: 503, code: "pdf_render_failed" });
  });
});

describe.skipIf(!haveTools)("the PDF renderer fetches nothing", () => {
  let server: Server;
  const hits: string[] = [];
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.writeHead(200, { "content-type": "text/css" });
      res.end("h1{color:red}");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const page = () =>
    `<!doctype html><html><head><title>t</title><link rel="stylesheet" href="${base}/sheet.css"><style>@import url("${base}/import.css"); body{background:url("${base}/bg.png")}</style></head>` +
    `<body><h1>offline</h1><img src="${base}/img.png"><iframe src="${base}/frame.html"></iframe><script src="${base}/script.js"></script><object data="${base}/object.pdf"></object></body></html>`;

  it("a page that asks for stylesheets, images, frames and scripts still prints, with no request reaching the server", async () => {
    // Control: the same page in a plain Chromium page does reach the server, so the count below can fail.
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const p = await browser.newPage();
      await p.setContent(page(), { waitUntil: "load" });
    } finally {
      await browser.close();
    }
    expect(hits.length).toBeGreaterThan(0);
    hits.length = 0;

    const renderer = createChromiumPdfRenderer({ executablePath: CHROMIUM, concurrency: 1, timeoutMs: 60_000 });
    try {
      const pdf = await renderer.render(page());
      expect(magic(pdf)).toBe("%PDF-");
      expect(pdfText(pdf)).toContain("offline");
    } finally {
      await renderer.close();
    }
    expect(hits).toEqual([]);
  });
});

describe("report.pdf without a renderer", () => {
  it("is 501 pdf_unavailable (problem+json, documented) for every reader, before any lookup", async () => {
    const app = await createInProcessApp();
    try {
      expect(app.deps.pdfRenderer).toBeUndefined();
      const fx = await createTenant(app, `pdf-none-${crypto.randomUUID().slice(0, 8)}`);
      const path = "/api/v1/fairness-evaluations/any-id/report.pdf";
      const res = await app.fetch(path, { headers: { authorization: `Bearer ${fx.keys.auditor}` } });
      expect(res.status).toBe(501);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { code: string; status: number; detail: string };
      expect(body).toMatchObject({ status: 501, code: "pdf_unavailable" });
      expect(body.detail).toContain("report.html");
      expect(createContractChecker().check("GET", path, { status: 501, contentType: res.headers.get("content-type")!, body })).toEqual([]);
      // Roles still come first: an operator is refused, not told about the renderer.
      expect((await app.fetch(path, { headers: { authorization: `Bearer ${fx.keys.operator}` } })).status).toBe(403);
    } finally {
      await app.close();
    }
  });
});

describe("[node] the gateway process and its PDF renderer", () => {
  it("refuses a FAIRGATE_CHROMIUM_PATH that is not an executable with one line naming it (exit 2)", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "worker/runtime/node.ts"], {
      cwd: ROOT,
      env: { ...process.env, FAIRGATE_DATA_DIR: "/tmp/fairgate-never", FAIRGATE_CHROMIUM_PATH: "/nonexistent/chromium" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("Invalid configuration: FAIRGATE_CHROMIUM_PATH: /nonexistent/chromium is not an executable file");
  });

  it.skipIf(!haveTools)("serves report.pdf with Chromium found at its usual path, and 501 with FAIRGATE_CHROMIUM_PATH=off", async () => {
    const on = await spawnNodeServer({ FAIRGATE_CHROMIUM_PATH: "" });
    const off = await spawnNodeServer({ FAIRGATE_CHROMIUM_PATH: "off" });
    try {
      const setup = async (baseUrl: string, adminToken: string) => {
        const post = (path: string, token: string, body: unknown, method = "POST") =>
          fetch(baseUrl + path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
        const t = await post("/api/v1/admin/tenants", adminToken, { name: "pdf-node" });
        const k = await post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, adminToken, { principal: "pdf@node.test", roles: ["admin", "publisher", "auditor"] });
        expect((await post("/api/v1/tenant-settings", k.body.key, policy(), "PUT")).status).toBe(200);
        const flow = await post("/api/v1/decision-flows", k.body.key, { key: "nbo", name: "NBO", definition: PLATINUM_FLOW });
        const pub = await post("/api/v1/decision-flows/publish", k.body.key, { id: flow.body.id });
        expect(pub.status, JSON.stringify(pub.body)).toBe(200);
        return { key: k.body.key as string, evaluationId: pub.body.evaluation.id as string };
      };
      const a = await setup(on.baseUrl, on.adminToken);
      const res = await fetch(`${on.baseUrl}/api/v1/fairness-evaluations/${a.evaluationId}/report.pdf`, { headers: { authorization: `Bearer ${a.key}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pdf");
      const pdf = new Uint8Array(await res.arrayBuffer());
      expect(magic(pdf)).toBe("%PDF-");
      expect(pdfText(pdf, ["-f", "1", "-l", "1"])).toMatch(/\bnbo\b/);

      expect(off.logs.some((l) => l.includes('"pdf reports off"') && l.includes("FAIRGATE_CHROMIUM_PATH=off"))).toBe(true);
      const b = await setup(off.baseUrl, off.adminToken);
      const refused = await fetch(`${off.baseUrl}/api/v1/fairness-evaluations/${b.evaluationId}/report.pdf`, { headers: { authorization: `Bearer ${b.key}` } });
      expect(refused.status).toBe(501);
      expect(((await refused.json()) as { code: string }).code).toBe("pdf_unavailable");
    } finally {
      // SIGTERM: the graceful shutdown closes the browser it launched, then exits 0.
      expect(await on.stop()).toBe(0);
      expect(await off.stop()).toBe(0);
    }
  });
});
