/**
 * @module store/console-sessions
 * Console sessions in the control store (migration 0004): rows keyed by the SHA-256
 * of the session id, never the id itself. A session is only as good as its key: the
 * lookup joins api_keys and applies the same liveness test as key authentication,
 * so a revoked or expired key ends every session it opened.
 */
import type { Role } from "../domain/roles.js";
import { type Client, read, writeBatch } from "./sql.js";

export interface NewConsoleSession {
  idHash: string;
  tenantId: string;
  keyId: string;
  createdAt: string;
  expiresAt: string;
}

/** A live session with the principal of its key as it is now. */
export interface LiveConsoleSession {
  idHash: string;
  tenantId: string;
  keyId: string;
  principal: string;
  roles: Role[];
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** What a sign-in clears in its own batch (see `create`). */
export interface SessionSweep {
  /** Every tenant's sessions past their absolute expiry before this go. */
  before: string;
  /** The signing-in key's sessions last seen at or before this (idle-expired) go. */
  idleBefore: string;
  /** The key keeps at most this many sessions, the new one included (its newest). */
  keepPerKey: number;
}

export function createConsoleSessionStore(db: Client) {
  return {
    /**
     * Stores a new session. In the same batch, so the table does not grow without a cleanup
     * job: every session past its absolute expiry by more than a day goes; the signing-in key's
     * own signed-out, expired and idle-expired rows go now; and of the key's live sessions only
     * the newest `keepPerKey - 1` stay beside the new one (a key holder signing in again and
     * again, from many addresses, holds a bounded number of rows).
     */
    async create(s: NewConsoleSession, sweep: SessionSweep): Promise<void> {
      await writeBatch(db, [
        { sql: "DELETE FROM console_sessions WHERE expires_at < ?", args: [sweep.before] },
        {
          sql: "DELETE FROM console_sessions WHERE key_id = ? AND (revoked_at IS NOT NULL OR expires_at <= ? OR last_seen_at <= ?)",
          args: [s.keyId, s.createdAt, sweep.idleBefore],
        },
        {
          sql: `DELETE FROM console_sessions WHERE key_id = ? AND id_hash IN (
                  SELECT id_hash FROM console_sessions WHERE key_id = ? ORDER BY created_at DESC, id_hash DESC LIMIT -1 OFFSET ?)`,
          args: [s.keyId, s.keyId, Math.max(0, sweep.keepPerKey - 1)],
        },
        {
          sql: "INSERT INTO console_sessions (id_hash, tenant_id, key_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
          args: [s.idHash, s.tenantId, s.keyId, s.createdAt, s.createdAt, s.expiresAt],
        },
      ]);
    },
    /**
     * The session whose id hashes to `idHash`, if at `now` it is not signed out, not past
     * its absolute expiry, seen after `idleBefore`, and its key still works.
     */
    async findLive(idHash: string, now: string, idleBefore: string): Promise<LiveConsoleSession | null> {
      const rs = await read(db, {
        sql: `SELECT s.id_hash, s.tenant_id, s.key_id, s.created_at, s.last_seen_at, s.expires_at, k.principal, k.roles
              FROM console_sessions s JOIN api_keys k ON k.id = s.key_id AND k.tenant_id = s.tenant_id
              WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND s.last_seen_at > ?
                AND (k.revoked_at IS NULL OR k.revoked_at > ?) AND (k.expires_at IS NULL OR k.expires_at > ?)`,
        args: [idHash, now, idleBefore, now, now],
      });
      const r = rs.rows[0];
      if (!r) return null;
      return {
        idHash: String(r.id_hash),
        tenantId: String(r.tenant_id),
        keyId: String(r.key_id),
        principal: String(r.principal),
        roles: JSON.parse(String(r.roles)) as Role[],
        createdAt: String(r.created_at),
        lastSeenAt: String(r.last_seen_at),
        expiresAt: String(r.expires_at),
      };
    },
    /** Moves the idle clock on, unless it moved since `staleBefore` (one write a minute, not one per page). */
    async touch(idHash: string, now: string, staleBefore: string): Promise<void> {
      await writeBatch(db, [{ sql: "UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ? AND revoked_at IS NULL AND last_seen_at < ?", args: [now, idHash, staleBefore] }]);
    },
    /** Signs a session out; false when there was no such session still signed in. */
    async revoke(idHash: string, now: string): Promise<boolean> {
      const [r] = await writeBatch(db, [{ sql: "UPDATE console_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL", args: [now, idHash] }]);
      return (r?.rowsAffected ?? 0) > 0;
    },
  };
}
export type ConsoleSessionStore = ReturnType<typeof createConsoleSessionStore>;
