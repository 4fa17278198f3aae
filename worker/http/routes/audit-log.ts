/**
 * @module http/routes/audit-log
 * The append-only audit log, paged by an opaque cursor; verification of its
 * hash chain; and the streamed NDJSON export an auditor verifies offline.
 */
import { Hono } from "hono";
import { ValidationError } from "../../domain/errors.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import { exportLines, verifyChain } from "../../services/chain.js";
import { tenantOperations as ops } from "../openapi/operations-tenant.js";
import { auditQuery } from "../openapi/request-schemas.js";
import type { AppDeps, AppEnv } from "../types.js";

const encodeCursor = (seq: number) => btoa(`seq:${seq}`);
function decodeCursor(cursor: string): number {
  let s: string;
  try {
    s = atob(cursor);
  } catch {
    throw new ValidationError("cursor is not valid", {}, "invalid_cursor");
  }
  const m = /^seq:(\d{1,15})$/.exec(s);
  if (!m) throw new ValidationError("cursor is not valid", {}, "invalid_cursor");
  return Number(m[1]);
}

/** Routes GET /api/v1/audit-log, /audit-log/verify and /audit-log/export. */
export function createAuditLogRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  // Verifies both chains, every link, against the stored heads and the signed anchors outside the tenant database.
  app.get("/verify", requireRole(...ops.verifyAuditLog.roles), async (c) => {
    const store = c.get("tenant").store;
    const audit = await verifyChain(store, "audit", deps.anchors);
    const evaluations = await verifyChain(store, "evaluation", deps.anchors);
    return c.json({ ...audit, ok: audit.ok && evaluations.ok, audit, evaluations });
  });
  // NDJSON with the hashes, streamed page by page, for offline `fairgate verify FILE`.
  app.get("/export", requireRole(...ops.exportAuditLog.roles), (c) => {
    const lines = exportLines(c.get("tenant").store, deps.clock(), deps.anchors);
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        const next = await lines.next();
        if (next.done) ctl.close();
        else ctl.enqueue(enc.encode(next.value));
      },
      async cancel() {
        await lines.return(undefined);
      },
    });
    return c.body(stream, 200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="fairgate-evidence-${c.get("tenant").tenant.id}.ndjson"`,
    });
  });
  app.get("/", requireRole(...ops.listAuditLog.roles), async (c) => {
    const q = parseWith(auditQuery, c.req.query());
    const rows = await c.get("tenant").store.evidence.listAudit({
      entityType: q.entityType,
      entityId: q.entityId,
      afterSeq: q.cursor ? decodeCursor(q.cursor) : 0,
      limit: q.limit,
    });
    const last = rows[rows.length - 1];
    return c.json({ items: rows, nextCursor: rows.length === q.limit && last ? encodeCursor(last.seq) : null });
  });
  return app;
}
