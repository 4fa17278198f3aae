/**
 * The Remediations screen's keyset pages, in Chromium over real HTTP: 61 remediations
 * (one opened by a real block, 60 more written straight into the tenant database beside
 * it, two to a created_at so the id breaks the tie) walked by "Older remediations"
 * to the end, each id once, in the API's (created_at, id) newest-first order; the status
 * filter is kept across pages; a malformed cursor is a 400; axe finds nothing serious.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { REMEDIATIONS_PAGE_SIZE } from "../../worker/console/screens/remediations.js";
import { type ConsoleServer, consoleTenant, launchBrowser, personContext, seriousA11yViolations, signIn, startConsoleServer, CHROMIUM } from "../helpers/console.js";
import { bulk, breachingLines, createFlow, openTenantDb, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

const COPIES = 60;

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console Remediations: keyset pages", () => {
  let s: ConsoleServer;
  let browser: Browser;
  let a: TenantFixture;
  let page: Page;
  let real = "";
  const api = (method: string, path: string, token: string, body?: unknown) => s.api.request(method, path, { token, body });

  beforeAll(async () => {
    [s, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
    a = await consoleTenant(s, `rem-pages-${crypto.randomUUID().slice(0, 8)}`);
    expect((await api("PUT", "/api/v1/tenant-settings", a.keys.admin, policy())).status).toBe(200);
    const flow = await createFlow(s.api, a.keys.publisher, "nbo", PLATINUM_FLOW);
    expect((await bulk(s.api, a.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    expect((await api("POST", "/api/v1/decision-flows/publish", a.keys.publisher, { id: flow })).status).toBe(422);
    real = (await api("GET", "/api/v1/remediations", a.keys.auditor)).body.items[0].id;
    // Copies of the real record, older than it, two to a created_at (the id orders them); every sixth in progress.
    const db = openTenantDb(s.app, a.id);
    try {
      const base = Date.parse((await api("GET", `/api/v1/remediations/${real}`, a.keys.auditor)).body.createdAt);
      for (let i = 0; i < COPIES; i++) {
        const at = new Date(base - 60_000 * (Math.floor(i / 2) + 1)).toISOString();
        await db.execute({
          sql: `INSERT INTO remediations (tenant_id, id, flow_id, flow_key, evaluation_id, opened_by_action, failing_metrics, failing_slices, status, owner, due_at, root_cause, notes, revision, created_at, updated_at, failure_class, playbook)
                SELECT tenant_id, ?, flow_id, flow_key, evaluation_id, opened_by_action, failing_metrics, failing_slices, ?, owner, due_at, root_cause, notes, revision, ?, ?, failure_class, playbook FROM remediations WHERE id = ?`,
          args: [`rem-copy-${String(i).padStart(2, "0")}`, i % 6 === 0 ? "in_progress" : "open", at, at, real],
        });
      }
    } finally {
      db.close();
    }
    ({ page } = await personContext(browser, s.baseUrl));
    await signIn(page, a.keys.auditor);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** Every page from `start` by the "Older remediations" link: the ids in the order shown. */
  async function walk(start: string): Promise<string[][]> {
    await page.goto(start);
    const pages: string[][] = [];
    for (;;) {
      pages.push(await page.locator("#remediations tbody tr").evaluateAll((trs) => trs.map((t) => t.getAttribute("data-remediation")!)));
      const older = page.getByRole("link", { name: "Older remediations" });
      if ((await older.count()) === 0) break;
      await Promise.all([page.waitForURL("**/console/remediations?*beforeId=*"), older.click()]);
    }
    return pages;
  }

  it("pages newest first to the end, each id once, in (created_at, id) order", async () => {
    const pages = await walk("/console/remediations");
    expect(pages.map((p) => p.length)).toEqual([REMEDIATIONS_PAGE_SIZE, COPIES + 1 - REMEDIATIONS_PAGE_SIZE]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(COPIES + 1);
    const all = (await api("GET", "/api/v1/remediations?limit=200", a.keys.auditor)).body.items as { id: string; createdAt: string }[];
    const expected = [...all].sort((x, y) => (x.createdAt !== y.createdAt ? (x.createdAt < y.createdAt ? 1 : -1) : x.id < y.id ? 1 : -1)).map((x) => x.id);
    expect(seen).toEqual(expected);
    expect(seen[0]).toBe(real);
    expect(await page.getByText("End of the list.").count()).toBe(1);
    expect(await page.getByRole("link", { name: "Newest" }).getAttribute("href")).toBe("/console/remediations");
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it("keeps the status filter across pages; a malformed cursor or an unknown parameter is a 400", async () => {
    const open = (await walk("/console/remediations?status=open")).flat();
    const fromApi = (await api("GET", "/api/v1/remediations?status=open&limit=200", a.keys.auditor)).body.items.map((x: { id: string }) => x.id);
    expect(open.length).toBe(fromApi.length);
    expect(open.length).toBeGreaterThan(REMEDIATIONS_PAGE_SIZE);
    expect(new Set(open)).toEqual(new Set(fromApi));
    expect(page.url()).toContain("status=open");
    expect((await page.goto("/console/remediations?beforeAt=yesterday&beforeId=x"))!.status()).toBe(400);
    expect((await page.goto("/console/remediations?limit=5000"))!.status()).toBe(400);
  });
});
