/**
 * @module store/control-store
 * The control store: tenants (with their region and database location), hashed
 * API keys (with their append-only event log) and platform settings. Holds no
 * tenant business data.
 */
import type { Role } from "../domain/roles.js";
import { createConsoleSessionStore } from "./console-sessions.js";
import { type Client, type InStatement, read, writeBatch } from "./sql.js";

export interface TenantRecord {
  id: string;
  name: string;
  region: string;
  dbUrl: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  principal: string;
  roles: Role[];
}

/** A key as stored, without its hash. */
export interface StoredApiKey extends ApiKeyRecord {
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  /** When the key stops (or stopped) working; in the future during a rotation's grace period. */
  revokedAt: string | null;
  replacedBy: string | null;
}

/** A new key row: the stored fields plus the hash of its secret. */
export interface NewApiKey extends ApiKeyRecord {
  keyHash: string;
  createdAt: string;
  expiresAt: string | null;
}

/** One row of the key event log. `detail` never holds a secret or its hash. */
export interface ApiKeyEvent {
  id: string;
  tenantId: string;
  keyId: string;
  action: "create" | "revoke" | "rotate";
  actorType: "platform" | "principal";
  actor: string;
  actorKeyId: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

/** SQL condition: key `?`-bound id of tenant `?` still works at time `?`. */
const KEY_LIVE = "id = ? AND tenant_id = ? AND (revoked_at IS NULL OR revoked_at > ?)";
/** SQL condition: key of tenant still works at time and is not already scheduled to stop (rotation). */
const KEY_ROTATABLE = "id = ? AND tenant_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)";

function keyFrom(r: Record<string, unknown>): StoredApiKey {
  const opt = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    principal: String(r.principal),
    roles: JSON.parse(String(r.roles)) as Role[],
    createdAt: String(r.created_at),
    expiresAt: opt(r.expires_at),
    lastUsedAt: opt(r.last_used_at),
    revokedAt: opt(r.revoked_at),
    replacedBy: opt(r.replaced_by),
  };
}

const KEY_COLUMNS = "id, tenant_id, principal, roles, created_at, expires_at, last_used_at, revoked_at, replaced_by";

/**
 * An INSERT of `e` into the event log that only happens when `condition` (over
 * api_keys, with `args`) holds, so the event and the change it records commit
 * together or not at all inside one batch.
 */
