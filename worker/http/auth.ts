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
import { authenticateApiKey } from "../services/api-keys.js";
import type { Actor } from "../services/context.js";
import { errorFields } from "../observability/logger.js";
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

/**
 * Tenant routes: resolves the API key to its principal and opens the tenant's
 * store. A revoked, expired or rotated-out key is refused like an unknown one.
 */
export function tenantAuth(deps: AppDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = bearer(c.req.header("authorization"));
    if (!key) throw new UnauthorizedError("Send an API key as Authorization: Bearer <key>.");
    const log = c.get("log");
    const hash = deps.hashApiKey ? deps.hashApiKey(key) : await sha256Hex(key);
    const found = await authenticateApiKey(deps, hash, (e) => log.warn("api key last-use update failed", errorFields(e)), (id) => deps.tenants.recordOf(id));
    if (!found) throw new UnauthorizedError("The API key is not valid.");
    const rec = found.key;
    if (found.touched) keepAlive(c, found.touched);
    c.set("principal", { tenantId: rec.tenantId, principal: rec.principal, keyId: rec.id, roles: rec.roles });
    c.set("log", log.child({ tenantId: rec.tenantId, keyId: rec.id }));
    c.set("tenant", await deps.tenants.get(found.tenant));
    await next();
  };
}

/** On Workers, background work must be handed to waitUntil or it may be cut off; elsewhere it just runs. */
function keepAlive(c: { executionCtx: { waitUntil(p: Promise<unknown>): void } }, p: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (Node, Deno, app.request in tests): the promise runs on its own.
  }
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
