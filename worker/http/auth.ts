/**
 * @module http/auth
 * Authentication (platform token; tenant API keys), role checks and the CSRF
 * header. A key resolves to exactly one tenant and one principal; everything
 * downstream is scoped to that tenant's store, so other tenants' ids are simply
 * not found.
 */
import type { MiddlewareHandler } from "hono";
import { AppError, ForbiddenError } from "../domain/errors.js";
import type { Role } from "../domain/roles.js";
import type { Actor } from "../services/context.js";
import { sha256Hex } from "./crypto.js";
import type { AppDeps, AppEnv } from "./types.js";

class UnauthorizedError extends AppError {
  constructor(detail: string) {
    super(401, "unauthorized", "Unauthorized", detail);
  }
}

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * CSRF defence: mutating requests must carry `X-Requested-With: XMLHttpRequest`,
 * which a cross-site form cannot set without a CORS preflight.
 */
export const requireCsrfHeader: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (MUTATING.has(c.req.method) && c.req.header("x-requested-with") !== "XMLHttpRequest")
    throw new ForbiddenError("csrf_header_missing", "Mutating requests must send the header X-Requested-With: XMLHttpRequest.");
  await next();
};

/** Platform-operator routes: the platform admin token. */
export function platformAuth(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header("authorization"));
    if (!token || !(await deps.verifyAdminToken(token))) throw new UnauthorizedError("A valid platform admin token is required.");
    await next();
  };
}

/** Tenant routes: resolves the API key to its principal and opens the tenant's store. */
export function tenantAuth(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c.req.header("authorization"));
    if (!key) throw new UnauthorizedError("Send an API key as Authorization: Bearer <key>.");
    const rec = await deps.control.findKeyByHash(await sha256Hex(key));
    if (!rec) throw new UnauthorizedError("The API key is not valid.");
    const tenant = await deps.control.getTenant(rec.tenantId);
    if (!tenant) throw new UnauthorizedError("The API key is not valid.");
    c.set("principal", { tenantId: rec.tenantId, principal: rec.principal, keyId: rec.id, roles: rec.roles });
    c.set("log", c.get("log").child({ tenantId: rec.tenantId, keyId: rec.id }));
    c.set("tenant", await deps.tenants.get(tenant));
    await next();
  };
}

/** Allows the request only if the principal holds at least one of `roles`. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    if (!p.roles.some((r) => roles.includes(r)))
      throw new ForbiddenError("missing_role", `This action requires one of the roles: ${roles.join(", ")}.`);
    await next();
  };
}

/** The audit actor for the authenticated principal. */
export function actorOf(c: { get(k: "principal"): { principal: string; keyId: string } }): Actor {
  const p = c.get("principal");
  return { name: p.principal, keyId: p.keyId };
}
