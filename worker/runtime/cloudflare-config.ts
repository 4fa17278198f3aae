/**
 * @module runtime/cloudflare-config
 * Configuration for Cloudflare Workers: the common variables plus the control
 * database (a libSQL server: there is no file system) and a required platform
 * token (a Worker cannot print a generated one to anybody). Parsed once per
 * isolate with zod; a bad variable fails every request with one line naming it.
 */
import { z } from "zod";
import { commonEnvSchema, ConfigError, evidenceKeySchema, parseEnv, regionsOf, type RegionConfig } from "./config.js";

const NO_FILES = "file: URLs cannot work on Cloudflare Workers (no file system); use a libSQL server URL (libsql://…, https://…)";

const serverUrl = z
  .string()
  .refine((s) => !s.startsWith("file:"), NO_FILES)
  .pipe(z.string().regex(/^(libsql|https?|wss?):\/\//, "must be a libsql://, http(s):// or ws(s):// URL"));

/** Variables a Worker reads (vars and secrets). */
export const workerEnvSchema = commonEnvSchema.extend({
  FAIRGATE_ADMIN_TOKEN: z.string({ error: "is required on Workers (set it with `wrangler secret put FAIRGATE_ADMIN_TOKEN`)" }).min(16, "must be at least 16 characters"),
  FAIRGATE_EVIDENCE_SIGNING_KEY: z
    .string({ error: "is required on Workers (set it with `wrangler secret put FAIRGATE_EVIDENCE_SIGNING_KEY`)" })
    .pipe(evidenceKeySchema),
  FAIRGATE_CONTROL_DB_URL: serverUrl,
  FAIRGATE_CONTROL_DB_AUTH_TOKEN: z.string().min(1).optional(),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

/** Parsed Worker configuration with its region map (every region has a server URL). */
export interface ParsedWorkerEnv {
  config: WorkerConfig;
  regions: Record<string, RegionConfig & { url: string }>;
}

/**
 * Parses a Worker's `env`. Non-string bindings are handled so that wrangler
 * `[vars]` written as TOML tables (FAIRGATE_REGIONS = { eu = { url = "…" } })
 * work like JSON strings; other bindings (services, KV, …) are ignored.
 */
export function parseWorkerEnv(env: Record<string, unknown>): ParsedWorkerEnv {
  const vars: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith("FAIRGATE_")) continue;
    if (typeof v === "string") vars[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") vars[k] = String(v);
    else if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) vars[k] = JSON.stringify(v);
  }
  const config = parseEnv(workerEnvSchema, vars);
  if (!config.FAIRGATE_REGIONS)
    throw new ConfigError(
      'Invalid configuration: FAIRGATE_REGIONS: is required on Workers (tenant databases are libSQL servers), e.g. {"default":{"url":"libsql://…"}}',
    );
  const regions: Record<string, RegionConfig & { url: string }> = {};
  for (const [name, r] of Object.entries(regionsOf(config))) {
    if (!r.url) throw new ConfigError(`Invalid configuration: FAIRGATE_REGIONS: region "${name}" needs a "url" on Workers (there is no embedded storage)`);
    regions[name] = { ...r, url: r.url };
  }
  return { config, regions };
}

/**
 * The URL to hand to the libSQL web client so that it always speaks Hrana over
 * HTTP: each statement or batch is then a plain fetch(). A WebSocket would be an
 * I/O object bound to the request that opened it, which a Worker cannot reuse
 * from the next request.
 */
export function httpTransportUrl(url: string): string {
  if (url.startsWith("file:")) throw new ConfigError(`Invalid database URL: ${NO_FILES}`);
  // libsql:// is left alone: the web client already maps it to https (or http with ?tls=0).
  return url.replace(/^ws:\/\//, "http://").replace(/^wss:\/\//, "https://");
}