function eventStmt(e: ApiKeyEvent, condition?: { sql: string; args: string[] }): InStatement {
  const values = [e.id, e.tenantId, e.keyId, e.action, e.actorType, e.actor, e.actorKeyId, JSON.stringify(e.detail), e.createdAt];
  const cols = "(id, tenant_id, key_id, action, actor_type, actor, actor_key_id, detail, created_at)";
  if (!condition) return { sql: `INSERT INTO api_key_events ${cols} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, args: values };
  return {
    sql: `INSERT INTO api_key_events ${cols} SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM api_keys WHERE ${condition.sql})`,
    args: [...values, ...condition.args],
  };
}

function insertKeyStmt(k: NewApiKey, condition?: { sql: string; args: string[] }): InStatement {
  const values = [k.id, k.tenantId, k.principal, JSON.stringify(k.roles), k.keyHash, k.createdAt, k.expiresAt];
  const cols = "(id, tenant_id, principal, roles, key_hash, created_at, expires_at)";
  if (!condition) return { sql: `INSERT INTO api_keys ${cols} VALUES (?, ?, ?, ?, ?, ?, ?)`, args: values };
  return { sql: `INSERT INTO api_keys ${cols} SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM api_keys WHERE ${condition.sql})`, args: [...values, ...condition.args] };
}

/** Key reads and the key lifecycle; every change commits with its event row. */
function createApiKeyStore(db: Client) {
  return {
    /** A new key and its `create` event, atomically. */
    async create(k: NewApiKey, event: ApiKeyEvent): Promise<void> {
      await writeBatch(db, [insertKeyStmt(k), eventStmt(event)]);
    },
    /** The key whose secret hashes to `keyHash`, if it works at `now` (not revoked, not expired). */
    async findUsable(keyHash: string, now: string): Promise<StoredApiKey | null> {
      const rs = await read(db, {
        sql: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = ? AND (revoked_at IS NULL OR revoked_at > ?) AND (expires_at IS NULL OR expires_at > ?)`,
        args: [keyHash, now, now],
      });
      return rs.rows[0] ? keyFrom(rs.rows[0]) : null;
    },
    async list(tenantId: string): Promise<StoredApiKey[]> {
      const rs = await read(db, { sql: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id`, args: [tenantId] });
      return rs.rows.map(keyFrom);
    },
    async get(tenantId: string, keyId: string): Promise<StoredApiKey | null> {
      const rs = await read(db, { sql: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ? AND tenant_id = ?`, args: [keyId, tenantId] });
      return rs.rows[0] ? keyFrom(rs.rows[0]) : null;
    },
    /** Revokes a key that still works at `now` (a rotating key stops now); false when there was none. */
    async revoke(tenantId: string, keyId: string, now: string, event: ApiKeyEvent): Promise<boolean> {
      const live = { sql: KEY_LIVE, args: [keyId, tenantId, now] };
      const [, upd] = await writeBatch(db, [eventStmt(event, live), { sql: `UPDATE api_keys SET revoked_at = ? WHERE ${KEY_LIVE}`, args: [now, ...live.args] }]);
      return (upd?.rowsAffected ?? 0) > 0;
    },
    /**
     * Replaces an active key by `next`: the old one stops at `oldUntil` (now, or the
     * end of a grace period). False when the old key was not active (revoked,
     * already rotated, expired), and then nothing is written.
     */
    async rotate(tenantId: string, keyId: string, next: NewApiKey, oldUntil: string, now: string, events: ApiKeyEvent[]): Promise<boolean> {
      const active = { sql: KEY_ROTATABLE, args: [keyId, tenantId, now] };
      const res = await writeBatch(db, [
        ...events.map((e) => eventStmt(e, active)),
        insertKeyStmt(next, active),
        { sql: `UPDATE api_keys SET revoked_at = ?, replaced_by = ? WHERE ${KEY_ROTATABLE}`, args: [oldUntil, next.id, ...active.args] },
      ]);
      return (res[res.length - 1]?.rowsAffected ?? 0) > 0;
    },
    /** Records a use, unless one was recorded since `staleBefore` (keeps the write rare). */
    async touch(keyId: string, now: string, staleBefore: string): Promise<void> {
      await writeBatch(db, [{ sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", args: [now, keyId, staleBefore] }]);
    },
    /** The tenant's key events, oldest first. */
    async events(tenantId: string): Promise<ApiKeyEvent[]> {
      const rs = await read(db, { sql: "SELECT * FROM api_key_events WHERE tenant_id = ? ORDER BY seq", args: [tenantId] });
      return rs.rows.map((r) => ({
        id: String(r.id),
        tenantId: String(r.tenant_id),
        keyId: String(r.key_id),
        action: String(r.action) as ApiKeyEvent["action"],
        actorType: String(r.actor_type) as ApiKeyEvent["actorType"],
        actor: String(r.actor),
        actorKeyId: r.actor_key_id === null ? null : String(r.actor_key_id),
        detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
        createdAt: String(r.created_at),
      }));
    },
  };
}

/** Creates the control store over an already-migrated client. */
export function createControlStore(db: Client) {
  const tenantFrom = (r: Record<string, unknown>): TenantRecord => ({
    id: String(r.id),
    name: String(r.name),
    region: String(r.region),
    dbUrl: String(r.db_url),
    createdAt: String(r.created_at),
  });
  return {
    /** Liveness of the store for /readyz. */
    async ping(): Promise<void> {
      await read(db, "SELECT 1");
    },
    async createTenant(t: TenantRecord): Promise<void> {
      await writeBatch(db, [
        { sql: "INSERT INTO tenants (id, name, region, db_url, created_at) VALUES (?, ?, ?, ?, ?)", args: [t.id, t.name, t.region, t.dbUrl, t.createdAt] },
      ]);
    },
    async getTenant(id: string): Promise<TenantRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM tenants WHERE id = ?", args: [id] });
      return rs.rows[0] ? tenantFrom(rs.rows[0]) : null;
    },
    async getTenantByName(name: string): Promise<TenantRecord | null> {
      const rs = await read(db, { sql: "SELECT * FROM tenants WHERE name = ?", args: [name] });
      return rs.rows[0] ? tenantFrom(rs.rows[0]) : null;
    },
    async listTenants(): Promise<TenantRecord[]> {
      const rs = await read(db, "SELECT * FROM tenants ORDER BY created_at, id");
      return rs.rows.map(tenantFrom);
    },
    /** API keys and their event log. */
    apiKeys: createApiKeyStore(db),
    /** Console sign-in sessions (hashed ids; each lives only as long as its key). */
    consoleSessions: createConsoleSessionStore(db),
    async getSetting(name: string): Promise<string | null> {
      const rs = await read(db, { sql: "SELECT value FROM platform_settings WHERE name = ?", args: [name] });
      return rs.rows[0] ? String(rs.rows[0].value) : null;
    },
    /** Stores a setting only if absent; returns the value in force afterwards (first writer wins). */
    async putSettingIfAbsent(name: string, value: string): Promise<string> {
      await writeBatch(db, [
        { sql: "INSERT OR IGNORE INTO platform_settings (name, value, created_at) VALUES (?, ?, ?)", args: [name, value, new Date().toISOString()] },
      ]);
      return (await this.getSetting(name)) ?? value;
    },
  };
}
export type ControlStore = ReturnType<typeof createControlStore>;
