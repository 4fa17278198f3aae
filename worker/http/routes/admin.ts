/**
 * @module http/routes/admin
 * Platform-operator routes (platform token): tenants and their API keys.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { roleSchema } from "../../domain/roles.js";
import type { TenantRecord } from "../../services/store-types.js";
import { platformAuth } from "../auth.js";
import { jsonBody } from "../body.js";
import { randomSecret, sha256Hex } from "../crypto.js";
import type { AppDeps, AppEnv } from "../types.js";

const createTenantSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  region: z.string().min(1).max(64).optional(),
});

const createKeySchema = z.strictObject({
  principal: z.string().trim().min(1).max(200),
  roles: z.array(roleSchema).min(1).max(5).transform((r) => [...new Set(r)]),
});

/** Routes under /api/v1/admin. */
export function createAdminRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use("*", platformAuth(deps));

  app.post("/tenants", async (c) => {
    const body = await jsonBody(c, createTenantSchema);
    const region = body.region ?? deps.placement.defaultRegion;
    if (!deps.placement.regions.includes(region))
      throw new ValidationError(`Unknown region "${region}". Configured regions: ${deps.placement.regions.join(", ")}.`, {}, "unknown_region");
    // Checked before provisioning so a duplicate name leaves no orphan database behind.
    // (Two concurrent creations of one name can still race; the unique index then answers 409.)
    if (await deps.control.getTenantByName(body.name)) throw new ConflictError("tenant_name_taken", `A tenant named "${body.name}" already exists.`);
    const id = deps.newId();
    const tenant: TenantRecord = { id, name: body.name, region, dbUrl: deps.placement.dbUrlFor(id, region), createdAt: deps.clock().toISOString() };
    // Create and migrate the tenant database first: a tenant row never points at a database that does not exist.
    await deps.tenants.provision(tenant);
    await deps.control.createTenant(tenant);
    c.get("log").info("tenant created", { tenantId: id, region });
    return c.json({ id, name: tenant.name, region }, 201);
  });

  app.get("/tenants", async (c) => {
    const tenants = await deps.control.listTenants();
    return c.json({ items: tenants.map((t) => ({ id: t.id, name: t.name, region: t.region, createdAt: t.createdAt })) });
  });

  app.post("/tenants/:id/api-keys", async (c) => {
    const body = await jsonBody(c, createKeySchema);
    const tenant = await deps.control.getTenant(c.req.param("id"));
    if (!tenant) throw new NotFoundError("tenant");
    const key = randomSecret("fgk_");
    const keyId = deps.newId();
    const now = deps.clock().toISOString();
    const { store } = await deps.tenants.get(tenant);
    await deps.control.createApiKey({ id: keyId, tenantId: tenant.id, principal: body.principal, roles: body.roles, keyHash: await sha256Hex(key), createdAt: now });
    await store.write([
      store.evidence.auditStmt(
        deps.newId(),
        { entityType: "api_key", entityId: keyId, action: "api_key_create", actor: "platform-admin", after: { principal: body.principal, roles: body.roles } },
        now,
      ),
    ]);
    c.get("log").info("api key created", { tenantId: tenant.id, keyId });
    return c.json({ id: keyId, key, principal: body.principal, roles: body.roles }, 201);
  });

  return app;
}
