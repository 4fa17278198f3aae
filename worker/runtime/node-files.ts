/**
 * @module runtime/node-files
 * File-system pieces for Node (and Deno via its Node compatibility): loading
 * migrations and the /docs renderer bundle from disk, and embedded libSQL file
 * clients with durable pragmas.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, type Migration, parseMigrations } from "../store/sql.js";
import { createThreadLibsqlClient } from "./libsql-thread.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("../store/migrations/", import.meta.url));

/** Reads `worker/store/migrations/{control,tenant}/*.sql`. */
export function loadMigrationsFromDisk(dir = MIGRATIONS_DIR): { control: Migration[]; tenant: Migration[] } {
  const load = (sub: string) =>
    parseMigrations(Object.fromEntries(readdirSync(join(dir, sub)).filter((f) => f.endsWith(".sql")).map((f) => [f, readFileSync(join(dir, sub, f), "utf8")])));
  return { control: load("control"), tenant: load("tenant") };
}

/** Scalar's standalone browser bundle (the /docs renderer), from this repository's node_modules. */
export const DOCS_BUNDLE_FILE = fileURLToPath(new URL("../../node_modules/@scalar/api-reference/dist/browser/standalone.js", import.meta.url));

/** Reads the /docs renderer bundle (on first use; the route keeps it). */
export async function readDocsBundleFromDisk(file = DOCS_BUNDLE_FILE): Promise<string> {
  return readFile(file, "utf8");
}

/** Resolves a `file:` URL that may be relative to the data directory. */
export function resolveFileUrl(url: string, dataDir: string): string {
  const path = url.slice("file:".length);
  return "file:" + (isAbsolute(path) ? path : resolve(dataDir, path));
}

/**
 * Which driver opens embedded files: the native `libsql` package in one worker
 * thread per file (default: a locked or slow file never blocks the event loop),
 * the same driver on the calling thread (tools and benches), or `@libsql/client`.
 */
export type FileDriver = "thread" | "native" | "client";

/** Owner-only modes: database files and secrets hold every tenant's decisions and keys. */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** Creates `dir` (and missing parents) readable by the owner only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
}

/**
 * Creates a database file with mode 0600 before SQLite opens it (SQLite gives
 * its -wal and -shm files the database file's mode), and tightens an existing one.
 */
function preparePrivateFile(path: string): void {
  ensurePrivateDir(dirname(path));
  if (!existsSync(path)) closeSync(openSync(path, "a", FILE_MODE));
  chmodSync(path, FILE_MODE);
  for (const side of ["-wal", "-shm"]) if (existsSync(path + side)) chmodSync(path + side, FILE_MODE);
}

/**
 * Writes a secret (a generated token or key) readable by the owner only. Fails
 * if the file exists, so two processes racing to generate one cannot overwrite
 * each other's; the caller then reads the winner's.
 */
export function writeSecretFile(path: string, content: string | Uint8Array): void {
  ensurePrivateDir(dirname(path));
  writeFileSync(path, content, { mode: FILE_MODE, flag: "wx" });
}

/**
 * Opens a libSQL client. Local files get WAL, synchronous=FULL (a 2xx means the
 * trace survives power loss) and a busy timeout for other processes on the file;
 * a file that cannot be opened as a database (corrupt, unreadable) fails here,
 * with the client closed. intMode is explicit: every integer we store fits in a JS number.
 */
export async function openLibsql(url: string, authToken: string | undefined, dataDir: string, fileDriver: FileDriver = "thread"): Promise<Client> {
  if (url.startsWith("file:")) {
    const path = resolveFileUrl(url, dataDir).slice("file:".length);
    preparePrivateFile(path);
    if (fileDriver === "thread") {
      // The thread applies the pragmas itself (again after a restart); this probe surfaces an unopenable file now.
      const client = createThreadLibsqlClient(path);
      try {
        await client.execute("PRAGMA journal_mode");
      } catch (e) {
        client.close();
        throw e;
      }
      return client;
    }
    const client = fileDriver === "native" ? (await import("./libsql-native.js")).createNativeLibsqlClient(path) : await remoteClient({ url: "file:" + path });
    try {
      await client.execute("PRAGMA journal_mode = WAL");
      await client.execute("PRAGMA synchronous = FULL");
      await client.execute("PRAGMA busy_timeout = 5000");
    } catch (e) {
      client.close();
      throw e;
    }
    return client;
  }
  return remoteClient({ url, authToken });
}

/**
 * @libsql/client, loaded only when a database is opened through it (a libsql server or Turso
 * URL, or the "client" file driver): the default embedded files never use it, and loading it
 * costs a gateway ~10 MiB of RSS (its HTTP/WebSocket stack and the native driver it wraps).
 */
async function remoteClient(config: { url: string; authToken?: string }): Promise<Client> {
  const { createClient } = await import("@libsql/client");
  return createClient({ ...config, intMode: "number" });
}

/**
 * Reads a generated secret from `path`, or generates it there (mode 0600) when
 * absent. `generatedAt` is the path when this call created it (to report once),
 * null when it already existed; a process that loses a creation race reads the winner's.
 */
export function loadOrCreateSecretFile(path: string, generate: () => string): { seed: string; generatedAt: string | null } {
  if (existsSync(path)) return { seed: readFileSync(path, "utf8").trim(), generatedAt: null };
  const value = generate();
  try {
    writeSecretFile(path, value + "\n");
    return { seed: value, generatedAt: path };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return { seed: readFileSync(path, "utf8").trim(), generatedAt: null };
    throw e;
  }
}
