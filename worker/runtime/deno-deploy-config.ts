/**
 * @module runtime/deno-deploy-config
 * Configuration for the Deno Deploy entry: the Worker's URL-only schema (every
 * database is a libSQL server; Deploy has no writable file system and cannot
 * load the native driver) with Deploy's wording, plus PORT and HOST for a local
 * `deno run`. The platform token and the evidence signing key are required:
 * nothing can be generated into a file, and a generated token printed to a
 * Deploy log would be a leak. Parsed once at start; a bad variable is one line
 * naming it.
 */
import { z } from "zod";
import { workerEnvSchema } from "./cloudflare-config.js";
import { ConfigError, evidenceKeySchema, parseEnv, regionsOf, type RegionConfig } from "./config.js";

const NO_FILES = "file: URLs cannot work on Deno Deploy (no writable file system, no native driver); use a libSQL server URL (libsql://…, https://…)";

const serverUrl = z
  .string()
  .refine((s) => !s.startsWith("file:"), NO_FILES)
  .pipe(z.string().regex(/^(libsql|https?|wss?):\/\//, "must be a libsql://, http(s):// or ws(s):// URL"));

const intVar = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

/** Variables the Deno Deploy entry reads (Deploy's environment variables; secrets are ordinary variables there). */
export const denoDeployEnvSchema = workerEnvSchema.extend({
  FAIRGATE_ADMIN_TOKEN: z
    .string({ error: "is required on Deno Deploy (set it as an environment variable of the project; nothing is generated)" })
    .min(16, "must be at least 16 characters"),
  FAIRGATE_EVIDENCE_SIGNING_KEY: z
    .string({ error: "is required on Deno Deploy (64 hex digits or 43 base64url characters; there is no data directory to generate one into)" })
    .pipe(evidenceKeySchema),
  FAIRGATE_CONTROL_DB_URL: z.string({ error: "is required on Deno Deploy (the control store is a libSQL server, e.g. libsql://…turso.io)" }).pipe(serverUrl),
  /** Ignored by Deploy itself (it assigns the listener); used by a local `deno run`. */
  PORT: intVar(8787, 0, 65535),
  HOST: z.string().min(1).default("127.0.0.1"),
  FAIRGATE_SHUTDOWN_TIMEOUT_MS: intVar(10_000, 100, 600_000),
});
export type DenoDeployConfig = z.infer<typeof denoDeployEnvSchema>;

/** Parsed configuration with its region map (every region has a server URL). */
export interface ParsedDenoDeployEnv {
  config: DenoDeployConfig;
  regions: Record<string, RegionConfig & { url: string }>;
}

/** Parses the environment; throws ConfigError with one line naming the variable. */
export function parseDenoDeployEnv(env: Record<string, string | undefined>): ParsedDenoDeployEnv {
  const config = parseEnv(denoDeployEnvSchema, env);
  if (!config.FAIRGATE_REGIONS)
    throw new ConfigError(
      'Invalid configuration: FAIRGATE_REGIONS: is required on Deno Deploy (tenant databases are libSQL servers), e.g. {"default":{"url":"libsql://…"}}',
    );
  const regions: Record<string, RegionConfig & { url: string }> = {};
  for (const [name, r] of Object.entries(regionsOf(config))) {
    if (!r.url) throw new ConfigError(`Invalid configuration: FAIRGATE_REGIONS: region "${name}" needs a "url" on Deno Deploy (there is no embedded storage)`);
    regions[name] = { ...r, url: r.url };
  }
  return { config, regions };
}

/**
 * The URL handed to `@libsql/client/web`: Hrana over HTTP (ws(s):// becomes
 * http(s)://), as on Workers, so each statement or batch is a plain fetch with
 * the store deadline around it. A `file:` URL (a tenant placed by a Node
 * gateway sharing this control store) is refused with one line.
 */
export function deployTransportUrl(url: string): string {
  if (url.startsWith("file:")) throw new ConfigError(`Invalid database URL: ${NO_FILES}`);
  return url.replace(/^ws:\/\//, "http://").replace(/^wss:\/\//, "https://");
}
