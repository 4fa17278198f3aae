/**
 * @module http/routes/admin
 * Platform-operator routes (platform token): tenants and their API keys
 * (create, list, revoke, rotate, and the key event log).
 */
import { Hono } from "hono";
import { ConflictError, ValidationError } from "../../domain/errors.js";
import { createApiKey, type KeyActor, listApiKeyEvents, listApiKeys, revokeApiKey, rotateApiKey } from "../../services/api-keys.js";
import type { TenantRecord } from "../../services/store-types.js";
import { platformAuth } from "../auth.js";
import { jsonBody } from "../body.js";
import type { AppDeps, AppEnv } from "../types.js";
import { createKeySchema, createTenantSchema, rotateKeySchema } from "../openapi/request-schemas.js";
import { mintSecret, withSecret } from "./api-keys.js";

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

  const platform: KeyActor = { type: "platform" };

  app.post("/tenants/:id/api-keys", async (c) => {
    const body = await jsonBody(c, createKeySchema);
    const { key, keyHash } = await mintSecret();
    const created = await createApiKey(deps, c.req.param("id"), body, keyHash, platform);
    c.get("log").info("api key created", { tenantId: c.req.param("id"), keyId: created.id });
    return c.json(withSecret(created, key), 201);
  });

  app.get("/tenants/:id/api-keys", async (c) => c.json({ items: await listApiKeys(deps, c.req.param("id"), platform) }));

  app.delete("/tenants/:id/api-keys/:keyId", async (c) => {
    const revoked = await revokeApiKey(deps, c.req.param("id"), c.req.param("keyId"), platform);
    c.get("log").info("api key revoked", { tenantId: c.req.param("id"), keyId: revoked.id });
    return c.json(revoked);
  });

  app.post("/tenants/:id/api-keys/:keyId/rotate", async (c) => {
    const body = await jsonBody(c, rotateKeySchema, { optional: true });
    const { key, keyHash } = await mintSecret();
    const r = await rotateApiKey(deps, c.req.param("id"), c.req.param("keyId"), body, keyHash, platform);
    c.get("log").info("api key rotated", { tenantId: c.req.param("id"), keyId: r.replaced.id, newKeyId: r.key.id });
    return c.json({ ...withSecret(r.key, key), replaced: r.replaced }, 201);
  });

  // The control store's append-only log of key events (never a secret or a hash).
  app.get("/tenants/:id/api-key-events", async (c) => c.json({ items: await listApiKeyEvents(deps, c.req.param("id")) }));

  return app;
}
