/**
 * Sign-in limits, over real HTTP (and the 429 page in Chromium): POST /console/sign-in is
 * rate limited per client address with http/rate-limit's token bucket (a small
 * "console-sign-in" limit configured here; X-Forwarded-For names the client, as behind a
 * proxy): beyond the burst a 429 page with Retry-After and no session; another address is
 * unaffected; the bucket refills on the app's clock; cross-site posts (403) spend nothing.
 * Each sign-in also deletes the key's signed-out, expired and idle rows in its own batch and
 * keeps at most SESSIONS_PER_KEY of the key's sessions, so repeated sign-ins cannot grow
 * the session table; other keys' sessions are untouched.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { SESSION_IDLE_MS, SESSIONS_PER_KEY } from "../../worker/services/console-sessions.js";
import { SIGN_IN_LIMIT } from "../../worker/console/sign-in-limit.js";
import { CHROMIUM, type ConsoleServer, consoleTenant, launchBrowser, personContext, postSignIn, seriousA11yViolations, startConsoleServer } from "../helpers/console.js";
import type { TenantFixture } from "../integration/_support.js";

const BURST = 3;
/** The stored hash of a session id (what console_sessions holds). */
const sha256Hex = (v: string) => createHash("sha256").update(v).digest("hex");

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console sign-in: rate limit per address, session rows bounded per key", () => {
  let s: ConsoleServer;
  let browser: Browser;
  let a: TenantFixture;
  const url = (p: string) => `${s.baseUrl}${p}`;
  const signIn = (key: string, headers: Record<string, string> = {}) => postSignIn(s.baseUrl, key, headers);
  const from = (address: string) => ({ "x-forwarded-for": `198.51.100.99, ${address}` });
  async function sessionRows(): Promise<{ id_hash: string; key_id: string; revoked_at: string | null }[]> {
    const db = createClient({ url: `file:${join(s.app.dataDir, "control.db")}` });
    try {
      return (await db.execute("SELECT id_hash, key_id, revoked_at FROM console_sessions")).rows as never;
    } finally {
      db.close();
    }
  }
  const keyIdOf = async (sid: string) => (await sessionRows()).find((r) => r.id_hash === sha256Hex(sid))?.key_id;
  const live = async (sid: string) => (await fetch(url("/console/flows"), { redirect: "manual", headers: { cookie: `fairgate_session=${sid}` } })).status === 200;

  beforeAll(async () => {
    [s, browser] = await Promise.all([
      startConsoleServer({ wrap: (d) => ({ ...d, limits: { ...d.limits, rateLimits: { limits: { ...d.limits.rateLimits?.limits, [SIGN_IN_LIMIT]: { burst: BURST, perSecond: 0.1 } }, maxBuckets: 1000 } } }) }),
      launchBrowser(),
    ]);
    a = await consoleTenant(s, `limit-${crypto.randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it("beyond the burst from one address: 429 with Retry-After and no session; other addresses unaffected; refills with time", async () => {
    for (let i = 0; i < BURST; i++) expect((await signIn(a.keys.auditor, from("203.0.113.7"))).res.status).toBe(303);
    const limited = await signIn(a.keys.auditor, from("203.0.113.7"));
    expect(limited.res.status).toBe(429);
    expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.sid).toBeNull();
    expect(limited.res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await limited.res.text()).toContain("Too many sign-in attempts");
    // A wrong key counts the same (no free guessing), and another address has its own bucket.
    expect((await signIn("fg_not-a-key", from("203.0.113.7"))).res.status).toBe(429);
    expect((await signIn(a.keys.auditor, from("203.0.113.8"))).res.status).toBe(303);
    s.advance(11_000);
    expect((await signIn(a.keys.auditor, from("203.0.113.7"))).res.status).toBe(303);
    expect((await signIn(a.keys.auditor, from("203.0.113.7"))).res.status).toBe(429);
  });

  it("cross-site posts are refused before the bucket: they cannot use up a person's sign-ins", async () => {
    for (let i = 0; i < BURST + 2; i++) expect((await signIn(a.keys.auditor, { ...from("203.0.113.20"), origin: "https://evil.example", "sec-fetch-site": "cross-site" })).res.status).toBe(403);
    for (let i = 0; i < BURST; i++) expect((await signIn(a.keys.auditor, from("203.0.113.20"))).res.status).toBe(303);
  });

  it("the 429 page in Chromium: the sign-in form again with the reason as an alert; axe finds nothing serious", async () => {
    // Chromium's requests carry no X-Forwarded-For: their bucket is the shared one of requests without an address.
    for (let i = 0; i < BURST; i++) await signIn(a.keys.auditor);
    const { page } = await personContext(browser, s.baseUrl);
    await page.goto("/console/sign-in");
    await page.getByLabel("API key").fill(a.keys.auditor);
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/sign-in") && r.request().method() === "POST"), page.getByRole("button", { name: "Sign in" }).click()]);
    expect(res.status()).toBe(429);
    await page.waitForLoadState();
    expect(await page.getByRole("alert").innerText()).toMatch(/Too many sign-in attempts from this address\. Try again in \d+ s\./);
    expect(await page.getByLabel("API key").count()).toBe(1);
    expect((await page.context().cookies()).filter((c) => c.name === "fairgate_session")).toEqual([]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.context().close();
  });

  it("a sign-in deletes the key's signed-out and expired rows; the key keeps at most SESSIONS_PER_KEY sessions; other keys' rows stay", async () => {
    let n = 0;
    // Each sign-in from its own address, so the rate limit stays out of this test.
    const fresh = async (key: string) => {
      const r = await signIn(key, from(`192.0.2.${++n % 250}`));
      expect(r.res.status).toBe(303);
      return r.sid!;
    };
    const other = await fresh(a.keys.admin);
    const signedOut = await fresh(a.keys.publisher);
    const keyId = await keyIdOf(signedOut);
    expect(keyId).toBeTruthy();
    await fetch(url("/console/sign-out"), { redirect: "manual", headers: { cookie: `fairgate_session=${signedOut}`, "sec-fetch-site": "same-origin" } });
    // Signed out: the row stays, marked, until the key's next sign-in deletes it.
    expect((await sessionRows()).find((r) => r.id_hash === sha256Hex(signedOut))?.revoked_at).toBeTruthy();
    const idle = await fresh(a.keys.publisher);
    expect((await sessionRows()).filter((r) => r.key_id === keyId).map((r) => r.id_hash)).toEqual([sha256Hex(idle)]);
    // The idle one passes 8 h without use; the admin's session is kept alive meanwhile (it is not this key's).
    s.advance(SESSION_IDLE_MS / 2);
    expect(await live(other)).toBe(true);
    s.advance(SESSION_IDLE_MS / 2 + 60_000);
    expect(await live(idle)).toBe(false);
    const next = await fresh(a.keys.publisher);
    const mine = (await sessionRows()).filter((r) => r.key_id === keyId);
    expect(mine.map((r) => r.id_hash)).toEqual([sha256Hex(next)]);
    expect((await sessionRows()).some((r) => r.id_hash === sha256Hex(other))).toBe(true);
    expect(await live(other)).toBe(true);

    // Signing in again and again: the key's rows stop at SESSIONS_PER_KEY, the oldest sessions ending.
    const sids = [next];
    for (let i = 0; i < SESSIONS_PER_KEY + 5; i++) sids.push(await fresh(a.keys.publisher));
    const after = (await sessionRows()).filter((r) => r.key_id === keyId).map((r) => r.id_hash);
    expect(after.length).toBe(SESSIONS_PER_KEY);
    expect(new Set(after)).toEqual(new Set(sids.slice(-SESSIONS_PER_KEY).map((x) => sha256Hex(x))));
    expect(await live(sids[0]!)).toBe(false);
    expect(await live(sids.at(-1)!)).toBe(true);
    expect(await live(other)).toBe(true);
  });
});
