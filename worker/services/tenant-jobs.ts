/**
 * @module services/tenant-jobs
 * What the scheduled runs' per-tenant jobs share: a tenant's store looked up by id
 * (null when the tenant was deleted after it was listed: the job reports it, nothing
 * else), and, on a queue, the fields every per-tenant message carries and the fan-out
 * that sends one message per tenant.
 */
import { z } from "zod";
import type { ControlStore } from "../store/control-store.js";
import type { TenantRegistry } from "../store/tenant-registry.js";
import type { TenantStore } from "../store/tenant-store.js";

/** The stores a per-tenant job reaches. */
export interface TenantJobDeps {
  control: Pick<ControlStore, "getTenant" | "listTenants">;
  tenants: Pick<TenantRegistry, "get">;
}

/** The tenant's store, or null when there is no such tenant (any other failure throws). */
export async function tenantStoreOf(deps: TenantJobDeps, tenantId: string): Promise<TenantStore | null> {
  const tenant = await deps.control.getTenant(tenantId);
  return tenant ? (await deps.tenants.get(tenant)).store : null;
}

/**
 * The fields of every per-tenant message, beside its `job`. Versioned so a later shape
 * can coexist during a deploy; `scheduledTime` is the trigger's, which enqueued it.
 */
export const tenantJobFields = {
  v: z.literal(1),
  tenantId: z.string().min(1).max(200),
  scheduledTime: z.iso.datetime(),
};

/** What the producer side needs of a queue (a Cloudflare Queue binding fits). */
export interface TenantJobProducer<B> {
  sendBatch(messages: Iterable<{ body: B; contentType?: "json" }>): Promise<unknown>;
}

/** Cloudflare Queues accepts at most 100 messages per sendBatch call. */
export const SEND_BATCH_MAX = 100;

/** Sends `body(tenantId)` for every tenant, SEND_BATCH_MAX a call; returns how many. */
export async function enqueuePerTenant<B>(deps: TenantJobDeps, producer: TenantJobProducer<B>, body: (tenantId: string) => B): Promise<number> {
  const tenants = await deps.control.listTenants();
  for (let i = 0; i < tenants.length; i += SEND_BATCH_MAX)
    await producer.sendBatch(tenants.slice(i, i + SEND_BATCH_MAX).map((t) => ({ body: body(t.id), contentType: "json" as const })));
  return tenants.length;
}
