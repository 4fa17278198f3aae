/**
 * @module services/store-types
 * The store types that http handlers hold — the tenant handle in the request context,
 * the outbox signal in AppDeps, a tenant record in admin answers — re-exported here so
 * that http reaches the store only through services (a layer rule in npm test).
 */
export type { TenantRecord } from "../store/control-store.js";
export type { TenantHandle } from "../store/tenant-registry.js";
export type { OutboxSignal } from "../store/tenant/outbox-signal.js";
export type { ChainAnchorStore } from "../store/chain-anchors.js";
