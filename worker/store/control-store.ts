/**
 * @module store/control-store
 * The control store: tenants (with their region and database location), hashed
 * API keys and platform settings. Holds no tenant business data.
 */
import type { Role } from "../domain/roles.js";
import { type Client, read, writeBatch } from "./sql.js";

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
    async createApiKey(k: ApiKeyRecord & { keyHash: string; createdAt: string }): Promise<void> {
      await writeBatch(db, [
        {
          sql: "INSERT INTO api_keys (id, tenant_id, principal, roles, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
          args: [k.id, k.tenantId, k.principal, JSON.stringify(k.roles), k.keyHash, k.createdAt],
        },
      ]);
    },
    /** Looks up a non-revoked key by the hash of its secret. */
    async findKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
      const rs = await read(db, {
        sql: "SELECT id, tenant_id, principal, roles FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
        args: [keyHash],
      });
      const r = rs.rows[0];
      if (!r) return null;
      return { id: String(r.id), tenantId: String(r.tenant_id), principal: String(r.principal), roles: JSON.parse(String(r.roles)) as Role[] };
    },
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
