/**
 * Tamper evidence: audit rows and evaluations are hash-chained per tenant;
 * GET /audit-log/verify and the offline `fairgate verify` over the export use
 * the same verifier and find the first edited row.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, createChainVerifier, GENESIS, linkHash } from "../../worker/domain/chain.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import { main } from "../../scripts/fairgate.js";
import { openTenantDb } from "../integration/_support.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";
import { blockedAndBypassed, type EvidenceFixture } from "./_fixture.js";

const io = () => {
  const out = { stdout: "", stderr: "" };
  return { out, io: { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } } };
};

describe("canonical JSON and links", () => {
  it("sorts keys at every depth and ignores key order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: "x" }, u: undefined })).toBe('{"a":{"c":"x","d":[2,{"y":null,"z":1}]},"b":1}');
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const shuffled = JSON.parse(JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x)));
        expect(canonicalJson(shuffled)).toBe(canonicalJson(v));
      }),
      { numRuns: 200 },
    );
  });

  it("the verifier finds an edited, a removed and a cut-off link", async () => {
    const links: { id: string; chainSeq: number; prevHash: string; hash: string; content: unknown }[] = [];
    let prev = GENESIS;
    for (let seq = 1; seq <= 4; seq++) {
      const content = { n: seq };
      const hash = await linkHash("audit", seq, prev, content);
      links.push({ id: `r${seq}`, chainSeq: seq, prevHash: prev, hash, content });
      prev = hash;
    }
    const run = async (ls: typeof links, head = { seq: 4, hash: prev }) => {
      const v = createChainVerifier("audit");
      for (const l of ls) await v.push(l);
      return v.result(head);
    };
    expect(await run(links)).toMatchObject({ ok: true, rows: 4, firstBrokenId: null });
    expect(await run(links.map((l) => (l.id === "r2" ? { ...l, content: { n: 99 } } : l)))).toMatchObject({ ok: false, firstBrokenId: "r2", reason: "hash_mismatch" });
    expect(await run(links.filter((l) => l.id !== "r2"))).toMatchObject({ ok: false, firstBrokenId: "r3", reason: "seq_gap" });
    expect(await run(links.slice(0, 3))).toMatchObject({ ok: false, firstBrokenId: null, reason: "head_mismatch" });
  });
});

describe("chained writes", () => {
  it("concurrent writers on one database file (two clients) keep one unbroken chain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fairgate-chain-"));
    const url = `file:${join(dir, "t.db")}`;
    const a = await createTestTenantStore(url);
    const { createClient } = await import("@libsql/client");
    const c2 = createClient({ url, intMode: "number" });
    await c2.execute("PRAGMA busy_timeout = 5000");
    await a.client.execute("PRAGMA busy_timeout = 5000");
    const b = createTenantStore(c2, "t1");
    const entry = (i: number) => ({ entityType: "x", entityId: `e${i}`, action: "touch", actor: "tester", details: { i } });
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => {
        const s = i % 2 ? a.store : b;
        return s.write([s.evidence.auditStmt(`id-${i}`, entry(i), new Date(1_700_000_000_000 + i).toISOString())]);
      }),
    );
    const { verifyChain } = await import("../../worker/services/chain.js");
    expect(await verifyChain(a.store, "audit")).toMatchObject({ ok: true, rows: 24 });
    a.client.close();
    c2.close();
  });
});

describe("paging", () => {
  it("verification and export cross page boundaries (1,100 rows written 100 per batch)", async () => {
    const { store, client } = await createTestTenantStore();
    for (let b = 0; b < 11; b++)
      await store.write(Array.from({ length: 100 }, (_, i) => store.evidence.auditStmt(`r-${b}-${i}`, { entityType: "x", entityId: `${b}`, action: "a", actor: "t", after: { i } }, new Date(1_700_000_000_000 + b).toISOString())));
    const { verifyChain, exportLines } = await import("../../worker/services/chain.js");
    expect(await verifyChain(store, "audit")).toMatchObject({ ok: true, rows: 1100 });
    const { createExportVerifier } = await import("../../worker/domain/chain-export.js");
    const v = createExportVerifier();
    let n = 0;
    for await (const chunk of exportLines(store, new Date())) for (const l of chunk.trim().split("\n")) await v.push(JSON.parse(l), ++n);
    expect(n).toBe(1101);
    expect(await v.result()).toMatchObject({ ok: true, chains: { audit: { rows: 1100 }, evaluation: { rows: 0 } } });
    client.close();
  });
});

describe("audit log verification over HTTP and offline", () => {
  let f: EvidenceFixture;
  const dir = mkdtempSync(join(tmpdir(), "fairgate-export-"));
  beforeAll(async () => {
    f = await blockedAndBypassed();
  });
  afterAll(async () => {
    await f.app.close();
  });

  const exportTo = async (name: string) => {
    const res = await f.app.fetch("/api/v1/audit-log/export", { headers: { authorization: `Bearer ${f.fx.keys.auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const file = join(dir, name);
    writeFileSync(file, await res.text());
    return file;
  };

  it("an untouched log verifies, for every reader role, and the export verifies offline (exit 0)", async () => {
    for (const role of ["publisher", "admin", "approver", "auditor"] as const) {
      const r = await f.api.request("GET", "/api/v1/audit-log/verify", { token: f.fx.keys[role] });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ ok: true, firstBrokenId: null, evaluations: { ok: true, rows: 2 } });
      expect(r.body.rows).toBeGreaterThanOrEqual(6);
    }
    expect((await f.api.request("GET", "/api/v1/audit-log/verify", { token: f.fx.keys.operator })).status).toBe(403);
    const file = await exportTo("good.ndjson");
    const lines = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    // Format 2: the heads plus the control store's signed anchors and the key that signed them.
    expect(lines[0]).toMatchObject({ format: "fairgate-evidence/2", tenantId: f.fx.id, anchors: { audit: { seq: expect.any(Number), signature: expect.any(String) } }, publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(lines[1]).toMatchObject({ chain: "audit", chainSeq: 1, prevHash: GENESIS, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const { out, io: cio } = io();
    expect(await main(["verify", file], cio)).toBe(0);
    expect(out.stdout).toContain("INTACT");
  });

  it("an edited export fails offline (exit 1); bad usage and a non-export exit 2", async () => {
    const file = await exportTo("edited.ndjson");
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const third = JSON.parse(lines[3]!);
    third.content.actor = "mallory";
    lines[3] = JSON.stringify(third);
    writeFileSync(file, lines.join("\n") + "\n");
    const r1 = io();
    expect(await main(["verify", file], r1.io)).toBe(1);
    expect(r1.out.stdout).toContain(third.id);
    // Dropping the last line is truncation: caught by the head in the header.
    writeFileSync(file, readFileSync(join(dir, "good.ndjson"), "utf8").trim().split("\n").slice(0, -1).join("\n") + "\n");
    expect(await main(["verify", file], io().io)).toBe(1);
    expect(await main(["verify"], io().io)).toBe(2);
    expect(await main(["verify", file, "--input", "x.csv"], io().io)).toBe(2);
    expect(await main(["verify", join(dir, "missing.ndjson")], io().io)).toBe(2);
    writeFileSync(join(dir, "junk.ndjson"), '{"hello":1}\n');
    const junk = io();
    expect(await main(["verify", join(dir, "junk.ndjson")], junk.io)).toBe(2);
    expect(junk.out.stderr).toContain("header");
  });

  it("a row edited directly in the database file fails verification at that row", async () => {
    const rows = (await f.api.request("GET", "/api/v1/audit-log?limit=500", { token: f.fx.keys.auditor })).body.items;
    const victim = rows[2];
    const db = openTenantDb(f.app, f.fx.id);
    try {
      await db.execute("PRAGMA busy_timeout = 5000");
      // The append-only trigger stops honest mistakes; an attacker with the file can drop it.
      await db.execute("DROP TRIGGER audit_log_no_update");
      await db.execute({ sql: "UPDATE audit_log SET reason = 'nothing to see here' WHERE id = ?", args: [victim.id] });
      // And an evaluation's verdict rewritten from block to pass.
      await db.execute("DROP TRIGGER fairness_evaluations_no_update");
      await db.execute({ sql: "UPDATE fairness_evaluations SET verdict = 'pass' WHERE id = ?", args: [f.blockedEvaluationId] });
    } finally {
      db.close();
    }
    const r = await f.api.request("GET", "/api/v1/audit-log/verify", { token: f.fx.keys.auditor });
    expect(r.body).toMatchObject({ ok: false, firstBrokenId: victim.id, reason: "hash_mismatch", evaluations: { ok: false, firstBrokenId: f.blockedEvaluationId } });
    const file = await exportTo("tampered.ndjson");
    const out = io();
    expect(await main(["verify", file], out.io)).toBe(1);
    expect(out.out.stdout).toContain(victim.id);
  });
});
