/**
 * @module http/types
 * The dependencies `createApp` takes and the per-request context variables.
 */
import type { Principal } from "../domain/roles.js";
import type { Logger } from "../observability/logger.js";
import type { ScheduledJobs } from "../services/scheduled-jobs.js";
import type { PdfRenderer } from "../report/pdf.js";
import type { RecheckDeps } from "../services/recheck.js";
import type { ChainAnchorStore, OutboxSignal, TenantHandle } from "../services/store-types.js";

/** Where new tenants' databases go: regions are configuration. */
export interface Placement {
  regions: string[];
  defaultRegion: string;
  /** The database location recorded for a new tenant in `region`. */
  dbUrlFor(tenantId: string, region: string): string;
}

/** One named per-key token bucket (see http/rate-limit). */
export interface BucketLimit {
  /** Sustained rate: tokens added per second. 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: how many requests may arrive at once after an idle period. */
  burst: number;
}

export interface RateLimitConfig {
  limits: Record<string, BucketLimit>;
  /** Most buckets kept in memory (across all limits). */
  maxBuckets: number;
}

export interface Limits {
  /** Largest JSON request body in bytes. */
  jsonMaxBytes: number;
  /** Largest NDJSON bulk body in bytes. */
  bulkMaxBytes: number;
  /** Most lines in one bulk body. */
  bulkMaxLines: number;
  /** Largest POST /fairness/evaluate body in bytes (default 16 MiB; it is exempt from jsonMaxBytes). */
  evaluateMaxBytes?: number;
  /** Per-key token buckets ("decisions", "bulk"); absent = no rate limiting. */
  rateLimits?: RateLimitConfig;
}

export interface AppDeps extends RecheckDeps {
  logger: Logger;
  /** Checks a presented platform token (constant-time). */
  verifyAdminToken(token: string): Promise<boolean>;
  /** Secret guarding the HTTP cron route; null turns the route off (404). */
  cronSecret: string | null;
  /** How the cron route runs the scheduled jobs: as this runtime's own triggers do (absent: inline). */
  scheduledJobs?: ScheduledJobs;
  placement: Placement;
  limits: Limits;
  /** Commits that queued alerts are signalled here; delivery listens. */
  outbox: OutboxSignal;
  /** Signed chain heads of every tenant, kept in the control store (evidence verification, exports). */
  anchors: ChainAnchorStore;
  /**
   * The /docs renderer's browser bundle (`@scalar/api-reference`'s dist/browser/standalone.js)
   * as text: read from node_modules on Node and Deno, bundled as a Text module on Workers.
   * Called on the first GET /docs/assets/scalar.js; the route keeps the result.
   */
  docsBundle(): Promise<string>;
  /**
   * SHA-256 (lowercase hex) of a presented API key, when the runtime has a synchronous one
   * (Node, Deno: node:crypto); WebCrypto's asynchronous digest otherwise. Once per request.
   */
  hashApiKey?: (key: string) => string;
  /**
   * Prints a report page to PDF (report.pdf): the Node runtime's headless Chromium
   * (runtime/chromium-pdf); absent on Workers and Deno, where report.pdf is 501 pdf_unavailable.
   */
  pdfRenderer?: PdfRenderer;
}

export interface AppVariables {
  requestId: string;
  log: Logger;
  principal: Principal;
  tenant: TenantHandle;
}

export type AppEnv = { Variables: AppVariables };
