/**
 * @module console/layout
 * The page frame every console screen renders into: skip link, the navigation (each
 * link shown only to a person whose roles may read what it leads to), who is signed
 * in, and the CSP every console page is served with. Also the two helpers forms
 * need: the CSRF field and the role test that decides whether a control is shown.
 */
import type { Context } from "hono";
import type { Role } from "../domain/roles.js";
import { tenantOperations as ops } from "../http/openapi/operations-tenant.js";
import { type Html, h } from "./html.js";
import { CSRF_FIELD } from "./session.js";
import type { ConsoleEnv } from "./types.js";

/** Scripts, styles and forms only from the app itself; no framing; SVG inline. */
export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export type NavKey = "flows" | "overrides" | "evaluations" | "audit-log" | "remediations" | "settings";

/** The navigation: label, path, and the API operation whose roles may read the screen. */
const NAV: { key: NavKey; label: string; path: string; roles: readonly Role[] }[] = [
  { key: "flows", label: "Flows", path: "/console/flows", roles: ops.listFlows.roles },
  { key: "overrides", label: "Overrides", path: "/console/overrides", roles: ops.listOverrides.roles },
  { key: "evaluations", label: "Evaluations", path: "/console/evaluations", roles: ops.listEvaluations.roles },
  { key: "audit-log", label: "Audit log", path: "/console/audit-log", roles: ops.listAuditLog.roles },
  { key: "remediations", label: "Remediations", path: "/console/remediations", roles: ops.listRemediations.roles },
  { key: "settings", label: "Settings", path: "/console/settings", roles: ops.putTenantSettings.roles },
];

/** True when the signed-in person holds one of `roles`: the same test `requireRole` applies on the server. */
export function mayUse(c: Context<ConsoleEnv>, roles: readonly Role[]): boolean {
  return c.get("principal").roles.some((r) => roles.includes(r));
}

/** The hidden CSRF field every console form carries. */
export function csrfField(c: Context<ConsoleEnv>): Html {
  return h`<input type="hidden" name="${CSRF_FIELD}" value="${c.get("csrfToken")}">`;
}

export interface PageOptions {
  title: string;
  nav?: NavKey;
  body: Html;
  status?: number;
}

/** A complete console page for the signed-in person. */
export function page(c: Context<ConsoleEnv>, o: PageOptions): Response {
  const p = c.get("principal");
  const links = NAV.filter((n) => mayUse(c, n.roles)).map(
    (n) => h`<li><a href="${n.path}"${n.key === o.nav ? h` aria-current="page"` : ""}>${n.label}</a></li>`,
  );
  const doc = h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${o.title} · Fairgate console</title><link rel="stylesheet" href="/console/assets/console.css"><script src="/console/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/console/flows">Fairgate</a>
<nav aria-label="Console"><ul>${links}<li><a href="/console/sign-out">Sign out</a></li></ul></nav>
<span class="who">${p.principal} · ${p.roles.join(", ")}</span></header>
<main id="main">${o.body}</main></body></html>`;
  return bare(c, doc, o.status ?? 200);
}

/** Serves a rendered document with the console's headers. */
export function bare(c: Context, doc: Html, status = 200): Response {
  return c.html(doc, status as 200, {
    "content-security-policy": CONSOLE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    // Pages show tenant data: never kept by a shared cache or the back-forward cache after sign-out.
    "cache-control": "no-store",
  });
}
