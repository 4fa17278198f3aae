/**
 * @module store/tenant-registry
 * Opens (and migrates, once) each tenant's database on first use and hands out
 * its TenantStore and trace writer. Where a tenant's database lives is decided by
 * the runtime's `openClient`; this module never knows the transport.
 */
import type { ControlStore, TenantRecord } from "./control-store.js";
import { createGroupCommitWriter, type GroupCommitWriter } from "./group-commit.js";
import { type Client, type Migration, mapStoreError, migrate } from "./sql.js";
import { createTenantStore, type TenantStore } from "./tenant-store.js";
import type { TraceRecord } from "./tenant/traces.js";
import type { OutboxSignal } from "./tenant/outbox-signal.js";

export interface TenantHandle {
  tenant: TenantRecord;
  store: TenantStore;
  traceWriter: GroupCommitWriter<TraceRecord>;
}

export interface TenantRegistryDeps {
  control: ControlStore;
  /** Opens a libSQL client for a tenant database location (a URL recorded in the control store). */
  openClient: (tenant: TenantRecord) => Client | Promise<Client>;
  migrations: Migration[];
  /** Told after every commit that queued alerts (delivery listens). */
  outbox?: OutboxSignal;
}

/** Creates a registry of open tenant databases. */
export function createTenantRegistry(deps: TenantRegistryDeps) {
  const open = new Map<string, Promise<{ client: Client; handle: TenantHandle }>>();

  async function openTenant(tenant: TenantRecord) {
    const client = await deps.openClient(tenant);
    try {
      await migrate(client, deps.migrations);
    } catch (e) {
      client.close();
      throw mapStoreError(e);
    }
    const store = createTenantStore(client, tenant.id, { outbox: deps.outbox });
    const traceWriter = createGroupCommitWriter<TraceRecord>((items) => store.traces.insert(items));
    return { client, handle: { tenant, store, traceWriter } };
  }

  return {
    /** The tenant's handle (opening its database on first use). Failed opens are retried next time. */
    async get(tenant: TenantRecord): Promise<TenantHandle> {
      let p = open.get(tenant.id);
      if (!p) {
        p = openTenant(tenant);
        open.set(tenant.id, p);
        p.catch(() => open.delete(tenant.id));
      }
      return (await p).handle;
    },
    /** Creates the database for a new tenant up front, so a bad location fails at creation time. */
    async provision(tenant: TenantRecord): Promise<void> {
      await this.get(tenant);
    },
    /** Waits for queued trace writes, then closes every client. */
    async close(): Promise<void> {
      for (const p of open.values()) {
        const o = await p.catch(() => null);
        if (!o) continue;
        await o.handle.traceWriter.drain();
        o.client.close();
      }
      open.clear();
    },
  };
}
export type TenantRegistry = ReturnType<typeof createTenantRegistry>;
