/**
 * @module console/session
 * The console's session cookie and the checks every console request passes: a live
 * session (else back to sign-in), and on every POST the session's CSRF token in the
 * form (else 403). The session resolves to the principal of the key it was opened
 * with, set in the same context variables as the API's key authentication, so
 * `requireRole` and the services see no difference between the two.
 */
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { ForbiddenError } from "../domain/errors.js";
import { hashesEqual, randomSecret, sha256Hex } from "../http/crypto.js";
import type { AppDeps } from "../http/types.js";
import { errorFields } from "../observability/logger.js";
import { resolveConsoleSession, SESSION_ABSOLUTE_MS } from "../services/console-sessions.js";
import type { ConsoleEnv } from "./types.js";

export const SESSION_COOKIE = "fairgate_session";
/** The console's own path: the cookie is never sent to the API or anywhere else. */
export const CONSOLE_PATH = "/console";
/** The form field every console POST must carry. */
export const CSRF_FIELD = "_csrf";

/** A new session id (the cookie value) and the hash that is stored for it. */
export async function newSessionId(): Promise<{ id: string; hash: string }> {
  const id = randomSecret("fgs_");
  return { id, hash: await sha256Hex(id) };
}

/**
 * The session's CSRF token: a hash of the session id under its own label, so it
 * differs from the stored hash and is known only to whoever holds the cookie.
 */
export function csrfTokenOf(sessionId: string): Promise<string> {
  return sha256Hex(`fairgate-console-csrf:${sessionId}`);
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
}

/**
 * The origin the browser sees this console at. On Node and Deno the app serves plain HTTP, so on https it sits
 * behind a TLS-terminating proxy: the request URL says http://host while the browser's pages are https://host
 * (X-Forwarded-Proto, and X-Forwarded-Host where the proxy rewrites Host). Trusting those headers is safe for
 * the purpose this serves (is a POST from the console's own page?): a page on another site cannot set them on
 * the victim's request, and a client that can set headers needs no forged Origin.
 */
export function consoleOrigin(c: Context): string {
  const u = new URL(c.req.url);
  return `${isHttps(c) ? "https:" : u.protocol}//${c.req.header("x-forwarded-host") || u.host}`;
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure on https, scoped to /console. */
export function setSessionCookie(c: Context, id: string): void {
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: "Strict", secure: isHttps(c), path: CONSOLE_PATH, maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000) });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH, secure: isHttps(c), httpOnly: true, sameSite: "Strict" });
}

/** The presented session id, if any (a malformed one is treated as none). */
export function presentedSessionId(c: Context): string | null {
  const v = getCookie(c, SESSION_COOKIE);
  return v && /^fgs_[A-Za-z0-9_-]{43}$/.test(v) ? v : null;
}

function keepAlive(c: Context, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (Node, Deno): the promise runs on its own.
  }
}

/**
 * Requires a live session. Without one a page request goes to sign-in (303): the
 * person simply signs in again; nothing else is revealed.
 */
export function sessionAuth(deps: AppDeps): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const id = presentedSessionId(c);
    const log = c.get("log");
    const s = id ? await resolveConsoleSession(deps, await sha256Hex(id), (e) => log.warn("console session touch failed", errorFields(e))) : null;
    if (!id || !s) {
      if (id) clearSessionCookie(c);
      return c.redirect(`${CONSOLE_PATH}/sign-in`, 303);
    }
    if (s.touched) keepAlive(c, s.touched);
    c.set("principal", s.principal);
    c.set("log", log.child({ tenantId: s.tenant.id, keyId: s.principal.keyId, via: "console" }));
    c.set("tenant", await deps.tenants.get(s.tenant));
    c.set("csrfToken", await csrfTokenOf(id));
    await next();
  };
}

/** Reads a form body (urlencoded or multipart) into plain strings; files are refused. */
export async function formOf(c: Context<ConsoleEnv>): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Every POST must carry the session's CSRF token. Checked before the handler (and so
 * before any role check or service call): a forged post changes nothing.
 */
export const requireCsrfToken: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  if (c.req.method !== "POST") return next();
  const form = await formOf(c);
  const presented = form[CSRF_FIELD] ?? "";
  if (!hashesEqual(presented, c.get("csrfToken"))) throw new ForbiddenError("csrf_token_invalid", "This form is missing its security token or it does not match your session. Reload the page and try again.");
  await next();
};
