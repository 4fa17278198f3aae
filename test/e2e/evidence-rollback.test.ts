/**
 * Rolling a tenant database back to an earlier copy of itself, the way an
 * insider with file access would: stop the gateway, copy the old file over,
 * start it again. Everything in the file is self-consistent; only the signed
 * anchor in the control store knows the chain was longer. The real Node
 * gateway, real files, real HTTP.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { createClient } from "../helpers/client.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";

const dataDir = mkdtempSync(join(tmpdir(), "fairgate-rollback-"));
const env = { FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: "rollback-admin-token-" + crypto.randomUUID() };
let server: SpawnedServer | null = null;

afterAll(async () => {
  await server?.stop();
});

async function start() {
  server = await spawnNodeServer(env);
  return createClient(server.baseUrl);
}
async function stop() {
  expect(await server!.stop()).toBe(0);
  server = null;
}

describe("a tenant database rolled back to an earlier copy", () => {
  it("is detected at start, by verify and by the offline verifier, and new chained writes are refused", async () => {
    let api = await start();
    const t = await api.post("/api/v1/admin/tenants", env.FAIRGATE_ADMIN_TOKEN, { name: "rollback" });
    expect(t.status).toBe(201);
    const key = async (roles: string[]) => (await api.post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, env.FAIRGATE_ADMIN_TOKEN, { principal: `${roles[0]}@rb.test`, roles })).body.key as string;
    const [admin, publisher, auditor] = [await key(["admin"]), await key(["publisher"]), await key(["auditor"])];
    const policy = { fairnessPolicy: { enabled: true, sensitiveAttribute: "ageBand", thresholds: { demographicParityGap: 0.2 }, minSampleSize: 10, windowDays: 7, continuousRecheck: false, onInsufficientSamples: "skip" } };
    expect((await api.put("/api/v1/tenant-settings", admin, policy)).status).toBe(200);
    const flow = (key: string) => ({ key, name: key, definition: { offers: [{ id: "o", eligibility: [], model: { intercept: 0, numeric: {}, categorical: {} }, minPropensity: 0.1 }], maxOffers: 1 } });
    expect((await api.post("/api/v1/decision-flows", publisher, flow("first"))).status).toBe(201);
    // No key configured: one was generated into the data directory, owner-only, and reported once on stderr.
    expect(statSync(join(dataDir, "evidence-signing.key")).mode & 0o777).toBe(0o600);
    expect(server!.logs.filter((l) => l.includes("generated an Ed25519 evidence signing key"))).toHaveLength(1);
    await stop();

    // The insider keeps a copy of the tenant database as it is now.
    const db = join(dataDir, "tenants", `${t.body.id}.db`);
    const copy = join(dataDir, "old-copy.db");
    expect(existsSync(`${db}-wal`) ? "wal left behind" : "checkpointed").toBe("checkpointed");
    copyFileSync(db, copy);

    api = await start();
    // The same key file is read on the next start, not regenerated.
    expect(server!.logs.some((l) => l.includes("generated an Ed25519 evidence signing key"))).toBe(false);
    expect((await api.post("/api/v1/decision-flows", publisher, flow("second"))).status).toBe(201);
    expect((await api.get("/api/v1/audit-log/verify", auditor)).body.ok).toBe(true);
    await stop();

    // Roll back: the old file over the current one.
    for (const side of ["-wal", "-shm"]) rmSync(db + side, { force: true });
    copyFileSync(copy, db);

    api = await start();
    // The start-time reconciliation notices before anyone asks.
    await expect.poll(() => server!.logs.some((l) => l.includes("evidence chain disagrees with its anchor")), { timeout: 10_000 }).toBe(true);
    const v = await api.get("/api/v1/audit-log/verify", auditor);
    expect(v.body.ok).toBe(false);
    expect(v.body.audit.breaks).toEqual([{ id: null, seq: expect.any(Number), reason: "anchor_rollback" }]);
    expect(v.body.audit.anchor).toMatchObject({ signatureValid: true });

    const exported = await fetch(`${server!.baseUrl}/api/v1/audit-log/export`, { headers: { authorization: `Bearer ${auditor}` } });
    const file = join(dataDir, "export.ndjson");
    writeFileSync(file, await exported.text());
    const publicKey = (await api.get("/api/v1/evidence/public-key", auditor)).body.publicKey as string;
    let out = "";
    const code = await main(["verify", file, "--public-key", publicKey], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } });
    expect(code, `${out}\nexport status ${exported.status}`).toBe(1);
    expect(out).toContain("anchor_rollback");

    const refused = await api.post("/api/v1/decision-flows", publisher, flow("third"));
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe("evidence_integrity_failure");
    expect((await api.get("/api/v1/decision-flows", publisher)).body.items.map((f: { key: string }) => f.key)).toEqual(["first"]);
  });
});
