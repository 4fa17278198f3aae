/**
 * @module console/screens/sign-in
 * Sign-in and sign-out. The person pastes an API key once; it is exchanged for a
 * session (services/console-sessions) and forgotten: the key is not put in the
 * cookie, the page or any browser storage. The sign-in form has no session to carry
 * a CSRF token, so its POST is accepted only from the console's own origin
 * (Origin / Sec-Fetch-Site), which a cross-site form cannot fake. Sign-ins are rate
 * limited per client address (console/sign-in-limit): beyond it, a 429 page with Retry-After.
 */
import type { Context } from "hono";
import { ForbiddenError } from "../../domain/errors.js";
import { sha256Hex } from "../../http/crypto.js";
import type { AppDeps } from "../../http/types.js";
import { errorFields } from "../../observability/logger.js";
import { endConsoleSession, startConsoleSession } from "../../services/console-sessions.js";
import { type Html, h } from "../html.js";
import { bare } from "../layout.js";
import { clearSessionCookie, consoleOrigin, formOf, newSessionId, presentedSessionId, setSessionCookie } from "../session.js";
import { createSignInLimiter } from "../sign-in-limit.js";
import type { ConsoleApp, ConsoleEnv } from "../types.js";

function signInPage(c: Context, message: Html | null, status = 200): Response {
  return bare(
    c,
    h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · Fairgate console</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body><main id="main" class="sign-in"><h1>Fairgate console</h1>
<p>Sign in with your API key. It is exchanged for a session of at most 12 hours (8 hours without use) and is not kept in this browser.</p>
${message}
<form method="post" action="/console/sign-in" autocomplete="off">
<label for="api-key">API key</label>
<input id="api-key" name="apiKey" type="password" required autocomplete="off" spellcheck="false" autofocus>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>`,
    status,
  );
}

/** The request comes from a page of this console (or from a client that sends neither header, such as curl). */
function sameOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = c.req.header("origin");
  return !origin || origin === new URL(c.req.url).origin || origin === consoleOrigin(c);
}

/** Registers GET/POST /sign-in and GET /sign-out (before the session check: they work without one). */
export function registerSignIn(app: ConsoleApp, deps: AppDeps): void {
  const takeSignIn = createSignInLimiter(deps);
  app.get("/sign-in", (c) => signInPage(c, null));

  app.post("/sign-in", async (c) => {
    if (!sameOrigin(c)) throw new ForbiddenError("cross_site_sign_in", "Sign-in is accepted only from the console's own page.");
    // After the origin check: a cross-site page cannot spend the person's own allowance by posting from their browser.
    const allowed = takeSignIn(c);
    if (!allowed.ok) {
      c.get("log").info("rate limited", { limit: "console-sign-in", retryAfterSeconds: allowed.retryAfterSeconds });
      c.header("retry-after", String(allowed.retryAfterSeconds));
      return signInPage(c, h`<div class="notice error" role="alert"><p>Too many sign-in attempts from this address. Try again in ${allowed.retryAfterSeconds} s.</p></div>`, 429);
    }
    const key = (await formOf(c as Context<ConsoleEnv>)).apiKey?.trim() ?? "";
    if (!key) return signInPage(c, h`<div class="notice error" role="alert"><p>Paste your API key.</p></div>`, 400);
    const log = c.get("log");
    const { id, hash } = await newSessionId();
    const started = await startConsoleSession(deps, await sha256Hex(key), hash, (e) => log.warn("api key last-use update failed", errorFields(e)));
    if (!started) return signInPage(c, h`<div class="notice error" role="alert"><p>That API key is not valid (unknown, revoked or expired).</p></div>`, 401);
    // A session this browser already held ends here: one sign-in, one live session per browser.
    const previous = presentedSessionId(c);
    if (previous) await endConsoleSession(deps, await sha256Hex(previous));
    setSessionCookie(c, id);
    log.info("console sign-in", { tenantId: started.principal.tenantId, keyId: started.principal.keyId });
    return c.redirect("/console/flows", 303);
  });

  // A link, so it sits in the navigation. Safe as a GET only because it acts on nothing but a request that
  // carries the session from the console itself: a link from another site arrives without the SameSite=Strict
  // cookie, and answering it with a deleting Set-Cookie would still sign the person out in their browser (the
  // browser applies it to a top-level navigation); a same-site page on another origin (a sibling subdomain)
  // does send the cookie, and is refused by Sec-Fetch-Site.
  app.get("/sign-out", async (c) => {
    const id = presentedSessionId(c);
    if (!id) return c.redirect("/console/sign-in", 303);
    if (!sameOrigin(c)) return c.redirect("/console/flows", 303);
    await endConsoleSession(deps, await sha256Hex(id));
    clearSessionCookie(c);
    return c.redirect("/console/sign-in", 303);
  });
}
