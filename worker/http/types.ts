/**
 * @module http/types
 * The dependencies `createApp` takes and the per-request context variables.
 */
import type { Principal } from "../domain/roles.js";
import type { Logger } from "../observability/logger.js";
import type { RecheckDeps } from "../services/recheck.js";
import type { OutboxSignal, TenantHandle } from "../services/store-types.js";

/** Where new tenants' databases go: regions are configuration. */
export interface Placement {
  regions: string[];
  defaultRegion: string;
  /** The database location recorded for a new tenant in `region`. */
  dbUrlFor(tenantId: string, region: string): string;
}

export interface Limits {
  /** Largest JSON request body in bytes. */
  jsonMaxBytes: number;
  /** Largest NDJSON bulk body in bytes. */
  bulkMaxBytes: number;
  /** Most lines in one bulk body. */
  bulkMaxLines: number;
}

export interface AppDeps extends RecheckDeps {
  logger: Logger;
  /** Checks a presented platform token (constant-time). */
  verifyAdminToken(token: string): Promise<boolean>;
  /** Secret guarding the HTTP cron route; null turns the route off (404). */
  cronSecret: string | null;
  placement: Placement;
  limits: Limits;
  /** Commits that queued alerts are signalled here; delivery listens. */
  outbox: OutboxSignal;
}

export interface AppVariables {
  requestId: string;
  log: Logger;
  principal: Principal;
  tenant: TenantHandle;
}

export type AppEnv = { Variables: AppVariables };
