/**
 * Console test harness (not a test file): the real app (real libSQL files, real Wasm
 * kernels) served over real HTTP by @hono/node-server on a free port, with a clock
 * the test can move (session expiry, override expiry); a tenant with one key per
 * role; headless Chromium (Debian's /usr/bin/chromium through playwright-core), one
 * browser per test file and one context (cookie jar) per person; and axe-core run
 * inside the page.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { AppDeps } from "../../worker/http/types.js";
import type { Client } from "../../worker/store/sql.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "./in-process.js";
import { createTenant, type TenantFixture } from "../integration/_support.js";
import { CHROMIUM_ARGS } from "../../worker/runtime/chromium-pdf.js";

export const CHROMIUM = "/usr/bin/chromium";

export interface ConsoleServer {
  app: InProcessApp;
  api: ReturnType<typeof inProcessClient>;
  baseUrl: string;
  /** Moves the app's clock forward (sessions, overrides and windows all read it). */
  advance(ms: number): void;
  now(): Date;
  close(): Promise<void>;
}

/** The app on a real HTTP port, its clock starting at the real time and moved only by `advance`. */
export async function startConsoleServer(opts: { wrapTenantClient?: (c: Client) => Client; wrap?: (deps: AppDeps) => AppDeps } = {}): Promise<ConsoleServer> {
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const app = await createInProcessApp({ clock: now, wrapTenantClient: opts.wrapTenantClient, wrap: opts.wrap });
  const server: ServerType = await new Promise((ok) => {
    const s = serve({ fetch: (req) => app.fetch(req as unknown as string), port: 0, hostname: "127.0.0.1" }, () => ok(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    app,
    api: inProcessClient(app),
    baseUrl: `http://127.0.0.1:${port}`,
    advance: (ms) => {
      offset += ms;
    },
    now,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      await app.close();
    },
  };
}

/** A tenant with one key per role plus `extra` people (see integration/_support createTenant). */
export function consoleTenant(s: ConsoleServer, name: string, extra: Record<string, { principal: string; roles: string[] }> = {}): Promise<TenantFixture> {
  return createTenant(s.app, name, extra);
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A person's own browser context. Every request the page makes is recorded and
 * anything not to the app's origin is refused, so a CDN dependency fails the test.
 */
export async function personContext(browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page; foreign: string[] }> {
  const context = await browser.newContext({ baseURL: baseUrl });
  const foreign: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return { context, page: await context.newPage(), foreign };
}

/** Signs in through the form, with the keyboard only: tab to the field, type, tab to the button, Enter. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.goto("/console/sign-in");
  await page.getByLabel("API key").focus();
  await page.keyboard.type(key);
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  if (focused !== "Sign in") throw new Error(`Tab from the API key field reached ${JSON.stringify(focused)}, not the Sign in button`);
  await Promise.all([page.waitForURL("**/console/flows"), page.keyboard.press("Enter")]);
}

/** Each of `roles` signed in (through the form) in a browser context of their own, by role. */
export async function signedInPages(browser: Browser, baseUrl: string, keys: Record<string, string>, roles: readonly string[]): Promise<Record<string, Page>> {
  const pages: Record<string, Page> = {};
  for (const role of roles) {
    const { page } = await personContext(browser, baseUrl);
    await signIn(page, keys[role]!);
    pages[role] = page;
  }
  return pages;
}

/** The session id a Set-Cookie header sets, or null. */
export const sessionOf = (setCookie: string | null): string | null => /fairgate_session=([^;]*)/.exec(setCookie ?? "")?.[1] ?? null;

/**
 * Signs in with a plain fetch of the sign-in form (no browser): same-origin headers,
 * which `headers` may add to or override. The response, its Set-Cookie and the session id.
 */
export async function postSignIn(baseUrl: string, key: string, headers: Record<string, string> = {}): Promise<{ res: Response; setCookie: string | null; sid: string | null }> {
  const res = await fetch(`${baseUrl}/console/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl, "sec-fetch-site": "same-origin", ...headers },
    body: new URLSearchParams({ apiKey: key }),
  });
  const setCookie = res.headers.get("set-cookie");
  return { res, setCookie, sid: sessionOf(setCookie) };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** Runs axe-core in the page; returns the serious and critical violations (id: help, targets). */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which the page's CSP (script-src 'self') does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.targets.join(", ")}`);
}

/** POSTs a form from inside the page (same origin, the person's own cookie): what a forged or hand-made post would do. */
export async function postForm(page: Page, path: string, fields: Record<string, string>): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ([p, f]) => {
      const res = await fetch(p, { method: "POST", body: new URLSearchParams(f), redirect: "manual" });
      return { status: res.status, text: await res.text() };
    },
    [path, fields] as const,
  );
}

/** The CSRF token of the page on screen (every console form carries it). */
export function csrfOf(page: Page): Promise<string> {
  return page.locator('input[name="_csrf"]').first().inputValue();
}

/** Opens `path` and returns the bytes it took on the wire (headers + encoded body), as Chromium counts them. */
export async function transferredBytes(page: Page, path: string): Promise<number> {
  const res = await page.goto(path);
  if (!res) throw new Error(`no response for ${path}`);
  const sizes = await res.request().sizes();
  return sizes.responseHeadersSize + sizes.responseBodySize;
}
