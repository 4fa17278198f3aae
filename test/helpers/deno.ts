/**
 * @module test/helpers/deno
 * Starts the real Deno gateway exactly as `npm run start:deno` does (`deno task
 * start`, i.e. deno.json's flags) with the Deno binary from the `deno` npm
 * package, on a free port with a fresh data directory.
 */
import { openSync, readSync, closeSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { spawnGateway, type SpawnedServer } from "./server.js";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The native Deno binary behind node_modules/.bin/deno. The package's postinstall
 * replaces its Node launcher with the binary; the launcher does not forward
 * SIGTERM, so graceful-shutdown tests would hang on it: fail clearly instead.
 */
export function denoBinary(): string {
  const bin = realpathSync(join(ROOT, "node_modules/.bin/deno"));
  const head = Buffer.alloc(4);
  const fd = openSync(bin, "r");
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head.toString("latin1", 1, 4) !== "ELF")
    throw new Error(`${bin} is the deno npm package's Node launcher, not the binary: its postinstall did not run (\`npm rebuild deno\`)`);
  return bin;
}

/** Spawns `deno task start` and resolves once it logs "listening". */
export function spawnDenoServer(env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnGateway(denoBinary(), ["task", "start"], env);
}
