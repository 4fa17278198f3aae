/**
 * @module test/e2e/tenant-isolation
 * One tenant's trouble stays that tenant's, on the real Node
 * gateway over HTTP with real files: another process holds an exclusive lock on
 * tenant A's database → A gets 503 store_unavailable within the deadline while B
 * and /healthz answer, /readyz is degraded without naming anyone; a garbage
 * database file → 503 (never 500) and the others work; database files are 0600
 * and data directories 0700.
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFaultTenant, type FaultTenant, holdExclusiveLock, type HeldLock, probe, recommend } from "../../scripts/faults/fixture.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";

const DEADLINE_MS = 1000;
const root = mkdtempSync(join(tmpdir(), "fairgate-isolation-"));
// A directory the gateway creates itself, so its mode is the gateway's choice.
const dataDir = join(root, "data");
const adminToken = "isolation-admin-token-" + crypto.randomUUID();
const env = { FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: adminToken, FAIRGATE_STORE_TIMEOUT_MS: String(DEADLINE_MS) };
let server: SpawnedServer;
let a: FaultTenant;
let b: FaultTenant;
let lock: HeldLock | null = null;
const dbOf = (t: FaultTenant) => join(dataDir, "tenants", `${t.id}.db`);

beforeAll(async () => {
  server = await spawnNodeServer(env);
  a = await createFaultTenant(server.baseUrl, adminToken, "tenant-a");
  b = await createFaultTenant(server.baseUrl, adminToken, "tenant-b");
  for (const t of [a, b]) expect((await recommend(server.baseUrl, t)).status).toBe(200);
});

afterAll(async () => {
  await lock?.release();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("an exclusive lock on tenant A's database", () => {
  it("gives A a fast 503 while B, /healthz and /readyz answer; clears after release", async () => {
    lock = await holdExclusiveLock(dbOf(a), 20_000);
    const locked = await recommend(server.baseUrl, a);
    expect(locked.status).toBe(503);
    expect(locked.body).toMatchObject({ code: "store_unavailable", status: 503 });
    expect(JSON.stringify(locked.body)).not.toMatch(/at .*\.ts|SQLITE|stack/i);
    expect(locked.ms).toBeLessThan(2 * DEADLINE_MS + 1000);

    // While A's requests wait on the lock, B and the probes answer (the event loop is free).
    const [inFlightA, ...others] = await Promise.all([
      recommend(server.baseUrl, a),
      recommend(server.baseUrl, b),
      recommend(server.baseUrl, b),
      probe(server.baseUrl, "/healthz"),
    ]);
    expect(inFlightA.status).toBe(503);
    for (const r of others) {
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(DEADLINE_MS);
    }
    const ready = await probe(server.baseUrl, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "degraded", unavailableTenantStores: 1 });
    expect(JSON.stringify(ready.body)).not.toContain(a.id);

    await lock.release();
    lock = null;
    // A fails fast for a short cool-down after its last failure, then the next request probes and succeeds.
    let after = await recommend(server.baseUrl, a);
    for (let i = 0; i < 20 && after.status !== 200; i++) {
      await new Promise((ok) => setTimeout(ok, 200));
      after = await recommend(server.baseUrl, a);
    }
    expect(after.status).toBe(200);
    expect((await probe(server.baseUrl, "/readyz")).body).toEqual({ status: "ready", unavailableTenantStores: 0 });
  });
});

describe("file modes", () => {
  it("creates database files (and -wal/-shm) and the generated key 0600, data directories 0700", () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, "tenants"))).toBe(0o700);
    const files = [join(dataDir, "control.db"), dbOf(a), dbOf(b)].flatMap((f) => [f, f + "-wal", f + "-shm"]).filter(existsSync);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect([f, mode(f).toString(8)]).toEqual([f, "600"]);
    // The evidence signing key the gateway generated on first start (no FAIRGATE_EVIDENCE_SIGNING_KEY here).
    expect(mode(join(dataDir, "evidence-signing.key"))).toBe(0o600);
  });
});

describe("a corrupt tenant database file", () => {
  it("is 503 store_unavailable (never 500) after a restart, and the other tenant keeps working", async () => {
    await server.stop();
    for (const side of ["", "-wal", "-shm"]) rmSync(dbOf(a) + side, { force: true });
    writeFileSync(dbOf(a), Buffer.alloc(64 * 1024, "garbage! "));
    server = await spawnNodeServer(env);
    const r = await recommend(server.baseUrl, a);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "store_unavailable" });
    expect((await recommend(server.baseUrl, b)).status).toBe(200);
    expect((await probe(server.baseUrl, "/readyz")).body).toEqual({ status: "degraded", unavailableTenantStores: 1 });
  });
});
