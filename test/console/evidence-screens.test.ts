/**
 * The Evaluations, Audit log and Remediations screens, in Chromium over real HTTP:
 * verdict badges, filters and keyset paging (55 publishes: past one 50-row page); the
 * report renderer's page and the JSON downloads equal the API's; the audit log's filters
 * and its chain badge (intact, then broken at the tampered row after a direct edit of the
 * database); a remediation edited through the same service as PATCH /remediations (audited,
 * a forbidden transition the service's 409); an auditor sees no mutation control and axe
 * finds nothing serious; a forged post without the role or without the CSRF token is 403;
 * another tenant's evaluation and remediation ids are 404.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleServer, consoleTenant, csrfOf, launchBrowser, postForm, seriousA11yViolations, signedInPages, startConsoleServer, transferredBytes, CHROMIUM } from "../helpers/console.js";
import { bulk, breachingLines, createFlow, openTenantDb, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console evidence screens: evaluations, audit log, remediations", () => {
  let s: ConsoleServer;
  let browser: Browser;
  let a: TenantFixture;
  let b: TenantFixture;
  let blockedFlow = "";
  let quietFlow = "";
  let blockedEvaluation = "";
  let remediationA = "";
  let remediationB = "";
  let evaluationB = "";
  const pages: Record<string, Page> = {};
  const api = (method: string, path: string, token: string, body?: unknown) => s.api.request(method, path, { token, body });

  beforeAll(async () => {
    [s, browser] = await Promise.all([startConsoleServer(), launchBrowser()]);
    a = await consoleTenant(s, `ev-a-${crypto.randomUUID().slice(0, 8)}`);
    b = await consoleTenant(s, `ev-b-${crypto.randomUUID().slice(0, 8)}`);
    for (const fx of [a, b]) expect((await api("PUT", "/api/v1/tenant-settings", fx.keys.admin, policy())).status).toBe(200);
    blockedFlow = await createFlow(s.api, a.keys.publisher, "nbo", PLATINUM_FLOW);
    quietFlow = await createFlow(s.api, a.keys.publisher, "quiet", PLATINUM_FLOW);
    expect((await bulk(s.api, a.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    expect((await api("POST", "/api/v1/decision-flows/publish", a.keys.publisher, { id: blockedFlow })).status).toBe(422);
    // 55 skips of a flow without traffic: more than one page of evaluations and of audit rows.
    for (let i = 0; i < 55; i++) expect((await api("POST", "/api/v1/decision-flows/publish", a.keys.publisher, { id: quietFlow })).status).toBe(200);
    blockedEvaluation = (await api("GET", `/api/v1/fairness-evaluations?flowId=${blockedFlow}`, a.keys.auditor)).body.items[0].id;
    remediationA = (await api("GET", "/api/v1/remediations", a.keys.auditor)).body.items[0].id;
    const flowB = await createFlow(s.api, b.keys.publisher, "nbo", PLATINUM_FLOW);
    expect((await bulk(s.api, b.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    expect((await api("POST", "/api/v1/decision-flows/publish", b.keys.publisher, { id: flowB })).status).toBe(422);
    evaluationB = (await api("GET", "/api/v1/fairness-evaluations", b.keys.auditor)).body.items[0].id;
    remediationB = (await api("GET", "/api/v1/remediations", b.keys.auditor)).body.items[0].id;
    Object.assign(pages, await signedInPages(browser, s.baseUrl, a.keys, ["auditor", "publisher", "admin"]));
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it("Evaluations: verdict badges, filter by verdict and flow, keyset pages to the end", async () => {
    const page = pages.auditor!;
    await page.goto("/console/flows");
    await page.getByRole("link", { name: "Evaluations", exact: true }).click();
    await page.waitForURL("**/console/evaluations");
    const rows = page.locator("#evaluations tbody tr");
    expect(await rows.count()).toBe(50);
    expect(await rows.first().locator(".badge").innerText()).toBe("skip");
    // Filter by verdict with the select (the script submits on change); the block is the only one.
    await Promise.all([page.waitForURL("**/console/evaluations?*verdict=block*"), page.getByLabel("Verdict").selectOption("block")]);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-evaluation")).toBe(blockedEvaluation);
    expect(await rows.first().innerText()).toMatch(/block[\s\S]*disparate impact ratio/);
    // Every page of one flow's evaluations, by the "Older evaluations" link, each id once: 55 in all.
    await page.goto(`/console/evaluations?flowId=${quietFlow}`);
    const seen: string[] = [];
    for (;;) {
      seen.push(...(await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute("data-evaluation")!))));
      const older = page.getByRole("link", { name: "Older evaluations" });
      if ((await older.count()) === 0) break;
      await older.click();
      await page.waitForLoadState();
    }
    expect(seen.length).toBe(55);
    expect(new Set(seen).size).toBe(55);
    const fromApi = (await api("GET", `/api/v1/fairness-evaluations?flowId=${quietFlow}&limit=200`, a.keys.auditor)).body.items.map((e: any) => e.id);
    expect(new Set(seen)).toEqual(new Set(fromApi));
    expect(await page.getByText("End of the list.").count()).toBe(1);
    // Bad input is a 400 page, as the API's query schema would answer.
    expect((await page.goto("/console/evaluations?verdict=maybe"))!.status()).toBe(400);
    expect((await page.goto("/console/evaluations?beforeAt=yesterday&beforeId=x"))!.status()).toBe(400);
  });

  it("Evaluations: the HTML report is the report renderer's page; the JSON downloads equal the API's", async () => {
    const page = pages.auditor!;
    await page.goto("/console/evaluations?verdict=block");
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/report.html")), page.getByRole("link", { name: `HTML report of ${blockedEvaluation}` }).click()]);
    expect(res.status()).toBe(200);
    expect(res.headers()["content-security-policy"]).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    const apiHtml = await s.app.fetch(`/api/v1/fairness-evaluations/${blockedEvaluation}/report.html`, { headers: { authorization: `Bearer ${a.keys.auditor}` } });
    // Same renderer, same report (the generation time aside).
    const strip = (t: string) => t.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "T");
    expect(strip(await res.text())).toBe(strip(await apiHtml.text()));
    await page.goto("/console/evaluations?verdict=block");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: `Report JSON of ${blockedEvaluation}` }).click()]);
    expect(download.suggestedFilename()).toBe(`fairgate-report-${blockedEvaluation}.json`);
    const { readFile } = await import("node:fs/promises");
    const report = JSON.parse(await readFile((await download.path())!, "utf8"));
    const apiReport = (await api("GET", `/api/v1/fairness-evaluations/${blockedEvaluation}/report.json`, a.keys.auditor)).body;
    expect({ ...report, generatedAt: null }).toEqual({ ...apiReport, generatedAt: null });
    const [d2] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: `Evaluation JSON of ${blockedEvaluation}` }).click()]);
    expect(JSON.parse(await readFile((await d2.path())!, "utf8"))).toEqual((await api("GET", `/api/v1/fairness-evaluations/${blockedEvaluation}`, a.keys.auditor)).body);
  });

  it("Audit log: filters by entity, action, actor and date; pages by seq; the chains are intact", async () => {
    const page = pages.auditor!;
    // The badges are their own page (a link without the script) that the console's script loads into the log.
    await page.goto("/console/audit-log/verify");
    expect(await page.locator('[data-chain="audit"]').innerText()).toMatch(/intact[\s\S]*audit chain[\s\S]*\d+ rows verified/);
    await page.goto("/console/audit-log");
    for (const chain of ["audit", "evaluation"]) expect(await page.locator(`#chains [data-chain="${chain}"]`).getAttribute("data-chain-ok")).toBe("true");
    const verified = (await api("GET", "/api/v1/audit-log/verify", a.keys.auditor)).body;
    expect(await page.locator('[data-chain="audit"]').innerText()).toContain(`${verified.audit.rows} rows verified`);
    const rows = page.locator("#audit tbody tr");
    expect(await rows.count()).toBe(50);
    const all = (await api("GET", "/api/v1/audit-log?limit=200", a.keys.auditor)).body.items as any[];
    // Newest first; the next page starts right below the last seq shown.
    const firstPage = await rows.evaluateAll((trs) => trs.map((t) => Number(t.getAttribute("data-seq"))));
    expect(firstPage).toEqual(all.map((x) => x.seq).reverse().slice(0, 50));
    await page.getByRole("link", { name: "Older rows" }).click();
    await page.waitForURL("**/console/audit-log?before=*");
    expect(await rows.evaluateAll((trs) => trs.map((t) => Number(t.getAttribute("data-seq"))))).toEqual(all.map((x) => x.seq).reverse().slice(50, 100));
    // Entity + action + actor through the form, with the keyboard's Enter on the Filter button.
    await page.goto("/console/audit-log");
    await page.getByLabel("Entity").selectOption("decision_flow");
    await page.getByLabel("Action").selectOption("publish_blocked");
    await page.getByLabel("Actor").selectOption(a.principals.publisher);
    await page.getByRole("button", { name: "Filter" }).focus();
    await Promise.all([page.waitForURL("**/console/audit-log?*action=publish_blocked*"), page.keyboard.press("Enter")]);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain("disparate impact ratio");
    // Dates: today (UTC) holds everything; a range that ended yesterday nothing.
    const today = s.now().toISOString().slice(0, 10);
    const yesterday = new Date(s.now().getTime() - 86_400_000).toISOString().slice(0, 10);
    await page.goto(`/console/audit-log?from=${today}&to=${today}&action=publish_blocked`);
    expect(await rows.count()).toBe(1);
    await page.goto(`/console/audit-log?to=${yesterday}`);
    expect(await page.getByText("No audit rows match the filter.").count()).toBe(1);
    expect((await page.goto(`/console/audit-log?from=${today}&to=${yesterday}`))!.status()).toBe(400);
    expect((await page.goto("/console/audit-log?from=last-week"))!.status()).toBe(400);
    expect((await page.goto("/console/audit-log?before=-3"))!.status()).toBe(400);
  });

  it("an auditor sees the three screens with no mutation control; axe finds nothing serious; pages stay small", async () => {
    const page = pages.auditor!;
    for (const path of ["/console/evaluations", "/console/audit-log", "/console/audit-log/verify", "/console/remediations", `/console/remediations/${remediationA}`]) {
      expect((await page.goto(path))!.status(), path).toBe(200);
      if (path === "/console/audit-log") await page.locator("#chains [data-chain]").first().waitFor();
      expect(await page.locator('form[method="post"]').count(), path).toBe(0);
      expect(await page.getByRole("button", { name: "Save remediation" }).count(), path).toBe(0);
      expect(await seriousA11yViolations(page), path).toEqual([]);
      expect(await transferredBytes(page, path), path).toBeLessThan(100_000);
    }
    for (const path of ["/console/evaluations", "/console/audit-log", "/console/remediations", `/console/remediations/${remediationA}`]) {
      await pages.publisher!.goto(path);
      expect(await seriousA11yViolations(pages.publisher!), path).toEqual([]);
    }
  });

  it("Remediations: owner, due date, status and the playbook; a publisher edits it through the API's service (audited)", async () => {
    const page = pages.publisher!;
    await page.goto("/console/remediations");
    const row = page.locator(`tr[data-remediation="${remediationA}"]`);
    // Opened by the block with the publisher as owner and a due date (the service's defaults).
    expect(await row.innerText()).toMatch(new RegExp(`nbo[\\s\\S]*publish_blocked[\\s\\S]*open[\\s\\S]*${a.principals.publisher}[\\s\\S]*UTC`));
    await row.getByRole("link", { name: remediationA }).click();
    await page.waitForURL(`**/console/remediations/${remediationA}`);
    const stored = (await api("GET", `/api/v1/remediations/${remediationA}`, a.keys.auditor)).body;
    if (stored.playbook.length) expect(await page.locator("ol.playbook li").allInnerTexts()).toEqual(stored.playbook);
    if (stored.failureClass) expect(await page.locator("table.remediation").innerText()).toContain(stored.failureClass);
    await page.getByLabel("Owner").fill("bob@acme.test");
    await page.getByLabel("Due (UTC)").fill("2099-03-01T12:00");
    await page.getByLabel("Status").selectOption("in_progress");
    await page.getByLabel("Root cause").selectOption("feature");
    await page.getByLabel("Notes").fill("Age band leaks through the tier feature");
    // Saved with the keyboard: Enter on the focused button.
    await page.getByRole("button", { name: "Save remediation" }).focus();
    await Promise.all([page.waitForURL(`**/console/remediations/${remediationA}?saved=1`), page.keyboard.press("Enter")]);
    expect(await page.getByRole("status").innerText()).toContain("Remediation saved");
    const after = (await api("GET", `/api/v1/remediations/${remediationA}`, a.keys.auditor)).body;
    expect(after).toMatchObject({ owner: "bob@acme.test", dueAt: "2099-03-01T12:00:00.000Z", status: "in_progress", rootCause: "feature", notes: "Age band leaks through the tier feature", revision: stored.revision + 1 });
    const audit = (await api("GET", "/api/v1/audit-log?entityType=remediation&limit=200", a.keys.auditor)).body.items.filter((x: any) => x.entityId === remediationA);
    expect(audit.at(-1)).toMatchObject({ actor: a.principals.publisher });
    // The service's rules hold: back to open is a 409, resolved without evidence a 400; nothing changes.
    const token = await csrfOf(page);
    const back = await postForm(page, `/console/remediations/${remediationA}`, { _csrf: token, status: "open" });
    expect(back.status).toBe(409);
    expect(back.text).toContain("remediation_transition_invalid");
    expect((await postForm(page, `/console/remediations/${remediationA}`, { _csrf: token, status: "resolved" })).status).toBe(400);
    expect((await postForm(page, `/console/remediations/${remediationA}`, { _csrf: token, dueAt: "soon" })).status).toBe(400);
    expect((await api("GET", `/api/v1/remediations/${remediationA}`, a.keys.auditor)).body).toEqual(after);
    await page.goto("/console/remediations?status=in_progress");
    expect(await page.locator(`tr[data-remediation="${remediationA}"]`).innerText()).toContain("bob@acme.test");
    await page.goto("/console/remediations?status=resolved");
    expect(await page.locator(`tr[data-remediation="${remediationA}"]`).count()).toBe(0);
    expect((await page.goto("/console/remediations?status=done"))!.status()).toBe(400);
  });

  it("forged posts: without the role 403, without the CSRF token 403; another tenant's ids 404", async () => {
    const auditor = pages.auditor!;
    await auditor.goto("/console/remediations");
    const [cookie] = await auditor.context().cookies();
    const { csrfTokenOf } = await import("../../worker/console/session.js");
    const auditorToken = await csrfTokenOf(cookie!.value);
    const before = (await api("GET", `/api/v1/remediations/${remediationA}`, a.keys.auditor)).body;
    const forged = await postForm(auditor, `/console/remediations/${remediationA}`, { _csrf: auditorToken, owner: "mallory" });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain("missing_role");
    expect((await postForm(auditor, "/console/settings", { _csrf: auditorToken, policy: "{}" })).status).toBe(403);
    expect((await postForm(auditor, "/console/settings/dry-run", { _csrf: auditorToken, policy: "{}" })).status).toBe(403);
    const publisher = pages.publisher!;
    const noToken = await postForm(publisher, `/console/remediations/${remediationA}`, { owner: "mallory" });
    expect(noToken.status).toBe(403);
    expect(noToken.text).toContain("csrf");
    expect((await api("GET", `/api/v1/remediations/${remediationA}`, a.keys.auditor)).body).toEqual(before);
    // Tenant B's ids, in tenant A's session.
    for (const path of [`/console/evaluations/${evaluationB}/report.html`, `/console/evaluations/${evaluationB}/report.json`, `/console/evaluations/${evaluationB}.json`, `/console/remediations/${remediationB}`]) {
      expect(await publisher.evaluate(async (p) => (await fetch(p)).status, path), path).toBe(404);
    }
    await publisher.goto(`/console/remediations/${remediationA}`);
    expect((await postForm(publisher, `/console/remediations/${remediationB}`, { _csrf: await csrfOf(publisher), owner: "x@y.test" })).status).toBe(404);
    expect((await api("GET", `/api/v1/remediations/${remediationB}`, b.keys.auditor)).body.owner).not.toBe("x@y.test");
  });

  it("Audit log: a row edited in the database shows the audit chain broken at that row (last: the tenant's chain stays broken)", async () => {
    const all = (await api("GET", "/api/v1/audit-log?limit=200", a.keys.auditor)).body.items as any[];
    const victim = all[3];
    const db = openTenantDb(s.app, a.id);
    try {
      await db.execute("DROP TRIGGER audit_log_no_update");
      await db.execute({ sql: "UPDATE audit_log SET reason = 'nothing to see here' WHERE id = ?", args: [victim.id] });
    } finally {
      db.close();
    }
    const page = pages.auditor!;
    await page.goto("/console/audit-log");
    const badge = page.locator('#chains [data-chain="audit"]');
    expect(await badge.getAttribute("data-chain-ok")).toBe("false");
    expect(await badge.innerText()).toMatch(/broken[\s\S]*audit chain/);
    expect(await badge.locator(`li[data-break-seq="${victim.seq}"]`).innerText()).toContain(victim.id);
    expect(await page.locator('[data-chain="evaluation"]').getAttribute("data-chain-ok")).toBe("true");
    const verify = (await api("GET", "/api/v1/audit-log/verify", a.keys.auditor)).body;
    expect(verify.audit.ok).toBe(false);
    expect(verify.audit.breaks.map((x: any) => x.seq)).toContain(victim.seq);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });
});
