/**
 * @module runtime/node-files
 * File-system pieces for Node (and Deno via its Node compatibility): loading
 * migrations from disk, and embedded libSQL file clients with durable pragmas.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";
import { type Client, type Migration, parseMigrations } from "../store/sql.js";
import { createNativeLibsqlClient } from "./libsql-native.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../store/migrations/", import.meta.url));

/** Reads `worker/store/migrations/{control,tenant}/*.sql`. */
export function loadMigrationsFromDisk(dir = MIGRATIONS_DIR): { control: Migration[]; tenant: Migration[] } {
  const load = (sub: string) =>
    parseMigrations(Object.fromEntries(readdirSync(join(dir, sub)).filter((f) => f.endsWith(".sql")).map((f) => [f, readFileSync(join(dir, sub, f), "utf8")])));
  return { control: load("control"), tenant: load("tenant") };
}

/** Resolves a `file:` URL that may be relative to the data directory. */
export function resolveFileUrl(url: string, dataDir: string): string {
  const path = url.slice("file:".length);
  return "file:" + (isAbsolute(path) ? path : resolve(dataDir, path));
}

/** Which driver opens embedded files: the native `libsql` package (default, fastest) or `@libsql/client`. */
export type FileDriver = "native" | "client";

/**
 * Opens a libSQL client. Local files get WAL, synchronous=FULL (a 2xx means the
 * trace survives power loss) and a busy timeout for other processes on the file.
 * intMode is explicit: every integer we store fits in a JS number.
 */
export async function openLibsql(url: string, authToken: string | undefined, dataDir: string, fileDriver: FileDriver = "native"): Promise<Client> {
  if (url.startsWith("file:")) {
    const full = resolveFileUrl(url, dataDir);
    mkdirSync(dirname(full.slice("file:".length)), { recursive: true });
    const client = fileDriver === "native" ? createNativeLibsqlClient(full.slice("file:".length)) : createClient({ url: full, intMode: "number" });
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA synchronous = FULL");
    await client.execute("PRAGMA busy_timeout = 5000");
    return client;
  }
  return createClient({ url, authToken, intMode: "number" });
}
