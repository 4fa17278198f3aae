/**
 * The Settings screen, in Chromium over real HTTP: the admin edits the policy as JSON;
 * malformed JSON, an unknown key and a bad value are listed inline from the PUT's own
 * schema (the unknown key named) with nothing saved; the dry run shows, for every active
 * flow, what today's window says under the edited policy — and stores nothing (the
 * evaluation and audit counts of the tenant database are unchanged), and what it says is
 * what the real recheck says once the policy is saved; saving goes through the settings
 * service (audited, with the admin as actor), needs the CSRF token and fails closed (503) on
 * a store fault. An auditor is not
 * shown the screen and a forged post is 403; axe finds nothing serious on any state of it.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleServer, consoleTenant, csrfOf, launchBrowser, personContext, postForm, seriousA11yViolations, signIn, startConsoleServer, CHROMIUM } from "../helpers/console.js";
import { failingBatches, sqlOf } from "../helpers/failing-client.js";
import { bulk, breachingLines, createFlow, fairLines, PLATINUM_FLOW, policy, tableCounts, type TenantFixture } from "../integration/_support.js";

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console Settings: policy editor and dry run", () => {
  let s: ConsoleServer;
  let browser: Browser;
  let fx: TenantFixture;
  const pages: Record<string, Page> = {};
  const flows: Record<string, string> = {};
  // The stored policy hardly gates (DIR 0.01); the edited one (DIR 0.8) is what the biased flow breaches.
  const lenient = policy({ thresholds: { disparateImpactRatio: 0.01 } }).fairnessPolicy;
  const strict = policy({ thresholds: { disparateImpactRatio: 0.8 } }).fairnessPolicy;
  /** Set by a test to make the next settings write fail like a lost disk. */
  const fault = { settingsWrites: false };
  const stored = async () => (await s.api.request("GET", "/api/v1/tenant-settings", { token: fx.keys.auditor })).body.fairnessPolicy;

  beforeAll(async () => {
    [s, browser] = await Promise.all([
      startConsoleServer({ wrapTenantClient: (c) => failingBatches(c, (stmts) => fault.settingsWrites && stmts.some((x) => sqlOf(x).includes("INSERT INTO tenant_settings"))) }),
      launchBrowser(),
    ]);
    fx = await consoleTenant(s, `set-${crypto.randomUUID().slice(0, 8)}`);
    expect((await s.api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: { fairnessPolicy: lenient } })).status).toBe(200);
    for (const key of ["biased", "fair", "idle"]) flows[key] = await createFlow(s.api, fx.keys.publisher, key, PLATINUM_FLOW);
    // biased and fair are published before any traffic (skip: active); idle stays a draft and is not judged.
    for (const key of ["biased", "fair"]) expect((await s.api.request("POST", "/api/v1/decision-flows/publish", { token: fx.keys.publisher, body: { id: flows[key] } })).status).toBe(200);
    expect((await bulk(s.api, fx.keys.operator, [...breachingLines("biased", 12), ...fairLines("fair", 12)])).status).toBe(201);
    for (const role of ["admin", "auditor"]) {
      const { page } = await personContext(browser, s.baseUrl);
      await signIn(page, fx.keys[role]!);
      pages[role] = page;
    }
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  const editor = (page: Page) => page.getByLabel("Fairness policy (JSON)");

  it("shows the stored policy; bad JSON, an unknown key and a bad value are listed inline and nothing is saved", async () => {
    const page = pages.admin!;
    await page.goto("/console/flows");
    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.waitForURL("**/console/settings");
    expect(JSON.parse(await editor(page).inputValue())).toEqual(await stored());
    expect(await seriousA11yViolations(page)).toEqual([]);
    const before = { counts: await tableCounts(s.app, fx.id), policy: await stored() };

    await editor(page).fill("{ not json");
    const [bad] = await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Save policy" }).click()]);
    expect(bad.status()).toBe(400);
    expect(await page.getByRole("alert").innerText()).toMatch(/not valid JSON/);
    // The text comes back as typed, so it can be corrected.
    expect(await editor(page).inputValue()).toBe("{ not json");
    expect(await editor(page).getAttribute("aria-invalid")).toBe("true");

    await editor(page).fill(JSON.stringify({ ...strict, tresholds: {}, minSampleSize: -1 }, null, 2));
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.waitForLoadState();
    const issues = await page.locator("#policy-errors ul.issues li").allInnerTexts();
    expect(issues).toContain("(root): unknown key(s): tresholds");
    expect(issues.some((i) => i.startsWith("minSampleSize:"))).toBe(true);
    expect(await seriousA11yViolations(page)).toEqual([]);
    // The dry run refuses the same input the same way.
    await page.getByRole("button", { name: "Dry run" }).click();
    await page.waitForLoadState();
    expect(await page.locator("#policy-errors ul.issues li").allInnerTexts()).toEqual(issues);
    expect({ counts: await tableCounts(s.app, fx.id), policy: await stored() }).toEqual(before);
  });

  it("dry run: every active flow judged on today's window under the edited policy; nothing stored; the real recheck agrees", async () => {
    const page = pages.admin!;
    await page.goto("/console/settings");
    await editor(page).fill(JSON.stringify(strict, null, 2));
    const before = { counts: await tableCounts(s.app, fx.id), audit: (await s.api.request("GET", "/api/v1/audit-log?limit=200", { token: fx.keys.auditor })).body.items.length, policy: await stored() };
    // With the keyboard: Tab from the editor reaches Save policy, then Dry run; Enter runs it.
    await editor(page).focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Save policy");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Dry run");
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/settings/dry-run")), page.waitForURL("**/console/settings/dry-run"), page.keyboard.press("Enter")]);
    expect(res.status()).toBe(200);
    const rows = page.locator("table.dry-run tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute("data-flow-key")).sort())).toEqual(["biased", "fair"]);
    const biased = page.locator('table.dry-run tr[data-flow-key="biased"]');
    expect(await biased.getAttribute("data-verdict")).toBe("block");
    const shown = await biased.locator("ul.violations li").allInnerTexts();
    expect(shown.some((v) => /^disparate impact ratio \d\.\d{3} < threshold 0\.8$/.test(v))).toBe(true);
    expect(await page.locator('table.dry-run tr[data-flow-key="fair"]').getAttribute("data-verdict")).toBe("pass");
    // The edited text stays in the editor; the stored policy, evaluations and audit rows are untouched.
    expect(JSON.parse(await editor(page).inputValue())).toEqual(strict);
    expect({ counts: await tableCounts(s.app, fx.id), audit: (await s.api.request("GET", "/api/v1/audit-log?limit=200", { token: fx.keys.auditor })).body.items.length, policy: await stored() }).toEqual(before);
    expect(await seriousA11yViolations(page)).toEqual([]);

    // Save it through the screen: the settings service stores and audits it with the admin as actor.
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.waitForURL("**/console/settings?saved=1");
    expect(await page.getByRole("status").innerText()).toContain("Policy saved");
    expect(await stored()).toMatchObject({ thresholds: { disparateImpactRatio: 0.8 }, minSampleSize: strict.minSampleSize });
    const audit = (await s.api.request("GET", "/api/v1/audit-log?entityType=tenant_settings&limit=200", { token: fx.keys.auditor })).body.items;
    expect(audit.at(-1)).toMatchObject({ action: "settings_update", actor: fx.principals.admin });
    // The real recheck, on the same window: it pauses what the dry run blocked, with the same violations.
    const cron = await s.api.request("GET", "/api/v1/cron/fairness-recheck", { token: s.app.cronSecret });
    expect(cron.status).toBe(200);
    expect(cron.body.tenants.find((t: any) => t.tenantId === fx.id).paused.map((p: any) => p.flowId)).toEqual([flows.biased]);
    const recheck = (await s.api.request("GET", `/api/v1/fairness-evaluations?flowId=${flows.biased}&limit=1`, { token: fx.keys.auditor })).body.items[0];
    expect(recheck).toMatchObject({ trigger: "recheck", verdict: "block" });
    expect(recheck.violations).toEqual(shown);
  });

  it("saving without the CSRF token is 403, a store fault 503, and nothing is saved; an auditor is not shown Settings and is refused", async () => {
    const admin = pages.admin!;
    await admin.goto("/console/settings");
    const before = await stored();
    const r = await postForm(admin, "/console/settings", { policy: JSON.stringify(lenient) });
    expect(r.status).toBe(403);
    expect(await stored()).toEqual(before);
    const wrong = await postForm(admin, "/console/settings", { _csrf: "x".repeat(64), policy: JSON.stringify(lenient) });
    expect(wrong.status).toBe(403);
    expect(await stored()).toEqual(before);
    expect(await csrfOf(admin)).toMatch(/^[0-9a-f]{64}$/);

    // A store fault while saving: a 503 page, fail-closed, nothing saved, no stack trace.
    await admin.goto("/console/settings");
    await editor(admin).fill(JSON.stringify(lenient, null, 2));
    fault.settingsWrites = true;
    try {
      const [res] = await Promise.all([admin.waitForResponse((r) => r.request().method() === "POST"), admin.getByRole("button", { name: "Save policy" }).click()]);
      expect(res.status()).toBe(503);
    } finally {
      fault.settingsWrites = false;
    }
    expect(await admin.getByRole("alert").innerText()).toContain("nothing was changed");
    expect(await admin.content()).not.toMatch(/SQLITE|\bat .+:\d+:\d+/);
    expect(await stored()).toEqual(before);

    // The admin's screen: an auditor is not shown it and is refused, reading or posting.
    const auditor = pages.auditor!;
    await auditor.goto("/console/flows");
    expect(await auditor.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Settings" }).count()).toBe(0);
    expect((await auditor.goto("/console/settings"))!.status()).toBe(403);
    const [cookie] = await auditor.context().cookies();
    const { csrfTokenOf } = await import("../../worker/console/session.js");
    const token = await csrfTokenOf(cookie!.value);
    for (const path of ["/console/settings", "/console/settings/dry-run"]) {
      const forged = await postForm(auditor, path, { _csrf: token, policy: JSON.stringify(lenient) });
      expect(forged.status, path).toBe(403);
      expect(forged.text).toContain("missing_role");
    }
    expect(await stored()).toEqual(before);
  });
});
