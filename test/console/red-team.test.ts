/**
 * Red team of the operator console over real HTTP (the app on a real port, real libSQL
 * files, the movable clock): session ids (256-bit, only their SHA-256 in the control
 * database file), cookie flags (HttpOnly, SameSite=Strict, Path=/console, Secure on
 * https), idle/absolute expiry, sign-out and key revocation/expiry ending sessions,
 * fixation, other tenants' keys and ids; CSRF on every POST route the console
 * registers (enumerated from the route table), GETs that never mutate, cross-site
 * sign-out / form posts / login CSRF from another site in Chromium; markup in every
 * user-supplied field rendered inert (in Chromium: no dialog, no handler, no script);
 * the response headers; the role matrix of every mutation against the API's; self-
 * approval; store faults as 503 pages without SQL or stack.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import type { Client } from "../../worker/store/sql.js";
import { sha256Hex } from "../../worker/http/crypto.js";
import { csrfTokenOf } from "../../worker/console/session.js";
import { SIGN_IN_LIMIT } from "../../worker/console/sign-in-limit.js";
import type { AppDeps } from "../../worker/http/types.js";
import { tenantOperations as ops } from "../../worker/http/openapi/operations-tenant.js";
import { CHROMIUM, type ConsoleServer, consoleTenant, launchBrowser, postSignIn, startConsoleServer } from "../helpers/console.js";
import { breachingLines, bulk, createFlow, line, PLATINUM_FLOW, policy, type TenantFixture } from "../integration/_support.js";

const HOUR = 3600_000;
const ROLES = ["auditor", "operator", "approver", "publisher", "admin"] as const;
const XSS = `"><img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2;alert(2)</script>`;
const SVG_XSS = `</text><svg onload="window.__xss=3;alert(3)">`;
const JS_URL = "javascript:window.__xss=4;alert(4)//";

/** Every POST route the console registers (a new one fails the CSRF test until it is listed here). */
const CONSOLE_POSTS = [
  "/console/sign-in",
  "/console/flows/:id/publish",
  "/console/flows/:id/versions",
  "/console/overrides",
  "/console/overrides/:id/approve",
  "/console/overrides/:id/reject",
  "/console/overrides/:id/revoke",
  "/console/remediations/:id",
  "/console/settings",
  "/console/settings/dry-run",
];

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("console red team", () => {
  let s: ConsoleServer;
  let browser: Browser;
  let a: TenantFixture;
  let b: TenantFixture;
  let flowA = "";
  let flowB = "";
  let overrideA = "";
  let overrideB = "";
  let remediationA = "";
  let remediationB = "";
  let evaluationA = "";
  let evaluationB = "";
  const fault = { reads: false, writes: false };

  // ---- plain-fetch client with a cookie jar of one session ----
  const url = (p: string) => `${s.baseUrl}${p}`;
  const signIn = (key: string, headers: Record<string, string> = {}) => postSignIn(s.baseUrl, key, headers);
  async function session(key: string): Promise<string> {
    const r = await signIn(key);
    expect(r.res.status).toBe(303);
    return r.sid!;
  }
  const get = (path: string, sid: string | null, headers: Record<string, string> = {}) =>
    fetch(url(path), { redirect: "manual", headers: { ...(sid ? { cookie: `fairgate_session=${sid}` } : {}), ...headers } });
  const post = (path: string, sid: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url(path), {
      method: "POST",
      redirect: "manual",
      headers: { cookie: `fairgate_session=${sid}`, "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields),
    });
  const live = async (sid: string) => (await get("/console/flows", sid)).status === 200;
  const settle = () => new Promise((r) => setTimeout(r, 30));

  /** Everything a console mutation could change in tenant `fx`, read through the API. */
  async function snapshot(fx: TenantFixture) {
    const q = async (path: string) => (await s.api.request("GET", path, { token: fx.keys.auditor })).body;
    const adm = async (path: string) => (await s.api.request("GET", path, { token: fx.keys.admin })).body;
    return JSON.stringify({
      audit: (await q("/api/v1/audit-log?limit=500")).items?.length,
      evaluations: (await q("/api/v1/fairness-evaluations?limit=200")).items?.length,
      overrides: (await q("/api/v1/fairness-overrides")).items?.map((o: any) => [o.id, o.status, o.decisions?.length]),
      flows: (await q("/api/v1/decision-flows")).items?.map((f: any) => [f.id, f.status, f.activeVersion, f.latestVersion ?? f.version]),
      remediations: (await q("/api/v1/remediations")).items?.map((r: any) => [r.id, r.status, r.owner, r.notes]),
      settings: await adm("/api/v1/tenant-settings"),
    });
  }

  beforeAll(async () => {
    const wrap = (c: Client): Client =>
      new Proxy(c, {
        get(target, prop, recv) {
          if (prop === "execute" || prop === "batch")
            return async (...args: unknown[]) => {
              if ((fault.reads && prop === "execute") || fault.writes) throw Object.assign(new Error("SQLITE_IOERR: disk I/O error at SELECT * FROM flows"), { code: "SQLITE_IOERR" });
              return (target as any)[prop](...args);
            };
          const v = Reflect.get(target, prop, recv);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    // This file signs in some 50 times from one client: a sign-in limit above that (the limit is sign-in-limit.test.ts's).
    const signIns = (d: AppDeps): AppDeps => ({ ...d, limits: { ...d.limits, rateLimits: { maxBuckets: 10_000, ...d.limits.rateLimits, limits: { ...d.limits.rateLimits?.limits, [SIGN_IN_LIMIT]: { burst: 1000, perSecond: 100 } } } } });
    [s, browser] = await Promise.all([startConsoleServer({ wrapTenantClient: wrap, wrap: signIns }), launchBrowser()]);
    const nameA = `rt-a-${crypto.randomUUID().slice(0, 8)}`;
    a = await consoleTenant(s, nameA, {
      boss: { principal: `boss@${nameA}.test`, roles: [...ROLES] },
      lead: { principal: `lead@${nameA}.test`, roles: ["admin", "approver"] },
      evil: { principal: XSS, roles: ["admin", "publisher"] },
    });
    b = await consoleTenant(s, `rt-b-${crypto.randomUUID().slice(0, 8)}`);
    for (const fx of [a, b]) expect((await s.api.request("PUT", "/api/v1/tenant-settings", { token: fx.keys.admin, body: policy() })).status).toBe(200);
    // Flow names and group labels carry markup; a blocked publish opens a remediation and stores evidence.
    const created = await s.api.request("POST", "/api/v1/decision-flows", { token: a.keys.publisher, body: { key: "nbo", name: XSS, definition: PLATINUM_FLOW } });
    expect(created.status).toBe(201);
    flowA = created.body.id;
    const lines = [...breachingLines("nbo", 12)];
    for (let i = 0; i < 12; i++) lines.push(line("nbo", XSS, false), line("nbo", SVG_XSS, true));
    expect((await bulk(s.api, a.keys.operator, lines)).status).toBe(201);
    expect((await s.api.request("POST", "/api/v1/decision-flows/publish", { token: a.keys.evil, body: { id: flowA } })).status).toBe(422);
    flowB = await createFlow(s.api, b.keys.publisher, "nbo", PLATINUM_FLOW);
    expect((await bulk(s.api, b.keys.operator, breachingLines("nbo", 12))).status).toBe(201);
    expect((await s.api.request("POST", "/api/v1/decision-flows/publish", { token: b.keys.publisher, body: { id: flowB } })).status).toBe(422);
    const expiresAt = new Date(s.now().getTime() + 30 * 86_400_000).toISOString();
    overrideA = (await s.api.request("POST", "/api/v1/fairness-overrides", { token: a.keys.evil, body: { reason: `Pilot ${XSS}`, expiresAt, flowId: flowA } })).body.id;
    overrideB = (await s.api.request("POST", "/api/v1/fairness-overrides", { token: b.keys.admin, body: { reason: "Pilot approved by the risk committee", expiresAt, flowId: flowB } })).body.id;
    remediationA = (await s.api.request("GET", "/api/v1/remediations", { token: a.keys.auditor })).body.items[0].id;
    remediationB = (await s.api.request("GET", "/api/v1/remediations", { token: b.keys.auditor })).body.items[0].id;
    evaluationA = (await s.api.request("GET", "/api/v1/fairness-evaluations", { token: a.keys.auditor })).body.items[0].id;
    evaluationB = (await s.api.request("GET", "/api/v1/fairness-evaluations", { token: b.keys.auditor })).body.items[0].id;
    expect([overrideA, overrideB, remediationA, remediationB, evaluationA, evaluationB].every(Boolean)).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  describe("sessions", () => {
    it("ids are 256-bit random and distinct; the control database file holds only their SHA-256, never an id or the key", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push(await session(a.keys.auditor));
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) {
        expect(id).toMatch(/^fgs_[A-Za-z0-9_-]{43}$/);
        expect(Buffer.from(id.slice(4), "base64url")).toHaveLength(32);
      }
      // Crude entropy check over all ids: base64url characters spread out (a counter or a timestamp would not).
      expect(new Set(ids.join("").replace(/fgs_/g, "")).size).toBeGreaterThan(50);
      const db = createClient({ url: `file:${join(s.app.dataDir, "control.db")}` });
      try {
        const rows = (await db.execute("SELECT * FROM console_sessions")).rows;
        const dump = JSON.stringify(rows);
        for (const id of ids) {
          expect(dump).not.toContain(id);
          expect(dump).not.toContain(id.slice(4));
          expect(rows.some((r) => r.id_hash === sha256HexSync(id))).toBe(true);
        }
        expect(dump).not.toContain(a.keys.auditor);
        expect(dump).not.toContain(await csrfTokenOf(ids[0]!));
      } finally {
        db.close();
      }
      // Nor in the app's logs (request lines, the sign-in line).
      const logs = s.app.logs.join("\n");
      for (const id of ids) expect(logs).not.toContain(id.slice(4));
      expect(logs).not.toContain(a.keys.auditor);
      // Nor anywhere in the raw database files (main file and WAL).
      for (const f of ["control.db", "control.db-wal"]) {
        const p = join(s.app.dataDir, f);
        if (!existsSync(p)) continue;
        const raw = readFileSync(p).toString("latin1");
        for (const id of ids) expect(raw.includes(id.slice(4)), f).toBe(false);
      }
    });

    it("cookie: HttpOnly, SameSite=Strict, Path=/console; Secure on https (X-Forwarded-Proto) and not on http; sign-out clears it", async () => {
      const plain = await signIn(a.keys.auditor);
      expect(plain.setCookie).toMatch(/^fairgate_session=fgs_[A-Za-z0-9_-]{43};/);
      const attrs = plain.setCookie!.split(";").map((x) => x.trim().toLowerCase());
      expect(attrs).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/console"]));
      expect(attrs).not.toContain("secure");
      expect(attrs.some((x) => x.startsWith("domain="))).toBe(false);
      expect(plain.setCookie).not.toContain(a.keys.auditor);
      // Node serves plain HTTP: on https it sits behind a TLS-terminating proxy, so the app sees http://host while
      // the browser's Origin is https://host. That is the console's own page, not another site.
      const https = s.baseUrl.replace("http:", "https:");
      const tls = await signIn(a.keys.auditor, { "x-forwarded-proto": "https", origin: https });
      expect(tls.res.status).toBe(303);
      expect(tls.setCookie!.split(";").map((x) => x.trim().toLowerCase())).toContain("secure");
      // And the sign-out link of that https page.
      expect((await get("/console/sign-out", tls.sid, { "x-forwarded-proto": "https", "sec-fetch-site": "same-origin" })).headers.get("set-cookie")).toMatch(/Max-Age=0.*Secure|Secure.*Max-Age=0/i);
      // A proxy that rewrites Host names the public one in X-Forwarded-Host.
      expect((await signIn(a.keys.auditor, { "x-forwarded-proto": "https", "x-forwarded-host": "console.example", origin: "https://console.example" })).res.status).toBe(303);
      // Another https origin is still refused, proxy or not.
      expect((await signIn(a.keys.auditor, { "x-forwarded-proto": "https", origin: "https://evil.example", "sec-fetch-site": "cross-site" })).res.status).toBe(403);
      expect((await signIn(a.keys.auditor, { "x-forwarded-proto": "https", origin: "https://evil.example" })).res.status).toBe(403);
      const out = await get("/console/sign-out", plain.sid);
      expect(out.status).toBe(303);
      expect(out.headers.get("set-cookie")).toMatch(/fairgate_session=;.*Max-Age=0/i);
    });

    it("sign-out revokes on the server: the replayed cookie is sent back to sign-in, and its form token no longer posts", async () => {
      const sid = await session(a.keys.admin);
      expect(await live(sid)).toBe(true);
      const token = await csrfTokenOf(sid);
      expect((await get("/console/sign-out", sid)).status).toBe(303);
      const replay = await get("/console/flows", sid);
      expect(replay.status).toBe(303);
      expect(replay.headers.get("location")).toBe("/console/sign-in");
      const before = await snapshot(a);
      const r = await post(`/console/overrides/${overrideA}/revoke`, sid, { _csrf: token });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/console/sign-in");
      expect(await snapshot(a)).toBe(before);
      // Signing out without a session, or twice, is harmless.
      expect((await get("/console/sign-out", sid)).status).toBe(303);
      expect((await get("/console/sign-out", null)).status).toBe(303);
    });

    it("fixation: a cookie set before sign-in (made up, or the attacker's own live session) is never adopted", async () => {
      const planted = `fgs_${"A".repeat(43)}`;
      const r1 = await signIn(a.keys.admin, { cookie: `fairgate_session=${planted}` });
      expect(r1.sid).not.toBe(planted);
      expect(await live(planted)).toBe(false);
      // The attacker signs in with their own key and plants that session in the victim's browser.
      const attacker = await session(b.keys.auditor);
      const victim = await signIn(a.keys.admin, { cookie: `fairgate_session=${attacker}` });
      expect(victim.sid).not.toBe(attacker);
      // The attacker's id does not now act as the victim (it is ended altogether).
      const asAttacker = await get("/console/overrides", attacker);
      expect(asAttacker.status).toBe(303);
      expect(await (await get("/console/overrides", victim.sid)).text()).toContain(overrideA);
    });

    it("malformed, oversized or foreign cookies are no session; a cookie under another name or path is ignored", async () => {
      for (const v of ["", "x", `fgs_${"A".repeat(42)}`, `fgs_${"A".repeat(44)}`, `fgs_${"A".repeat(42)}'`, "fgs_" + "A".repeat(4000), a.keys.admin]) {
        const r = await get("/console/flows", v);
        expect(r.status, v.slice(0, 20)).toBe(303);
        expect(r.headers.get("location")).toBe("/console/sign-in");
      }
      // An API key is never a console credential, as a cookie or a bearer header.
      expect((await get("/console/flows", null, { authorization: `Bearer ${a.keys.admin}` })).status).toBe(303);
    });

    it("a key of another tenant sees none of this tenant's pages or ids, and cannot post to them", async () => {
      const sid = await session(b.keys.admin);
      const bPub = await session(b.keys.publisher);
      const bApp = await session(b.keys.approver);
      for (const p of [`/console/flows/${flowA}`, `/console/flows/${flowA}/publish`, `/console/remediations/${remediationA}`, `/console/evaluations/${evaluationA}/report.html`, `/console/evaluations/${evaluationA}/report.json`, `/console/evaluations/${evaluationA}.json`]) {
        const r = await get(p, p.includes("remediations") || p.includes("flows") ? bPub : sid);
        expect(r.status, p).toBe(404);
        expect(await r.text()).not.toContain(a.name);
      }
      for (const p of ["/console/flows", "/console/overrides", "/console/evaluations", "/console/audit-log", "/console/remediations", "/console/settings"]) {
        const t = await (await get(p, sid)).text();
        for (const id of [flowA, overrideA, remediationA, evaluationA, a.id]) expect(t, `${p} ${id}`).not.toContain(id);
      }
      const before = await snapshot(a);
      const cases: [string, string, Record<string, string>][] = [
        [bPub, `/console/flows/${flowA}/publish`, {}],
        [bPub, `/console/flows/${flowA}/versions`, { definition: JSON.stringify(PLATINUM_FLOW) }],
        [bPub, `/console/remediations/${remediationA}`, { owner: "mallory", status: "in_progress" }],
        [bApp, `/console/overrides/${overrideA}/approve`, {}],
        [bApp, `/console/overrides/${overrideA}/reject`, { reason: "not yours to reject" }],
        [sid, `/console/overrides/${overrideA}/revoke`, { reason: "not yours" }],
      ];
      for (const [who, path, fields] of cases) {
        const r = await post(path, who, { _csrf: await csrfTokenOf(who), ...fields });
        expect(r.status, path).toBe(404);
      }
      expect(await snapshot(a)).toBe(before);
    });
  });

  describe("CSRF", () => {
    it("the route table has exactly the POST routes tested here, and no PUT/PATCH/DELETE under /console", () => {
      const posts = [...new Set(s.app.routes.filter((r) => r.method === "POST" && r.path.startsWith("/console")).map((r) => r.path))].sort();
      expect(posts).toEqual([...CONSOLE_POSTS].sort());
      expect(s.app.routes.filter((r) => r.path.startsWith("/console") && ["PUT", "PATCH", "DELETE"].includes(r.method))).toEqual([]);
    });

    it("every state-changing route refuses a missing, wrong, other-session or misplaced token with 403 and changes nothing", async () => {
      const boss = await session(a.keys.boss!);
      const other = await session(a.keys.boss!); // the same person's other session
      const own = await csrfTokenOf(boss);
      // The token the pages carry is the one the server derives (and it differs per session).
      const page = await (await get(`/console/flows/${flowA}/publish`, boss)).text();
      expect(page).toContain(`name="_csrf" value="${own}"`);
      expect(await csrfTokenOf(other)).not.toBe(own);
      const good: Record<string, Record<string, string>> = {
        [`/console/flows/${flowA}/publish`]: {},
        [`/console/flows/${flowA}/versions`]: { definition: JSON.stringify(PLATINUM_FLOW) },
        "/console/overrides": { reason: "Forged request from another site", expiresAt: new Date(s.now().getTime() + 86_400_000).toISOString().slice(0, 16) },
        [`/console/overrides/${overrideA}/approve`]: {},
        [`/console/overrides/${overrideA}/reject`]: { reason: "forged rejection" },
        [`/console/overrides/${overrideA}/revoke`]: { reason: "forged revocation" },
        [`/console/remediations/${remediationA}`]: { owner: "mallory", status: "in_progress" },
        "/console/settings": { policy: JSON.stringify(policy({ enabled: false }).fairnessPolicy) },
        "/console/settings/dry-run": { policy: JSON.stringify(policy().fairnessPolicy) },
      };
      expect(Object.keys(good).map((p) => p.replace(flowA, ":id").replace(overrideA, ":id").replace(remediationA, ":id")).sort()).toEqual(CONSOLE_POSTS.filter((p) => p !== "/console/sign-in").sort());
      const before = await snapshot(a);
      const bad: [string, () => Promise<Response>][] = [];
      for (const [path, fields] of Object.entries(good)) {
        bad.push(
          [`${path} no token`, () => post(path, boss, fields)],
          [`${path} empty token`, () => post(path, boss, { ...fields, _csrf: "" })],
          [`${path} wrong token`, () => post(path, boss, { ...fields, _csrf: "0".repeat(64) })],
          [`${path} other session's token`, async () => post(path, boss, { ...fields, _csrf: await csrfTokenOf(other) })],
          [`${path} token in the query`, () => post(`${path}?_csrf=${own}`, boss, fields)],
          [`${path} token in a header`, () => post(path, boss, fields, { "x-csrf-token": own, "x-requested-with": "XMLHttpRequest" })],
          [`${path} session hash as token`, async () => post(path, boss, { ...fields, _csrf: await sha256Hex(boss) })],
          [`${path} json body`, () => fetch(url(path), { method: "POST", redirect: "manual", headers: { cookie: `fairgate_session=${boss}`, "content-type": "application/json" }, body: JSON.stringify({ ...fields, _csrf: own }) })],
        );
      }
      for (const [label, send] of bad) {
        const r = await send();
        expect(r.status, label).toBe(403);
        expect(await r.text(), label).toContain("csrf_token_invalid");
      }
      expect(await snapshot(a)).toBe(before);
      // Control: with its own token the same post goes through (so the 403s were the token).
      const ok = await post(`/console/remediations/${remediationA}`, boss, { ...good[`/console/remediations/${remediationA}`], _csrf: own });
      expect(ok.status).toBe(303);
      expect(await snapshot(a)).not.toBe(before);
    });

    it("no GET (or HEAD) under /console changes anything: every page, report and download, for a person holding every role", async () => {
      const boss = await session(a.keys.boss!);
      const gets = [...new Set(s.app.routes.filter((r) => r.method === "GET" && r.path.startsWith("/console")).map((r) => r.path))];
      const concrete = gets
        .filter((p) => p !== "/console/sign-out" && !p.includes("*"))
        .map((p) =>
          p
            .replace("/console/flows/:id", `/console/flows/${flowA}`)
            .replace("/console/remediations/:id", `/console/remediations/${remediationA}`)
            .replace("/console/evaluations/:id", `/console/evaluations/${evaluationA}`)
            .replace(/\/console\/evaluations\/:file\{.*\}$/, `/console/evaluations/${evaluationA}.json`),
        );
      expect(concrete.every((p) => !p.includes(":")), concrete.join(" ")).toBe(true);
      const before = await snapshot(a);
      for (const p of concrete) {
        for (const method of ["GET", "HEAD"]) {
          const r = await fetch(url(p), { method, redirect: "manual", headers: { cookie: `fairgate_session=${boss}` } });
          // No PDF renderer in this app: report.pdf is the API's 501 pdf_unavailable (which changes nothing either).
          if (p.endsWith("/report.pdf")) expect(r.status, `${method} ${p}`).toBe(501);
          else expect(r.status, `${method} ${p}`).toBeLessThan(400);
        }
        // A GET carrying what a mutation would need does not act on it.
        await get(`${p}?_csrf=${await csrfTokenOf(boss)}&reason=forged&policy=%7B%7D&owner=x`, boss);
      }
      // PUT/PATCH/DELETE to the mutating paths are unknown pages, not mutations.
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const r = await fetch(url(`/console/remediations/${remediationA}`), { method, redirect: "manual", headers: { cookie: `fairgate_session=${boss}`, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ _csrf: await csrfTokenOf(boss), owner: "mallory" }) });
        expect(r.status, method).toBe(404);
      }
      expect(await snapshot(a)).toBe(before);
    });

    it("sign-out acts only on a request that carries the session from the console itself: otherwise it deletes no cookie and ends nothing", async () => {
      const sid = await session(a.keys.auditor);
      // What a cross-site navigation looks like: the Strict cookie is not sent.
      const bare = await get("/console/sign-out", null, { "sec-fetch-site": "cross-site" });
      expect(bare.status).toBe(303);
      expect(bare.headers.get("set-cookie")).toBeNull();
      // A sibling subdomain is same-site (the cookie is sent) but not the console's origin.
      const sibling = await get("/console/sign-out", sid, { "sec-fetch-site": "same-site" });
      expect(sibling.status).toBe(303);
      expect(sibling.headers.get("set-cookie")).toBeNull();
      expect(await live(sid)).toBe(true);
      // The console's own link (same-origin), and a typed URL or bookmark (none), sign out.
      const own = await get("/console/sign-out", sid, { "sec-fetch-site": "same-origin" });
      expect(own.headers.get("set-cookie")).toMatch(/fairgate_session=;.*Max-Age=0/i);
      expect(await live(sid)).toBe(false);
      const typed = await session(a.keys.auditor);
      expect((await get("/console/sign-out", typed, { "sec-fetch-site": "none" })).headers.get("set-cookie")).toMatch(/Max-Age=0/i);
      expect(await live(typed)).toBe(false);
    });

    it("sign-in POST refuses cross-site and same-site-but-cross-origin posts (login CSRF): 403 and no cookie", async () => {
      const cases: Record<string, string>[] = [
        { origin: "https://evil.example" },
        { origin: "null" },
        { origin: s.baseUrl.replace("127.0.0.1", "localhost") },
        { "sec-fetch-site": "cross-site" },
        { "sec-fetch-site": "same-site" },
        { "sec-fetch-site": "same-origin", origin: "https://evil.example" },
      ];
      for (const h of cases) {
        const res = await fetch(url("/console/sign-in"), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...h }, body: new URLSearchParams({ apiKey: b.keys.admin }) });
        expect(res.status, JSON.stringify(h)).toBe(403);
        expect(res.headers.get("set-cookie"), JSON.stringify(h)).toBeNull();
        expect(await res.text()).toContain("cross_site_sign_in");
      }
      // A bad key: 401, no cookie, the key not echoed.
      const wrong = await signIn("fg_not-a-real-key-<script>");
      expect(wrong.res.status).toBe(401);
      expect(wrong.setCookie).toBeNull();
      expect(await wrong.res.text()).not.toContain("<script>");
    });

    it("in Chromium, a page on another site can neither sign the person out (a link), nor post a form as them, nor sign them in as someone else", async () => {
      // http://localhost:<port> is another site than http://127.0.0.1:<app port>.
      let attackerUrl = "";
      const evil: Server = createServer((req, res) => {
        const target = req.url?.slice(1) ?? "";
        const bodies: Record<string, string> = {
          link: `<a id="go" href="${s.baseUrl}/console/sign-out">win a prize</a>`,
          post: `<form id="f" method="post" action="${s.baseUrl}/console/overrides/${overrideA}/revoke"><input name="reason" value="cross-site"><input name="_csrf" value="guess"></form><script>document.getElementById("f").submit()</script>`,
          login: `<form id="f" method="post" action="${s.baseUrl}/console/sign-in"><input name="apiKey" value="${b.keys.auditor}"></form><script>document.getElementById("f").submit()</script>`,
          frame: `<iframe id="fr" src="${s.baseUrl}/console/flows"></iframe>`,
        };
        res.writeHead(200, { "content-type": "text/html" });
        res.end(`<!doctype html><html><body>${bodies[target] ?? ""}</body></html>`);
      });
      await new Promise<void>((ok) => evil.listen(0, "127.0.0.1", () => ok()));
      attackerUrl = `http://localhost:${(evil.address() as AddressInfo).port}`;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(`${s.baseUrl}/console/sign-in`);
        await page.getByLabel("API key").fill(a.keys.admin);
        await Promise.all([page.waitForURL("**/console/flows"), page.getByRole("button", { name: "Sign in" }).click()]);
        const [cookie] = await context.cookies(`${s.baseUrl}/console/`);
        const sid = cookie!.value;
        const before = await snapshot(a);

        await page.goto(`${attackerUrl}/link`);
        await Promise.all([page.waitForURL("**/console/**"), page.click("#go")]);
        // The cross-site navigation arrived without the Strict cookie: the session is still live on the server,
        // and the browser still holds its cookie (an answer to a request without it must not delete it).
        expect(await live(sid)).toBe(true);
        expect((await context.cookies(`${s.baseUrl}/console/`)).map((c) => c.value)).toEqual([sid]);

        const [postRes] = await Promise.all([page.waitForResponse((r) => r.url().includes("/revoke")), page.goto(`${attackerUrl}/post`)]);
        expect(postRes.status()).toBe(303); // no cookie, so sent to sign-in; never reaches the CSRF check
        expect(await live(sid)).toBe(true);

        const [loginRes] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/console/sign-in") && r.request().method() === "POST"), page.goto(`${attackerUrl}/login`)]);
        expect(loginRes.status()).toBe(403);
        const after = await context.cookies(`${s.baseUrl}/console/`);
        expect(after.map((c) => c.value)).toEqual([sid]);

        // The console refuses to be framed (frame-ancestors 'none').
        await page.goto(`${attackerUrl}/frame`);
        const frameUrl = await page.frames()[1]?.evaluate(() => location.href).catch(() => "blocked");
        expect(frameUrl === undefined || frameUrl === "blocked" || !String(frameUrl).includes("/console/")).toBe(true);
        expect(await snapshot(a)).toBe(before);
        // Still signed in, in the browser itself.
        await page.goto(`${s.baseUrl}/console/flows`);
        expect(page.url()).toMatch(/\/console\/flows$/);
      } finally {
        await context.close();
        await new Promise<void>((ok) => evil.close(() => ok()));
      }
    });
  });

  describe("injection and headers", () => {
    it("markup in names, reasons, owners, notes, principals, group labels and policy errors is inert in Chromium on every screen", async () => {
      const evil = await session(a.keys.evil!);
      const tok = await csrfTokenOf(evil);
      // Remediation owner and notes, and a javascript: URL.
      expect((await post(`/console/remediations/${remediationA}`, evil, { _csrf: tok, owner: JS_URL, notes: `${XSS}\n${SVG_XSS}`, status: "in_progress" })).status).toBe(303);
      // A second override, revoked with a reason carrying markup (the audit log shows reasons).
      const expiresAt = new Date(s.now().getTime() + 86_400_000).toISOString().slice(0, 16);
      expect((await post("/console/overrides", evil, { _csrf: tok, reason: `Exception ${SVG_XSS}`, expiresAt })).status).toBe(303);
      const ov = (await s.api.request("GET", "/api/v1/fairness-overrides", { token: a.keys.auditor })).body.items.find((o: any) => o.reason.startsWith("Exception"));
      expect((await post(`/console/overrides/${ov.id}/revoke`, evil, { _csrf: tok, reason: XSS })).status).toBe(303);
      // Policy JSON: an unknown key with markup, and invalid JSON with markup, both echoed in the errors.
      const polBad = await post("/console/settings", evil, { _csrf: tok, policy: JSON.stringify({ ...policy().fairnessPolicy, [XSS]: 1 }) });
      expect(polBad.status).toBe(400);
      const polText = await polBad.text();
      expect(polText).not.toContain("<img src=x");
      expect(polText).toContain("&lt;img src=x");
      const jsonBad = await post("/console/settings/dry-run", evil, { _csrf: tok, policy: `{"a": <script>alert(1)</script>` });
      expect(jsonBad.status).toBe(400);
      expect(await jsonBad.text()).not.toMatch(/<script>alert/);
      // A flow key with markup is refused by the API's own schema.
      expect((await s.api.request("POST", "/api/v1/decision-flows", { token: a.keys.publisher, body: { key: "<b>x", name: "x", definition: PLATINUM_FLOW } })).status).toBe(400);

      const pages = [
        "/console/flows",
        `/console/flows/${flowA}`,
        `/console/flows/${flowA}/publish`,
        "/console/overrides",
        "/console/evaluations",
        `/console/evaluations/${evaluationA}/report.html`,
        "/console/audit-log",
        `/console/audit-log?actor=${encodeURIComponent(XSS)}`,
        "/console/remediations",
        `/console/remediations/${remediationA}`,
        "/console/settings",
        `/console/no-such-page-${encodeURIComponent(XSS)}`,
      ];
      // The raw HTML never carries the payload unescaped.
      for (const p of pages) {
        const t = await (await get(p, evil)).text();
        for (const needle of ["<img src=x", "<script>window", "<svg onload", `href="javascript:`]) expect(t.includes(needle), `${p}: ${needle}`).toBe(false);
      }
      const context = await browser.newContext({ baseURL: s.baseUrl });
      try {
        await context.addCookies([{ name: "fairgate_session", value: evil, url: s.baseUrl }]);
        const page = await context.newPage();
        const dialogs: string[] = [];
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        const cspViolations: string[] = [];
        await page.exposeFunction("__cspViolation", (v: string) => cspViolations.push(v));
        await page.addInitScript(() => document.addEventListener("securitypolicyviolation", (e) => (window as any).__cspViolation(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`)));
        let sawPayloadText = 0;
        for (const p of pages) {
          await page.goto(p);
          await page.waitForTimeout(20);
          const probe = await page.evaluate(() => ({
            xss: (window as any).__xss ?? null,
            handlers: document.querySelectorAll("[onerror],[onload],[onclick]").length,
            inlineScripts: Array.from(document.querySelectorAll("script")).filter((x) => !x.src).length,
            jsLinks: Array.from(document.querySelectorAll("a[href],form[action]")).filter((x) => /^\s*javascript:/i.test(x.getAttribute("href") ?? x.getAttribute("action") ?? "")).length,
            imgs: document.querySelectorAll('img[src="x"]').length,
            text: document.body?.innerText ?? "",
          }));
          expect(probe, p).toMatchObject({ xss: null, handlers: 0, inlineScripts: 0, jsLinks: 0, imgs: 0 });
          if (probe.text.includes("onerror=")) sawPayloadText++;
        }
        expect(dialogs).toEqual([]);
        // The payloads were on the pages, as text (principal, flow name, reasons, groups, notes).
        expect(sawPayloadText).toBeGreaterThanOrEqual(8);
        expect(cspViolations).toEqual([]);
      } finally {
        await context.close();
      }
    });

    it("headers: a strict CSP (no inline script, frame-ancestors 'none'), nosniff, Referrer-Policy, no-store on every page, error and sign-in page", async () => {
      const sid = await session(a.keys.boss!);
      const paths: [string, string | null][] = [
        ["/console/sign-in", null],
        ["/console/flows?status=bogus", sid],
        ["/console/no-such-page", sid],
        ["/console/flows", sid],
        [`/console/flows/${flowA}`, sid],
        [`/console/flows/${flowA}/publish`, sid],
        ["/console/overrides", sid],
        ["/console/evaluations", sid],
        ["/console/audit-log", sid],
        ["/console/audit-log/verify", sid],
        ["/console/remediations", sid],
        [`/console/remediations/${remediationA}`, sid],
        ["/console/settings", sid],
      ];
      for (const [p, who] of paths) {
        const r = await get(p, who);
        const csp = r.headers.get("content-security-policy") ?? "";
        expect(csp, p).toMatch(/script-src 'self'(;|$)/);
        expect(csp, p).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
        expect(csp, p).toContain("frame-ancestors 'none'");
        expect(csp, p).toContain("base-uri 'none'");
        expect(csp, p).toContain("form-action 'self'");
        expect(r.headers.get("x-content-type-options"), p).toBe("nosniff");
        expect(r.headers.get("referrer-policy"), p).toMatch(/^(same-origin|no-referrer|strict-origin)/);
        expect(r.headers.get("cache-control"), p).toContain("no-store");
        expect(r.headers.get("content-type"), p).toMatch(/^text\/html; charset=utf-8/i);
      }
      // A POST's rendered answer (a blocked publish) carries them too.
      const blocked = await post(`/console/flows/${flowA}/publish`, sid, { _csrf: await csrfTokenOf(sid) });
      expect(blocked.status).toBe(422);
      expect(blocked.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(blocked.headers.get("cache-control")).toContain("no-store");
      // Downloads: no-store and nosniff, served as attachments.
      for (const p of [`/console/evaluations/${evaluationA}/report.json`, `/console/evaluations/${evaluationA}.json`]) {
        const r = await get(p, sid);
        expect(r.headers.get("cache-control"), p).toContain("no-store");
        expect(r.headers.get("x-content-type-options"), p).toBe("nosniff");
        expect(r.headers.get("content-disposition"), p).toMatch(/^attachment/);
      }
      // The report page: no script at all, nothing fetched, no-store.
      const rep = await get(`/console/evaluations/${evaluationA}/report.html`, sid);
      expect(rep.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
      expect(rep.headers.get("cache-control")).toContain("no-store");
      // The 401 and 403 sign-in answers too.
      const bad = await signIn("fg_nope");
      expect(bad.res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(bad.res.headers.get("cache-control")).toContain("no-store");
    });
  });

  describe("authorization", () => {
    it("every console mutation is refused to exactly the roles the API refuses (403 missing_role), before any change", async () => {
      const none = "01NOSUCHID00000000000000";
      const routes: { console: string; fields: Record<string, string>; op: keyof typeof ops; api: [string, string, unknown?] }[] = [
        { console: `/console/flows/${none}/publish`, fields: {}, op: "publishFlow", api: ["POST", "/api/v1/decision-flows/publish", { id: none }] },
        { console: `/console/flows/${none}/versions`, fields: { definition: "" }, op: "editFlow", api: ["PUT", `/api/v1/decision-flows/${none}`, {}] },
        { console: "/console/overrides", fields: {}, op: "requestOverride", api: ["POST", "/api/v1/fairness-overrides", {}] },
        { console: `/console/overrides/${none}/approve`, fields: {}, op: "approveOverride", api: ["POST", `/api/v1/fairness-overrides/${none}/approve`, {}] },
        { console: `/console/overrides/${none}/reject`, fields: { reason: "no" }, op: "rejectOverride", api: ["POST", `/api/v1/fairness-overrides/${none}/reject`, { reason: "no" }] },
        { console: `/console/overrides/${none}/revoke`, fields: {}, op: "revokeOverride", api: ["POST", `/api/v1/fairness-overrides/${none}/revoke`, {}] },
        { console: `/console/remediations/${none}`, fields: {}, op: "updateRemediation", api: ["PATCH", `/api/v1/remediations/${none}`, {}] },
        { console: "/console/settings", fields: { policy: "" }, op: "putTenantSettings", api: ["PUT", "/api/v1/tenant-settings", {}] },
        { console: "/console/settings/dry-run", fields: { policy: "" }, op: "putTenantSettings", api: ["PUT", "/api/v1/tenant-settings", {}] },
      ];
      const sids = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await session(a.keys[r]!)] as const)));
      const before = await snapshot(a);
      const mismatches: string[] = [];
      for (const rt of routes)
        for (const role of ROLES) {
          const c = await post(rt.console, sids[role]!, { _csrf: await csrfTokenOf(sids[role]!), ...rt.fields });
          const text = await c.text();
          const apiRes = await s.api.request(rt.api[0], rt.api[1], { token: a.keys[role], body: rt.api[2] });
          const declared = (ops[rt.op].roles as readonly string[]).includes(role);
          const consoleRefused = c.status === 403 && text.includes("missing_role");
          const apiRefused = apiRes.status === 403 && apiRes.body?.code === "missing_role";
          if (consoleRefused !== !declared || apiRefused !== consoleRefused) mismatches.push(`${role} ${rt.console}: console ${c.status}, api ${apiRes.status}, declared ${declared}`);
          expect(text).not.toMatch(/SQLITE|\bat .+:\d+:\d+/);
        }
      expect(mismatches).toEqual([]);
      expect(await snapshot(a)).toBe(before);
    });

    it("self-approval and self-rejection are refused by the server (403) even when forced; the override stays pending", async () => {
      const lead = await session(a.keys.lead!);
      const tok = await csrfTokenOf(lead);
      const expiresAt = new Date(s.now().getTime() + 86_400_000).toISOString().slice(0, 16);
      const r = await post("/console/overrides", lead, { _csrf: tok, reason: "My own exception, approve it myself", expiresAt });
      expect(r.status).toBe(303);
      const id = /#o-(.+)$/.exec(r.headers.get("location") ?? "")![1]!;
      // Not offered on the page…
      const pageText = await (await get("/console/overrides", lead)).text();
      const row = pageText.slice(pageText.indexOf(`data-override="${id}"`), pageText.indexOf("</tr>", pageText.indexOf(`data-override="${id}"`)));
      expect(row).not.toContain(`/overrides/${id}/approve`);
      // …and refused when forced.
      for (const action of ["approve", "reject"]) {
        const f = await post(`/console/overrides/${id}/${action}`, lead, { _csrf: tok, reason: "deciding my own request" });
        expect(f.status, action).toBe(403);
      }
      expect((await s.api.request("GET", `/api/v1/fairness-overrides/${id}`, { token: a.keys.auditor })).body.status).toBe("pending");
    });
  });

  describe("errors", () => {
    it("a store fault is a 503 page (reads and writes) with nothing changed and neither SQL nor a stack; bad input is a plain 400", async () => {
      const sid = await session(a.keys.boss!);
      const tok = await csrfTokenOf(sid);
      const before = await snapshot(a);
      const check = async (r: Response, what: string) => {
        const t = await r.text();
        expect(r.status, what).toBe(503);
        expect(t, what).not.toMatch(/SQLITE|SELECT|INSERT|disk I\/O|\bat .+:\d+:\d+|node_modules|\.ts\b/);
        expect(r.headers.get("content-type"), what).toMatch(/^text\/html/);
      };
      fault.reads = true;
      try {
        for (const p of ["/console/flows", "/console/overrides", `/console/flows/${flowA}`, "/console/audit-log", "/console/settings"]) await check(await get(p, sid), p);
      } finally {
        fault.reads = false;
      }
      fault.writes = true;
      try {
        await check(await post(`/console/remediations/${remediationA}`, sid, { _csrf: tok, owner: "during the fault" }), "remediation write");
        await check(await post(`/console/overrides/${overrideA}/revoke`, sid, { _csrf: tok }), "revoke");
      } finally {
        fault.writes = false;
      }
      expect(await snapshot(a)).toBe(before);
      for (const p of ["/console/audit-log?from=not-a-date", "/console/evaluations?beforeAt=%27%20OR%201%3D1--", "/console/remediations?status=%27;DROP%20TABLE"]) {
        const r = await get(p, sid);
        expect(r.status, p).toBe(400);
        expect(await r.text(), p).not.toMatch(/SQLITE|SELECT|\bat .+:\d+:\d+/);
      }
    });
  });

  // Last: these move the shared clock by many hours.
  describe("expiry on the app's clock", () => {
    it("idle 8 h and absolute 12 h, and a key's revocation or expiry ends its sessions", async () => {
      const idle = await session(a.keys.auditor);
      const busy = await session(a.keys.auditor);
      const revoked = await session(a.keys.operator);
      const exp = await s.api.request("POST", `/api/v1/admin/tenants/${a.id}/api-keys`, { token: s.app.adminToken, body: { principal: "temp@a.test", roles: ["auditor"], expiresAt: new Date(s.now().getTime() + 5 * HOUR).toISOString() } });
      expect(exp.status).toBe(201);
      const expiring = await session(exp.body.key);
      // A rotated key's sessions last as long as its grace period (4 h), not longer.
      const rot = await s.api.request("POST", `/api/v1/admin/tenants/${a.id}/api-keys`, { token: s.app.adminToken, body: { principal: "rot@a.test", roles: ["auditor"] } });
      const rotated = await session(rot.body.key);
      expect((await s.api.request("POST", `/api/v1/admin/tenants/${a.id}/api-keys/${rot.body.id}/rotate`, { token: s.app.adminToken, body: { graceSeconds: 4 * 3600 } })).status).toBeLessThan(300);
      expect(await live(rotated)).toBe(true);

      expect((await s.api.request("DELETE", `/api/v1/admin/tenants/${a.id}/api-keys/${a.keyIds.operator}`, { token: s.app.adminToken })).status).toBe(200);
      expect(await live(revoked)).toBe(false);

      s.advance(3 * HOUR);
      expect(await live(busy)).toBe(true);
      await settle();
      expect(await live(rotated)).toBe(true);
      s.advance(HOUR + 60_000); // 4 h 1 min: the rotation's grace is over
      expect(await live(rotated)).toBe(false);
      await settle();
      s.advance(HOUR); // 5 h 1 min: the temporary key expired
      expect(await live(expiring)).toBe(false);
      expect(await live(busy)).toBe(true);
      await settle();
      s.advance(3 * HOUR - 2 * 60_000); // 7 h 59 min: the idle one is still in
      expect(await live(idle)).toBe(true);
      await settle();
      s.advance(3 * HOUR); // 10 h 59 min
      expect(await live(busy)).toBe(true);
      await settle();
      s.advance(HOUR - 2 * 60_000); // 11 h 57 min: busy still in; idle seen 3 h 58 min ago
      expect(await live(busy)).toBe(true);
      await settle();
      s.advance(4 * 60_000); // 12 h 1 min: absolute expiry however busy
      const gone = await get("/console/flows", busy);
      expect(gone.status).toBe(303);
      expect(gone.headers.get("location")).toBe("/console/sign-in");
      expect(gone.headers.get("set-cookie")).toMatch(/fairgate_session=;.*Max-Age=0/i);
      // idle, last seen at 7 h 59 min, is past 12 h absolute too; a fresh one expires after 8 h without use.
      const fresh = await session(a.keys.auditor);
      s.advance(8 * HOUR - 60_000);
      expect(await live(fresh)).toBe(true);
      await settle();
      s.advance(8 * HOUR + 60_000);
      expect(await live(fresh)).toBe(false);
    });
  });
});

function sha256HexSync(v: string): string {
  return createHash("sha256").update(v).digest("hex");
}
