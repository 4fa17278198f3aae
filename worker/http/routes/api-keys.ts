/**
 * @module http/routes/api-keys
 * A tenant admin's own keys (role admin): list, create (never with a role the
 * caller lacks), revoke, rotate. The body schemas and the secret minting are
 * shared with the platform routes in admin.ts, so both surfaces accept and
 * return exactly the same shapes.
 */
import { Hono } from "hono";
import {
  type ApiKeyView,
  createApiKey,
  type KeyActor,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from "../../services/api-keys.js";
import { requireRole } from "../auth.js";
import { jsonBody } from "../body.js";
import { createKeySchema, rotateKeySchema } from "../openapi/request-schemas.js";
import { randomSecret, sha256Hex } from "../crypto.js";
import { tenantOperations } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

/** A new secret (shown once) and the hash that is stored. */
export async function mintSecret(): Promise<{ key: string; keyHash: string }> {
  const key = randomSecret("fgk_");
  return { key, keyHash: await sha256Hex(key) };
}

/** The one response that ever carries a secret. */
export const withSecret = (v: ApiKeyView, key: string) => ({ ...v, key });

/** Routes under /api/v1/api-keys (tenant API; the caller's tenant only). */
export function createApiKeyRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use("*", requireRole(...tenantOperations.listApiKeys.roles));
  const actor = (c: { get(k: "principal"): AppEnv["Variables"]["principal"] }): KeyActor => ({ type: "principal", principal: c.get("principal") });

  app.get("/", async (c) => c.json({ items: await listApiKeys(deps, c.get("principal").tenantId, actor(c)) }));

  app.post("/", async (c) => {
    const body = await jsonBody(c, createKeySchema);
    const { key, keyHash } = await mintSecret();
    const created = await createApiKey(deps, c.get("principal").tenantId, body, keyHash, actor(c));
    c.get("log").info("api key created", { createdKeyId: created.id });
    return c.json(withSecret(created, key), 201);
  });

  app.delete("/:keyId", async (c) => {
    const revoked = await revokeApiKey(deps, c.get("principal").tenantId, c.req.param("keyId"), actor(c));
    c.get("log").info("api key revoked", { revokedKeyId: revoked.id });
    return c.json(revoked);
  });

  app.post("/:keyId/rotate", async (c) => {
    const body = await jsonBody(c, rotateKeySchema, { optional: true });
    const { key, keyHash } = await mintSecret();
    const r = await rotateApiKey(deps, c.get("principal").tenantId, c.req.param("keyId"), body, keyHash, actor(c));
    c.get("log").info("api key rotated", { rotatedKeyId: r.replaced.id, newKeyId: r.key.id });
    return c.json({ ...withSecret(r.key, key), replaced: r.replaced }, 201);
  });

  return app;
}
