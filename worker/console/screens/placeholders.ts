/**
 * @module console/screens/placeholders
 * Screens 5–8 (Evaluations, Audit log, Remediations, Settings) until they are built:
 * each answers with the same roles its API counterpart requires and says so. Replace
 * an entry by registering the real screen in screens/index.ts and deleting it here.
 */
import type { Role } from "../../domain/roles.js";
import { requireRole } from "../../http/auth.js";
import { tenantOperations as ops } from "../../http/openapi/operations-tenant.js";
import { h } from "../html.js";
import { type NavKey, page } from "../layout.js";
import type { ConsoleApp } from "../types.js";

const PLACEHOLDERS: { path: string; title: string; nav: NavKey; roles: readonly Role[] }[] = [
  { path: "/evaluations", title: "Evaluations", nav: "evaluations", roles: ops.listEvaluations.roles },
  { path: "/audit-log", title: "Audit log", nav: "audit-log", roles: ops.listAuditLog.roles },
  { path: "/remediations", title: "Remediations", nav: "remediations", roles: ops.listRemediations.roles },
  { path: "/settings", title: "Settings", nav: "settings", roles: ops.putTenantSettings.roles },
];

export function registerPlaceholderScreens(app: ConsoleApp, only: readonly string[] = PLACEHOLDERS.map((p) => p.path)): void {
  for (const p of PLACEHOLDERS.filter((x) => only.includes(x.path)))
    app.get(p.path, requireRole(...p.roles), (c) => page(c, { title: p.title, nav: p.nav, body: h`<h1>${p.title}</h1><p>This screen is not built yet.</p>` }));
}
