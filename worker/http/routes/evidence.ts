/**
 * @module http/routes/evidence
 * The platform's evidence public key: what an auditor needs to check the signed
 * chain heads of an export offline (`fairgate verify FILE --public-key KEY`).
 * Readable with any tenant key; the key is the same for every tenant.
 */
import { Hono } from "hono";
import { SIGNED_HEAD_FORMAT } from "../../domain/chain-sign.js";
import { requireRole } from "../auth.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import type { AppDeps, AppEnv } from "../types.js";

/** Routes under /api/v1/evidence. */
export function createEvidenceRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get("/public-key", requireRole(...ops.getEvidencePublicKey.roles), (c) =>
    c.json({ algorithm: "Ed25519", encoding: "base64url (raw 32-byte public key)", publicKey: deps.anchors.signer.publicKey, keyId: deps.anchors.signer.keyId, signedHeadFormat: SIGNED_HEAD_FORMAT }),
  );
  return app;
}
