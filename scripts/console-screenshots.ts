/**
 * @module scripts/console-screenshots
 * `npx tsx scripts/console-screenshots.ts [--out docs/console]`: screenshots of every
 * console screen for the README. Starts the real app over loopback HTTP
 * (scripts/console-demo) with a demo tenant — four flows, biased and fair traffic, a
 * blocked publish (which opens a remediation), a passing one, a pending override — and
 * photographs, in Debian's Chromium through playwright-core, the sign-in page and the
 * eight screens as the tenant's admin sees them (the Publish screen just after a blocked
 * publish, Settings after a dry run of a stricter policy). Writes NN-name.png files.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "../worker/runtime/chromium-pdf.js";
import { demoTenant, startDemoServer } from "./console-demo.js";

const { values } = parseArgs({ options: { out: { type: "string", default: "docs/console" } } });
const OUT = resolve(values.out!);
mkdirSync(OUT, { recursive: true });

const FLOW = {
  offers: [
    {
      id: "platinum-card",
      eligibility: [{ attribute: "tier", op: "in", value: ["gold", "platinum"] }],
      model: { intercept: -1.0, numeric: { income: 0.00002 }, categorical: { ageBand: { "65+": -2.0 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};
const POLICY = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { disparateImpactRatio: 0.8, demographicParityGap: 0.3 }, minSampleSize: 40, windowDays: 7, continuousRecheck: true };

const s = await startDemoServer();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
try {
  const alice = "alice@acme-bank.test";
  const bob = "bob@acme-bank.test";
  const { keys } = await demoTenant(s, "Acme Bank", { [alice]: ["admin", "publisher"], [bob]: ["publisher", "operator"], "carol@acme-bank.test": ["approver"] });
  await s.api("PUT", "/api/v1/tenant-settings", keys[alice]!, { fairnessPolicy: POLICY });
  const ids: Record<string, string> = {};
  for (const [key, name] of [["nbo-cards", "Next best card"], ["loan-offers", "Personal loan offers"], ["travel-insurance", "Travel insurance upsell"], ["savings-upsell", "Savings account upsell"]] as const)
    ids[key] = (await s.api("POST", "/api/v1/decision-flows", keys[bob]!, { key, name, definition: FLOW })).id;
  for (const key of ["nbo-cards", "loan-offers", "travel-insurance"]) await s.api("POST", "/api/v1/decision-flows/publish", keys[bob]!, { id: ids[key] });
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const band = ["18-24", "25-44", "45-64", "65+"][i % 4]!;
    lines.push(JSON.stringify({ decisionFlowKey: "nbo-cards", customerId: `n${i}`, attributes: { ageBand: band }, selected: band === "65+" ? i % 16 === 3 : i % 3 !== 0, converted: i % 5 === 0 }));
    lines.push(JSON.stringify({ decisionFlowKey: "loan-offers", customerId: `l${i}`, attributes: { ageBand: band }, selected: Math.floor(i / 4) % 2 === 0, converted: i % 4 === 0 }));
  }
  await s.api("POST", "/api/v1/decision-traces/bulk", keys[bob]!, lines.join("\n") + "\n", [201]).catch(async () => {
    const r = await fetch(`${s.baseUrl}/api/v1/decision-traces/bulk`, { method: "POST", headers: { authorization: `Bearer ${keys[bob]}`, "content-type": "application/x-ndjson", "x-requested-with": "XMLHttpRequest" }, body: lines.join("\n") + "\n" });
    if (r.status !== 201) throw new Error(`bulk ${r.status} ${await r.text()}`);
  });
  await s.api("PUT", `/api/v1/decision-flows/${ids["nbo-cards"]}`, keys[bob]!, { definition: { ...FLOW, maxOffers: 2 } });
  await s.api("POST", "/api/v1/decision-flows/publish", keys[bob]!, { id: ids["nbo-cards"] }, [422]);
  await s.api("POST", "/api/v1/decision-flows/publish", keys[bob]!, { id: ids["loan-offers"] });
  await s.api("POST", "/api/v1/fairness-overrides", keys[alice]!, { reason: "Regulator-approved pilot for the 65+ segment, ticket RISK-42", expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(), flowId: ids["nbo-cards"] });

  const context = await browser.newContext({ baseURL: s.baseUrl, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const shot = async (p: Page, name: string) => {
    await p.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    process.stderr.write(`${name}.png\n`);
  };
  await page.goto("/console/sign-in");
  await shot(page, "00-sign-in");
  await page.getByLabel("API key").fill(keys[alice]!);
  await Promise.all([page.waitForURL("**/console/flows"), page.getByRole("button", { name: "Sign in" }).click()]);
  await shot(page, "01-flows");
  await page.goto(`/console/flows/${ids["nbo-cards"]}`);
  await shot(page, "02-flow");
  await page.goto(`/console/flows/${ids["nbo-cards"]}/publish`);
  await Promise.all([page.waitForResponse((r) => r.request().method() === "POST"), page.getByRole("button", { name: "Publish" }).click()]);
  await page.waitForLoadState();
  await shot(page, "03-publish-blocked");
  await page.goto("/console/overrides");
  await shot(page, "04-overrides");
  await page.goto("/console/evaluations");
  await shot(page, "05-evaluations");
  await page.goto("/console/audit-log");
  await page.locator("#chains [data-chain]").first().waitFor();
  await shot(page, "06-audit-log");
  await page.goto("/console/remediations");
  await shot(page, "07-remediations");
  await page.locator("#remediations tbody tr a").first().click();
  await page.waitForLoadState();
  await shot(page, "07b-remediation");
  await page.goto("/console/settings");
  await page.getByLabel("Fairness policy (JSON)").fill(JSON.stringify({ ...POLICY, thresholds: { disparateImpactRatio: 0.9, demographicParityGap: 0.1 } }, null, 2));
  await Promise.all([page.waitForURL("**/console/settings/dry-run"), page.getByRole("button", { name: "Dry run" }).click()]);
  await shot(page, "08-settings-dry-run");
  await context.close();
} finally {
  await browser.close();
  await s.close();
}
