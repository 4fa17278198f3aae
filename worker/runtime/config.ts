/**
 * @module runtime/config
 * Environment → configuration, parsed once at start with zod. A bad variable
 * stops the process with one line naming it.
 */
import { Cron } from "croner";
import { z } from "zod";
import { parseSeed } from "../domain/chain-sign.js";

const regionName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "region names are lowercase letters, digits and '-'");

/** One region's tenant-database placement: embedded (no url) or a libSQL server URL template. */
const regionSchema = z.strictObject({
  /** libsql://, http(s):// or ws(s):// URL; `{tenantId}` is replaced by the tenant id. Absent = embedded files. */
  url: z.string().regex(/^(libsql|https?|wss?):\/\//, "must be a libsql://, http(s):// or ws(s):// URL").optional(),
  authToken: z.string().min(1).optional(),
});
export type RegionConfig = z.infer<typeof regionSchema>;

const jsonRegions = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be JSON like {\"eu\":{},\"us\":{\"url\":\"libsql://…\"}}" });
      return z.NEVER;
    }
  })
  .pipe(z.record(regionName, regionSchema).refine((r) => Object.keys(r).length > 0, "must name at least one region"));

const cronExpr = z.string().refine((s) => {
  if (s === "off") return true;
  try {
    new Cron(s, { paused: true, timezone: "UTC" }).stop();
    return true;
  } catch {
    return false;
  }
}, "must be a cron expression (e.g. \"0 3 * * *\") or \"off\"");

