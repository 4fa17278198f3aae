/**
 * @module services/context
 * What every use case needs besides the tenant's store: kernels, a clock and an
 * id source — injected so tests control time and runtimes pick implementations.
 */
import type { Kernels } from "../engine/kernels/types.js";
import type { WindowReader } from "../engine/window.js";
import type { TenantStore } from "../store/tenant-store.js";

export interface ServiceDeps {
  kernels: Kernels;
  clock: () => Date;
  newId: () => string;
  /** Picks how a tenant's window is read (row path today; columnar segments plug in here). */
  windowReader: (store: TenantStore) => WindowReader;
}

/** Who performs a change, as recorded in the audit log. */
export interface Actor {
  name: string;
  keyId: string | null;
}

export const SYSTEM_RECHECK: Actor = { name: "system:fairness-recheck", keyId: null };
