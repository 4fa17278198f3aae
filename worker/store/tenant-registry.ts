/**
 * @module store/tenant-registry
 * Opens (and migrates, once) each tenant's database on first use and hands out
 * its TenantStore and trace writer. Where a tenant's database lives is decided by
 * the runtime's `openClient`; this module never knows the transport.
 *
 * Every tenant client is bounded by the store deadline (store/sql withDeadline),
 * so one tenant's locked, hung or corrupt database answers that tenant's requests
 * with 503 store_unavailable and holds nobody else. The registry remembers which
 * stores failed their latest operation (readiness reports the count).
 */
import { LRUCache } from "lru-cache";
import type { ChainAnchorStore } from "./chain-anchors.js";
import type { ControlStore, TenantRecord } from "./control-store.js";
import { createGroupCommitWriter, type GroupCommitWriter } from "./group-commit.js";
import { createDefinitionCache, type DefinitionCache } from "./definition-cache.js";
import { StoreUnavailableError } from "../domain/errors.js";
import { type Client, type Migration, mapStoreError, migrate } from "./sql.js";
import { createStoreAvailability } from "./store-availability.js";
import { createTenantStore, type TenantStore } from "./tenant-store.js";
import type { TraceWrite } from "./tenant/traces.js";
import type { OutboxSignal } from "./tenant/outbox-signal.js";

export interface TenantHandle {
  tenant: TenantRecord;
  store: TenantStore;
  /** Commits each trace with the statements it carries (its protected attributes) in the same batch. */
  traceWriter: GroupCommitWriter<TraceWrite>;
  /** This tenant's immutable (flow, version) definitions, bounded; never a flow's status or active version. */
  definitions: DefinitionCache;
}

export interface TenantRegistryDeps {
  control: ControlStore;
  /** Opens a libSQL client for a tenant database location (a URL recorded in the control store). */
  openClient: (tenant: TenantRecord) => Client | Promise<Client>;
  migrations: Migration[];
  /** Told after every commit that queued alerts (delivery listens). */
  outbox?: OutboxSignal;
  /** Chain anchors in the control store; without them chains are not anchored (tests of the store alone). */
  anchors?: ChainAnchorStore;
  /** Told when a committed write's anchor could not advance (repaired by the next write or at start). */
  onAnchorFailure?: (tenantId: string, e: unknown) => void;
  /** Deadline of one tenant-database operation (and of opening one), in ms. */
  storeTimeoutMs?: number;
}

/** Used when the runtime does not say (FAIRGATE_STORE_TIMEOUT_MS's default). */
export const DEFAULT_STORE_TIMEOUT_MS = 5_000;
/** Tenant records kept in memory (a few hundred bytes each). */
const TENANT_RECORDS_KEPT = 10_000;
/** Least time allowed for opening a tenant database, however short the per-operation deadline. */
const OPEN_MIN_MS = 5_000;

/** Resolves to what `p` gives within `ms`, else rejects with StoreUnavailableError; a late client is closed. */
function openWithin(p: Promise<Client>, ms: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new StoreUnavailableError(new Error(`opening the database exceeded its ${ms} ms deadline`)));
    }, ms);
    p.then(
      (c) => {
        clearTimeout(timer);
        if (late) c.close();
        else resolve(c);
      },
      (e) => {
        clearTimeout(timer);
        if (!late) reject(mapStoreError(e));
      },
    );
  });
}

/** Creates a registry of open tenant databases. */
export function createTenantRegistry(deps: TenantRegistryDeps) {
  const open = new Map<string, Promise<{ client: Client; handle: TenantHandle }>>();
  // Tenant records never change once created (no statement updates or deletes one), so an
  // authenticated request need not read its tenant from the control store again. Bounded.
  const records = new LRUCache<string, TenantRecord>({ max: TENANT_RECORDS_KEPT });
  const timeoutMs = deps.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  /** Tenants whose latest store operation failed (deadline, lock, I/O, corruption, transport). */
  const availability = createStoreAvailability({ timeoutMs });

  async function openTenant(tenant: TenantRecord) {
    let client: Client;
    try {
      // Opening starts a thread (or a connection) under whatever load the host has: it gets at least OPEN_MIN_MS.
      const opened = await openWithin(Promise.resolve().then(() => deps.openClient(tenant)), Math.max(timeoutMs, OPEN_MIN_MS));
      client = availability.wrap(tenant.id, opened);
    } catch (e) {
      availability.markFailed(tenant.id);
      throw mapStoreError(e);
    }
    try {
      await migrate(client, deps.migrations);
    } catch (e) {
      client.close();
      throw mapStoreError(e);
    }
    // The delivery loop learns of new outbox rows through the registry, so the store needs no signal type.
    const anchors = deps.anchors;
    const anchor = anchors && {
      read: () => anchors.get(tenant.id),
      announce: (heads: Parameters<typeof anchors.announce>[1]) => anchors.announce(tenant.id, heads),
      withdraw: (heads: Parameters<typeof anchors.withdraw>[1]) => anchors.withdraw(tenant.id, heads),
      advance: (heads: Parameters<typeof anchors.advance>[1]) => anchors.advance(tenant.id, heads),
      onAdvanceFailure: (e: unknown) => deps.onAnchorFailure?.(tenant.id, e),
    };
    const store: TenantStore = createTenantStore(client, tenant.id, { onOutbox: () => deps.outbox?.signal(store, tenant.id), anchor });
    const traceWriter = createGroupCommitWriter<TraceWrite>((items) => store.traces.commit(items));
    return { client, handle: { tenant, store, traceWriter, definitions: createDefinitionCache() } };
  }

  return {
    /** The tenant's handle (opening its database on first use). Failed opens are retried next time. */
    async get(tenant: TenantRecord): Promise<TenantHandle> {
      let p = open.get(tenant.id);
      if (!p) {
        // A database that just failed to open is not reopened (a thread, a connection) on every request.
        if (availability.coolingDown(tenant.id)) throw new StoreUnavailableError(new Error("the tenant database failed to open moments ago"));
        p = openTenant(tenant);
        open.set(tenant.id, p);
        p.catch(() => open.delete(tenant.id));
      }
      return (await p).handle;
    },
    /**
     * How many tenant stores failed their latest operation (or could not be opened);
     * a later success clears one. Also sends a probe to each failed open store
     * (at most one per store per cool-down), so readiness recovers on its own.
     */
    unavailableCount(): number {
      availability.probeFailed();
      return availability.unavailableCount();
    },
    /** The tenant's record (control store on first use, then kept: records are immutable); null for an unknown id. */
    async recordOf(tenantId: string): Promise<TenantRecord | null> {
      const kept = records.get(tenantId);
      if (kept) return kept;
      const r = await deps.control.getTenant(tenantId);
      if (r) records.set(tenantId, r);
      return r;
    },
    /** Creates the database for a new tenant up front, so a bad location fails at creation time. */
    async provision(tenant: TenantRecord): Promise<void> {
      await this.get(tenant);
      // A new tenant's chains are anchored empty, so no unchained row may ever appear in them.
      await deps.anchors?.initialize(tenant.id);
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