const intVar = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** Variables shared by every runtime. */
/** An Ed25519 seed in text form (validated here so a bad key stops the start with one line). */
export const evidenceKeySchema = z.string().refine(
  (s) => {
    try {
      parseSeed(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: "must be a 32-byte Ed25519 seed: 64 hex digits or 43 base64url characters" },
);

export const commonEnvSchema = z.object({
  /** Signs chain heads; Node/Deno generate one into the data directory when unset, Workers require it. */
  FAIRGATE_EVIDENCE_SIGNING_KEY: evidenceKeySchema.optional(),
  FAIRGATE_ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  FAIRGATE_CRON_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  FAIRGATE_RECHECK_CRON: cronExpr.default("0 3 * * *"),
  /** Re-evaluates flows whose override ended; on Workers it names which cron trigger is the sweep. */
  FAIRGATE_EXPIRY_SWEEP_CRON: cronExpr.default("*/15 * * * *"),
  FAIRGATE_REGIONS: jsonRegions.optional(),
  FAIRGATE_DEFAULT_REGION: regionName.optional(),
  FAIRGATE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  FAIRGATE_JSON_MAX_BYTES: intVar(1024 * 1024, 1024, 64 * 1024 * 1024),
  FAIRGATE_BULK_MAX_BYTES: intVar(16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  FAIRGATE_BULK_MAX_LINES: intVar(50_000, 1, 1_000_000),
  /** POST /fairness/evaluate has its own body limit (100,000 inline samples or a trace join's lookups). */
  FAIRGATE_EVALUATE_MAX_BYTES: intVar(16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
  /** Per-key token bucket on recommend + outcomes: sustained requests/s (0 = off) and burst. */
  // Above what one process serves from one key (bench:recommend), so a default stops a runaway key, not traffic.
  FAIRGATE_RATE_LIMIT_PER_SECOND: intVar(5_000, 0, 1_000_000),
  FAIRGATE_RATE_LIMIT_BURST: intVar(10_000, 1, 10_000_000),
  /** Per-key token bucket on bulk trace loads: sustained requests/minute (0 = off) and burst. */
  FAIRGATE_BULK_RATE_LIMIT_PER_MINUTE: intVar(600, 0, 1_000_000),
  FAIRGATE_BULK_RATE_LIMIT_BURST: intVar(100, 1, 1_000_000),
  /** Most rate-limit buckets held in memory per process (idle ones are dropped first). */
  FAIRGATE_RATE_LIMIT_MAX_BUCKETS: intVar(10_000, 1, 10_000_000),
  /** Deadline of one database operation (any transport); past it the tenant's request is a 503 store_unavailable. */
  FAIRGATE_STORE_TIMEOUT_MS: intVar(5_000, 50, 120_000),
  /** Tenants one recheck run evaluates at once (Node/Deno, and Workers without a queue; a Worker's queue batch too). */
  FAIRGATE_RECHECK_CONCURRENCY: intVar(4, 1, 64),
  /** How long one tenant's recheck may take before it is reported timed_out and the others go on. */
  FAIRGATE_RECHECK_TENANT_BUDGET_MS: intVar(60_000, 100, 3_600_000),
  /** Workers queue: delay of a failed tenant message's first retry, doubled per attempt (at most 1 h). */
  FAIRGATE_RECHECK_RETRY_DELAY_SECONDS: intVar(30, 0, 3_600),
});

/** Node and Deno: embedded files by default. */
export const serverEnvSchema = commonEnvSchema.extend({
  PORT: intVar(8787, 0, 65535),
  HOST: z.string().min(1).default("127.0.0.1"),
  FAIRGATE_DATA_DIR: z.string().min(1).default("./data"),
  FAIRGATE_CONTROL_DB_URL: z.string().regex(/^(file:|libsql:\/\/|https?:\/\/|wss?:\/\/)/, "must be a file:, libsql://, http(s):// or ws(s):// URL").optional(),
  FAIRGATE_CONTROL_DB_AUTH_TOKEN: z.string().min(1).optional(),
  FAIRGATE_KERNELS: z.enum(["wasm", "reference"]).default("wasm"),
  /** thread: native driver in one worker thread per file (default); native: same driver on the main thread; client: @libsql/client. */
  FAIRGATE_FILE_DRIVER: z.enum(["thread", "native", "client"]).default("thread"),
  FAIRGATE_SHUTDOWN_TIMEOUT_MS: intVar(10_000, 100, 600_000),
  /** report.pdf (Node): unset = /usr/bin/chromium (or another usual path) when present, "off", or the browser's path (checked at start). */
  FAIRGATE_CHROMIUM_PATH: z.string().min(1).optional(),
  /** PDF renders at once (one page each in the one browser); more wait in order. */
  FAIRGATE_PDF_CONCURRENCY: intVar(2, 1, 16),
  /** One PDF render's budget, waiting included; past it the request is a 503 pdf_timeout. */
  FAIRGATE_PDF_TIMEOUT_MS: intVar(30_000, 1_000, 300_000),
});
export type ServerConfig = z.infer<typeof serverEnvSchema>;

/** Raised for invalid configuration; its message is the one line to print. */
export class ConfigError extends Error {}

/** Parses env with `schema`; throws ConfigError("Invalid configuration: VAR: problem"). */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  // Empty strings mean "unset" (a common artefact of `VAR= cmd` and .env files).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = schema.safeParse(clean);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${i.path.join(".") || "(env)"}: ${i.message}`);
  }
  const cfg = r.data as { FAIRGATE_REGIONS?: Record<string, RegionConfig>; FAIRGATE_DEFAULT_REGION?: string };
  const regions = Object.keys(cfg.FAIRGATE_REGIONS ?? { default: {} });
  if (cfg.FAIRGATE_DEFAULT_REGION && !regions.includes(cfg.FAIRGATE_DEFAULT_REGION))
    throw new ConfigError(`Invalid configuration: FAIRGATE_DEFAULT_REGION: "${cfg.FAIRGATE_DEFAULT_REGION}" is not one of FAIRGATE_REGIONS (${regions.join(", ")})`);
  return r.data;
}

/** Region map with the embedded default when none is configured. */
export function regionsOf(cfg: { FAIRGATE_REGIONS?: Record<string, RegionConfig> | undefined }): Record<string, RegionConfig> {
  return cfg.FAIRGATE_REGIONS ?? { default: {} };
}
