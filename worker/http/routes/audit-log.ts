/**
 * @module http/routes/audit-log
 * The append-only audit log, paged by an opaque cursor.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ValidationError } from "../../domain/errors.js";
import { requireRole } from "../auth.js";
import { parseWith } from "../body.js";
import type { AppEnv } from "../types.js";

const query = z.object({
  entityType: z.string().max(64).optional(),
  entityId: z.string().max(64).optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

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

/** Route GET /api/v1/audit-log. */
export function createAuditLogRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/", requireRole("publisher", "admin", "approver", "auditor"), async (c) => {
    const q = parseWith(query, c.req.query());
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
