/**
 * @module runtime/build-deps
 * Assembles AppDeps from what a runtime adapter provides (clients, migrations,
 * kernels, logger, parsed config). Shared by every runtime so they differ only
 * in transport and I/O.
 */
import type { Kernels } from "../engine/kernels/types.js";
import { createSummaryWindowReader } from "../engine/summary-window.js";
import { hashesEqual, randomSecret, sha256Hex } from "../http/crypto.js";
import type { AppDeps, Placement } from "../http/types.js";
import type { PdfRenderer } from "../report/pdf.js";
import { errorFields, type Logger } from "../observability/logger.js";
import { createEvidenceSigner } from "../domain/chain-sign.js";
import { createChainAnchorStore } from "../store/chain-anchors.js";
import { createControlStore } from "../store/control-store.js";
import { type Client, type Migration, migrate, withDeadline } from "../store/sql.js";
import { createTenantRegistry } from "../store/tenant-registry.js";
import { createOutboxSignal, type OutboxSignal } from "../store/tenant/outbox-signal.js";
import type { TenantRecord } from "../store/control-store.js";
import type { commonEnvSchema, RegionConfig } from "./config.js";
import type { z } from "zod";

export interface RuntimeParts {
  config: z.infer<typeof commonEnvSchema>;
  regions: Record<string, RegionConfig>;
  controlClient: Client;
  openTenantClient: (tenant: TenantRecord) => Client | Promise<Client>;
  migrations: { control: Migration[]; tenant: Migration[] };
  kernels: Kernels;
  logger: Logger;
  /** Embedded location for a tenant in an embedded region (runtimes without files never return one). */
  embeddedDbUrl?: (tenantId: string, region: string) => string;
  /** Called once with a generated platform token when none is configured (Node/Deno print it). */
  onGeneratedAdminToken?: (token: string) => void;
  clock?: () => Date;
  /**
   * The evidence signing key when FAIRGATE_EVIDENCE_SIGNING_KEY is unset: Node and Deno
   * read it from (or generate it once into) the data directory; Workers have none.
   */
  loadOrCreateEvidenceKey?: () => { seed: string; generatedAt: string | null };
  /** Called once when a signing key was generated (Node/Deno report it like the admin token). */
  onGeneratedEvidenceKey?: (publicKey: string, where: string) => void;
  /** Where commits that queued alerts are signalled; a fresh one when absent. */
  outbox?: OutboxSignal;
  /** The /docs renderer bundle's text (Node/Deno read it from node_modules, Workers from the bundle). */
  docsBundle: () => Promise<string>;
  /** A synchronous SHA-256 hex of an API key, where the runtime has one (AppDeps.hashApiKey). */
  hashApiKey?: (key: string) => string;
  /** Renders report.pdf (Node: headless Chromium); null or absent → 501 pdf_unavailable. */
  pdfRenderer?: PdfRenderer | null;
}

const ADMIN_TOKEN_SETTING = "platform_admin_token_sha256";

/** Builds dependencies; applies control-store migrations and bootstraps the platform token. */
export async function buildDeps(parts: RuntimeParts): Promise<AppDeps> {
  // The control store gets the same deadline as tenant stores: a locked control.db fails requests, it does not stall them.
  const controlClient = withDeadline(parts.controlClient, parts.config.FAIRGATE_STORE_TIMEOUT_MS);
  await migrate(controlClient, parts.migrations.control);
  const control = createControlStore(controlClient);
  const regionNames = Object.keys(parts.regions);

  let adminHash: string;
  if (parts.config.FAIRGATE_ADMIN_TOKEN) {
    adminHash = await sha256Hex(parts.config.FAIRGATE_ADMIN_TOKEN);
  } else {
    const stored = await control.getSetting(ADMIN_TOKEN_SETTING);
    if (stored) adminHash = stored;
    else {
      if (!parts.onGeneratedAdminToken) throw new Error("FAIRGATE_ADMIN_TOKEN is required on this runtime");
      const token = randomSecret("fgp_");
      const mine = await sha256Hex(token);
      adminHash = await control.putSettingIfAbsent(ADMIN_TOKEN_SETTING, mine);
      // Only the process whose hash was stored shows its token; a racing process's token would not work.
      if (adminHash === mine) parts.onGeneratedAdminToken(token);
    }
  }

  const placement: Placement = {
    regions: regionNames,
    defaultRegion: parts.config.FAIRGATE_DEFAULT_REGION ?? regionNames[0]!,
    dbUrlFor(tenantId, region) {
      const r = parts.regions[region];
      if (r?.url) return r.url.replaceAll("{tenantId}", tenantId);
      if (!parts.embeddedDbUrl) throw new Error(`region "${region}" has no database URL and this runtime has no embedded storage`);
      return parts.embeddedDbUrl(tenantId, region);
    },
  };

  let seed = parts.config.FAIRGATE_EVIDENCE_SIGNING_KEY;
  if (!seed) {
    if (!parts.loadOrCreateEvidenceKey) throw new Error("FAIRGATE_EVIDENCE_SIGNING_KEY is required on this runtime");
    const loaded = parts.loadOrCreateEvidenceKey();
    seed = loaded.seed;
    if (loaded.generatedAt) parts.onGeneratedEvidenceKey?.((await createEvidenceSigner(seed)).publicKey, loaded.generatedAt);
  }
  const signer = await createEvidenceSigner(seed);
  const anchors = createChainAnchorStore(controlClient, signer, parts.clock);

  const outbox = parts.outbox ?? createOutboxSignal();
  const tenants = createTenantRegistry({
    control,
    openClient: parts.openTenantClient,
    migrations: parts.migrations.tenant,
    outbox,
    storeTimeoutMs: parts.config.FAIRGATE_STORE_TIMEOUT_MS,
    anchors,
    onAnchorFailure: (tenantId, e) => parts.logger.error("chain anchor not advanced; the next write repairs it", { tenantId, ...errorFields(e) }),
  });
  const kernels = parts.kernels;
  return {
    control,
    tenants,
    kernels,
    clock: parts.clock ?? (() => new Date()),
    newId: () => crypto.randomUUID(),
    windowReader: (store) => createSummaryWindowReader(store.window, kernels),
    logger: parts.logger,
    verifyAdminToken: async (token) => hashesEqual(await sha256Hex(token), adminHash),
    cronSecret: parts.config.FAIRGATE_CRON_SECRET ?? null,
    recheckPool: { concurrency: parts.config.FAIRGATE_RECHECK_CONCURRENCY, budgetMs: parts.config.FAIRGATE_RECHECK_TENANT_BUDGET_MS },
    placement,
    limits: {
      jsonMaxBytes: parts.config.FAIRGATE_JSON_MAX_BYTES,
      bulkMaxBytes: parts.config.FAIRGATE_BULK_MAX_BYTES,
      bulkMaxLines: parts.config.FAIRGATE_BULK_MAX_LINES,
      evaluateMaxBytes: parts.config.FAIRGATE_EVALUATE_MAX_BYTES,
      rateLimits: {
        limits: {
          decisions: { perSecond: parts.config.FAIRGATE_RATE_LIMIT_PER_SECOND, burst: parts.config.FAIRGATE_RATE_LIMIT_BURST },
          bulk: { perSecond: parts.config.FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE / 60, burst: parts.config.FAIRGATE_BULK_RATE_LIMIT_BURST },
        },
        maxBuckets: parts.config.FAIRGATE_RATE_LIMIT_MAX_BUCKETS,
      },
    },
    outbox,
    anchors,
    docsBundle: parts.docsBundle,
    ...(parts.hashApiKey ? { hashApiKey: parts.hashApiKey } : {}),
    ...(parts.pdfRenderer ? { pdfRenderer: parts.pdfRenderer } : {}),
  };
}
