/**
 * Attacks by someone with write access to a tenant database, replayed against
 * real libSQL files: each must be caught by GET /audit-log/verify and, where it
 * shows in an export, by `fairgate verify FILE --public-key KEY` — because the
 * chain heads are anchored (and signed) in the control store, outside the
 * tenant database. Also: text that would not be stored as hashed is refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient as createLibsqlClient } from "@libsql/client";
import { afterEach, describe, expect, it } from "vitest";
import { auditContent, evaluationContent, GENESIS, linkHash } from "../../worker/domain/chain.js";
import { createEvidenceSigner } from "../../worker/domain/chain-sign.js";
import { main } from "../../scripts/fairgate.js";
import { openTenantDb } from "../integration/_support.js";
import { blockedAndBypassed, type EvidenceFixture } from "./_fixture.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-tamper-"));
const fixtures: EvidenceFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.app.close();
});

async function fixture(): Promise<EvidenceFixture> {
  const f = await blockedAndBypassed();
  fixtures.push(f);
  return f;
}

const verify = async (f: EvidenceFixture) => (await f.api.request("GET", "/api/v1/audit-log/verify", { token: f.fx.keys.auditor })).body;

async function publicKey(f: EvidenceFixture): Promise<string> {
  const r = await f.api.request("GET", "/api/v1/evidence/public-key", { token: f.fx.keys.auditor });
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ algorithm: "Ed25519", publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  return r.body.publicKey;
}

/** Exports the tenant's evidence and runs `fairgate verify` on it with the gateway's public key. */
async function offline(f: EvidenceFixture, name: string): Promise<{ code: number; stdout: string; verdict: any }> {
  const res = await f.app.fetch("/api/v1/audit-log/export", { headers: { authorization: `Bearer ${f.fx.keys.auditor}` } });
  expect(res.status).toBe(200);
  const file = join(dir, name);
  writeFileSync(file, await res.text());
  const key = await publicKey(f);
  let stdout = "";
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => {} } };
  const code = await main(["verify", file, "--public-key", key], io);
  let json = "";
  let stderr = "";
  await main(["verify", file, "--public-key", key, "--json"], { stdout: { write: (s: string) => (json += s) }, stderr: { write: (s: string) => (stderr += s) } });
  if (!json) throw new Error(`fairgate verify printed no verdict: ${stderr} (export status ${res.status}, ${readFileSync(file, "utf8").length} bytes)`);
  return { code, stdout, verdict: JSON.parse(json) };
}

/** Runs SQL on the tenant database file as an attacker would (triggers dropped first). */
async function onTenantFile(f: EvidenceFixture, run: (db: ReturnType<typeof openTenantDb>) => Promise<void>): Promise<void> {
  const db = openTenantDb(f.app, f.fx.id);
  try {
    await db.execute("PRAGMA busy_timeout = 5000");
    for (const t of ["audit_log_no_update", "audit_log_no_delete", "fairness_evaluations_no_update", "fairness_evaluations_no_delete"]) await db.execute(`DROP TRIGGER IF EXISTS ${t}`);
    await run(db);
  } finally {
    db.close();
  }
}

/** Recomputes every link of both chains with the project's own link function (attack 3's tool). */
async function rechain(db: ReturnType<typeof openTenantDb>): Promise<void> {
  for (const chain of ["audit", "evaluation"] as const) {
    const rows = chain === "audit" ? (await db.execute("SELECT * FROM audit_log ORDER BY seq")).rows : (await db.execute("SELECT rowid AS pos, * FROM fairness_evaluations ORDER BY rowid")).rows;
    let prev = GENESIS;
    let seq = 0;
    for (const r of rows) {
      seq++;
      const content = chain === "audit" ? auditContent(r as never) : evaluationContent(r as never);
      const hash = await linkHash(chain, seq, prev, content);
      const table = chain === "audit" ? "audit_log" : "fairness_evaluations";
      await db.execute({ sql: `UPDATE ${table} SET chain_seq = ?, prev_hash = ?, hash = ? WHERE id = ?`, args: [seq, prev, hash, String(r.id)] });
      prev = hash;
    }
    await db.execute({ sql: "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = ?", args: [seq, prev, chain] });
  }
}

describe("tamper evidence against write access to the tenant database", () => {
  it("1. chain columns nulled and the head deleted after editing rows: every row is reported, not taken for legacy", async () => {
    const f = await fixture();
    const before = await verify(f);
    expect(before).toMatchObject({ ok: true, legacyRows: 0 });
    const rows = before.audit.rows as number;
    await onTenantFile(f, async (db) => {
      await db.execute("UPDATE audit_log SET reason = 'edited' WHERE action = 'publish_blocked'");
      await db.execute("UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, hash = NULL");
      await db.execute("UPDATE fairness_evaluations SET chain_seq = NULL, prev_hash = NULL, hash = NULL");
      await db.execute("DELETE FROM chain_heads");
    });
    const v = await verify(f);
    expect(v.ok).toBe(false);
    expect(v.audit).toMatchObject({ ok: false, rows: 0, legacyRows: 0, breakCounts: { unchained_row: rows, anchor_rollback: 1 } });
    expect(v.evaluations.breakCounts).toMatchObject({ unchained_row: 2, anchor_rollback: 1 });
    const off = await offline(f, "nulled.ndjson");
    expect(off.code).toBe(1);
    expect(off.stdout).toContain("TAMPERED");
    expect(off.verdict.chains.audit.breakCounts).toMatchObject({ unchained_row: rows, anchor_rollback: 1 });
  });

  it("2a. a lone surrogate in free text is refused with 400 invalid_text and nothing is written", async () => {
    const f = await fixture();
    const auditBefore = (await verify(f)).audit.rows;
    // Raw JSON text: the escape reaches JSON.parse as a lone high surrogate.
    const body = `{"reason":"approved \\ud800 by committee","expiresAt":"${new Date(Date.now() + 86_400_000).toISOString()}","flowId":"${f.flowId}"}`;
    const res = await f.app.fetch("/api/v1/fairness-overrides", {
      method: "POST",
      headers: { authorization: `Bearer ${f.fx.keys.admin}`, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await res.json()).code).toBe("invalid_text");
    // A NUL would be stored truncated ("before") but hashed in full: refused the same way.
    const nul = await f.app.fetch("/api/v1/fairness-overrides", {
      method: "POST",
      headers: { authorization: `Bearer ${f.fx.keys.admin}`, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
      body: body.replace("\\ud800", "\\u0000"),
    });
    expect(nul.status).toBe(400);
    expect((await nul.json()).code).toBe("invalid_text");
    // A surrogate pair (a real emoji, escaped) is fine.
    const ok = await f.app.fetch("/api/v1/fairness-overrides", {
      method: "POST",
      headers: { authorization: `Bearer ${f.fx.keys.admin}`, "content-type": "application/json", "x-requested-with": "XMLHttpRequest" },
      body: body.replace("\\ud800", "\\ud83d\\ude00"),
    });
    expect(ok.status).toBe(201);
    const after = await verify(f);
    expect(after.ok).toBe(true);
    expect(after.audit.rows).toBe(auditBefore + 1);
    // Bulk lines too: the bad line is named, nothing is loaded.
    const line = `{"customerId":"c\\udc00","decisionFlowKey":"nbo","attributes":{"ageBand":"18-25"},"selected":true}`;
    const b = await f.app.fetch("/api/v1/decision-traces/bulk", {
      method: "POST",
      headers: { authorization: `Bearer ${f.fx.keys.operator}`, "content-type": "application/x-ndjson", "x-requested-with": "XMLHttpRequest" },
      body: line + "\n",
    });
    expect(b.status).toBe(400);
    expect(JSON.stringify(await b.json())).toContain("invalid_text");
  });

  it("2b. verification walks the whole chain and reports every broken link, with counts", async () => {
    const f = await fixture();
    const items = (await f.api.request("GET", "/api/v1/audit-log?limit=500", { token: f.fx.keys.auditor })).body.items;
    expect(items.length).toBeGreaterThanOrEqual(6);
    // Edit row 1, delete row 3, edit row 5: three findings, the last one after the first two.
    const [a, gone, next, c] = [items[1], items[3], items[4], items[5]];
    await onTenantFile(f, async (db) => {
      await db.execute({ sql: "UPDATE audit_log SET actor = 'mallory' WHERE id = ?", args: [a.id] });
      await db.execute({ sql: "DELETE FROM audit_log WHERE id = ?", args: [gone.id] });
      await db.execute({ sql: "UPDATE audit_log SET reason = 'rewritten' WHERE id = ?", args: [c.id] });
    });
    const v = await verify(f);
    expect(v.audit.breaks.map((x: any) => [x.id, x.reason])).toEqual([
      [a.id, "hash_mismatch"],
      [next.id, "seq_gap"],
      [c.id, "hash_mismatch"],
    ]);
    expect(v.audit.breakCount).toBe(3);
    expect(v.audit.breakCounts).toEqual({ hash_mismatch: 2, seq_gap: 1 });
    const off = await offline(f, "edited.ndjson");
    expect(off.code).toBe(1);
    expect(off.stdout).toContain(a.id);
    expect(off.stdout).toContain(c.id);
  });

  it("3. the whole chain recomputed with the project's own link function: the signed anchor does not match", async () => {
    const f = await fixture();
    await onTenantFile(f, async (db) => {
      await db.execute("UPDATE fairness_evaluations SET verdict = 'pass' WHERE verdict = 'block'");
      await db.execute("UPDATE audit_log SET reason = 'no breach' WHERE action = 'publish_blocked'");
      await rechain(db);
    });
    const v = await verify(f);
    expect(v.ok).toBe(false);
    // Every link verifies on its own; only the anchor outside the database shows the rewrite.
    expect(v.audit.breaks).toEqual([{ id: null, seq: expect.any(Number), reason: "anchor_mismatch" }]);
    expect(v.evaluations.breaks).toEqual([{ id: null, seq: expect.any(Number), reason: "anchor_mismatch" }]);
    expect(v.audit.anchor).toMatchObject({ signatureValid: true });
    const off = await offline(f, "rechained.ndjson");
    expect(off.code).toBe(1);
    expect(off.verdict.chains.audit.breakCounts).toEqual({ anchor_mismatch: 1 });
    // New evidence is not built on a chain that disagrees with its anchor.
    const publish = await f.api.request("POST", "/api/v1/decision-flows/publish", { token: f.fx.keys.publisher, body: { id: f.flowId } });
    expect(publish.status).toBe(503);
    expect(publish.body.code).toBe("evidence_integrity_failure");
  });

  it("3b. forged signed heads in an export fail against the gateway's key; the embedded key alone is not trusted for origin", async () => {
    const f = await fixture();
    const res = await f.app.fetch("/api/v1/audit-log/export", { headers: { authorization: `Bearer ${f.fx.keys.auditor}` } });
    const lines = (await res.text()).trim().split("\n");
    const header = JSON.parse(lines[0]!);
    // The attacker re-signs the header with a key of their own and embeds it.
    const forger = await createEvidenceSigner("11".repeat(32));
    for (const c of ["audit", "evaluation"]) header.anchors[c] = { ...header.anchors[c], ...(await forger.sign({ ...header.anchors[c], chain: c })) };
    header.publicKey = forger.publicKey;
    header.keyId = forger.keyId;
    const file = join(dir, "forged.ndjson");
    writeFileSync(file, [JSON.stringify(header), ...lines.slice(1)].join("\n") + "\n");
    const quiet = { stdout: { write: () => {} }, stderr: { write: () => {} } };
    let out = "";
    expect(await main(["verify", file], { ...quiet, stdout: { write: (s: string) => (out += s) } })).toBe(0);
    expect(out).toContain("key inside the file");
    expect(await main(["verify", file, "--public-key", await publicKey(f)], quiet)).toBe(1);
  });

  it("4a. the newest rows removed and the heads rewound to an earlier copy's: detected, and new chained writes are refused", async () => {
    const f = await fixture();
    const path = join(f.app.dataDir, "tenants", `${f.fx.id}.db`);
    // An earlier copy, taken consistently (a checkpointed snapshot of the file).
    const snap = join(dir, `${f.fx.id}-old.db`);
    await onTenantFile(f, async (db) => {
      await db.execute(`VACUUM INTO '${snap}'`);
    });
    const ov = await f.api.request("POST", "/api/v1/fairness-overrides", {
      token: f.fx.keys.admin,
      body: { reason: "a second exception for the pilot", expiresAt: new Date(Date.now() + 86_400_000).toISOString(), flowId: f.flowId },
    });
    expect(ov.status).toBe(201);
    expect((await verify(f)).ok).toBe(true);
    // Roll back: the old file's content replaces the current one (same path, as a restore would).
    await onTenantFile(f, async (db) => {
      const old = createLibsqlClient({ url: `file:${snap}`, intMode: "number" });
      try {
        const auditOld = (await old.execute("SELECT max(chain_seq) AS s FROM audit_log")).rows[0]!.s;
        await db.execute({ sql: "DELETE FROM audit_log WHERE chain_seq > ?", args: [Number(auditOld)] });
        await db.execute({ sql: "DELETE FROM fairness_overrides WHERE id = ?", args: [ov.body.id] });
        const h = (await old.execute("SELECT chain, seq, hash FROM chain_heads")).rows;
        for (const r of h) await db.execute({ sql: "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = ?", args: [Number(r.seq), String(r.hash), String(r.chain)] });
      } finally {
        old.close();
      }
    });
    expect(readFileSync(path).length).toBeGreaterThan(0);
    const v = await verify(f);
    expect(v.ok).toBe(false);
    expect(v.audit.breaks).toEqual([{ id: null, seq: expect.any(Number), reason: "anchor_rollback" }]);
    const off = await offline(f, "rolled-back.ndjson");
    expect(off.code).toBe(1);
    expect(off.verdict.chains.audit.breakCounts).toEqual({ anchor_rollback: 1 });
    const again = await f.api.request("POST", "/api/v1/fairness-overrides", {
      token: f.fx.keys.admin,
      body: { reason: "a third exception for the pilot", expiresAt: new Date(Date.now() + 86_400_000).toISOString(), flowId: f.flowId },
    });
    expect(again.status).toBe(503);
    expect(again.body.code).toBe("evidence_integrity_failure");
  });
});

describe("a crash between the tenant commit and the anchor update", () => {
  /** Puts the audit anchor back one write, as if the process died after committing it (the announcement stays). */
  async function interrupt(f: EvidenceFixture, opts: { announced: boolean }): Promise<void> {
    const control = createLibsqlClient({ url: "file:" + join(f.app.dataDir, "control.db"), intMode: "number" });
    const tenant = openTenantDb(f.app, f.fx.id);
    try {
      await control.execute("PRAGMA busy_timeout = 5000");
      const head = (await tenant.execute("SELECT seq, hash FROM chain_heads WHERE chain = 'audit'")).rows[0]!;
      const prev = (await tenant.execute({ sql: "SELECT hash FROM audit_log WHERE chain_seq = ?", args: [Number(head.seq) - 1] })).rows[0]!;
      const signer = await createEvidenceSigner(readFileSync(join(f.app.dataDir, "evidence-signing.key"), "utf8"));
      const s = await signer.sign({ tenantId: f.fx.id, chain: "audit", seq: Number(head.seq) - 1, hash: String(prev.hash), signedAt: new Date().toISOString(), legacyRowsAllowed: false });
      await control.execute({ sql: "UPDATE chain_anchors SET seq = ?, hash = ?, signed_at = ?, signature = ? WHERE tenant_id = ? AND chain = 'audit'", args: [s.seq, s.hash, s.signedAt, s.signature, f.fx.id] });
      await control.execute({ sql: "DELETE FROM chain_anchor_pending WHERE tenant_id = ?", args: [f.fx.id] });
      if (opts.announced)
        await control.execute({ sql: "INSERT INTO chain_anchor_pending (tenant_id, chain, seq, hash, announced_at) VALUES (?, 'audit', ?, ?, ?)", args: [f.fx.id, Number(head.seq), String(head.hash), s.signedAt] });
    } finally {
      control.close();
      tenant.close();
    }
  }

  it("is reported as lag (not tampering) and repaired by the next write", async () => {
    const f = await fixture();
    await interrupt(f, { announced: true });
    const v = await verify(f);
    expect(v).toMatchObject({ ok: true, audit: { ok: true, anchorLag: 1 } });
    const ov = await f.api.request("POST", "/api/v1/fairness-overrides", {
      token: f.fx.keys.admin,
      body: { reason: "after the crash", expiresAt: new Date(Date.now() + 86_400_000).toISOString(), flowId: f.flowId },
    });
    expect(ov.status).toBe(201);
    expect(await verify(f)).toMatchObject({ ok: true, audit: { anchorLag: 0 } });
  });

  it("rows beyond the anchor that no write announced are reported and block new chained writes", async () => {
    const f = await fixture();
    await interrupt(f, { announced: false });
    const v = await verify(f);
    expect(v.ok).toBe(false);
    expect(v.audit.breaks).toEqual([{ id: null, seq: expect.any(Number), reason: "unanchored_rows" }]);
    const ov = await f.api.request("POST", "/api/v1/fairness-overrides", {
      token: f.fx.keys.admin,
      body: { reason: "an exception after tampering", expiresAt: new Date(Date.now() + 86_400_000).toISOString(), flowId: f.flowId },
    });
    expect(ov.status).toBe(503);
  });
});

describe("the storable-text check", () => {
  it("finds a lone surrogate anywhere, in values and keys, and copes with deep nesting", async () => {
    const { illFormedTextPath } = await import("../../worker/domain/text.js");
    expect(illFormedTextPath({ a: ["ok", { b: "x\ud800" }] })).toBe("a.1.b");
    expect(illFormedTextPath({ ["k\udc00"]: 1 })).toBe("k\udc00");
    expect(illFormedTextPath("\ud83d\ude00 fine")).toBeNull();
    expect(illFormedTextPath("\ude00\ud83d")).toBe("(root)");
    // A NUL ends a text value in the SQLite driver: stored truncated, hashed in full.
    expect(illFormedTextPath({ reason: "before\u0000after" })).toBe("reason");
    let deep: unknown = "end\ud800";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(illFormedTextPath(deep)).toMatch(/^a(\.a)*$/);
  });
});

describe("rows the walk must not skip, columns the queries trust, and exports that lie about their anchors", () => {
  it("a forged row far past the head, or at a negative storage position, is reported", async () => {
    const f = await fixture();
    await onTenantFile(f, async (db) => {
      await db.execute({
        sql: `INSERT INTO audit_log (id, tenant_id, entity_type, entity_id, action, actor, created_at, chain_seq, prev_hash, hash) VALUES (?, ?, 'decision_flow', ?, 'publish', 'mallory', ?, 9000000000000000, ?, ?)`,
        args: ["forged-audit", f.fx.id, f.flowId, new Date().toISOString(), "0".repeat(64), "f".repeat(64)],
      });
      const body = (await db.execute("SELECT body FROM fairness_evaluations LIMIT 1")).rows[0]!.body;
      await db.execute({
        sql: `INSERT INTO fairness_evaluations (rowid, tenant_id, id, flow_id, flow_key, version, trigger, verdict, body, created_at) VALUES (-1, ?, 'forged-eval', ?, 'nbo', 1, 'publish', 'pass', ?, ?)`,
        args: [f.fx.id, f.flowId, String(body), new Date().toISOString()],
      });
    });
    const v = await verify(f);
    expect(v.ok).toBe(false);
    expect(v.audit.breaks.some((b: any) => b.id === "forged-audit")).toBe(true);
    expect(v.evaluations.breaks).toContainEqual({ id: "forged-eval", seq: null, reason: "unchained_row" });
    const off = await offline(f, "forged-rows.ndjson");
    expect(off.code).toBe(1);
    expect(off.stdout).toContain("forged-audit");
    expect(off.stdout).toContain("forged-eval");
  });

  it("an evaluation moved to another flow by its (unhashed) flow_id column is reported", async () => {
    const f = await fixture();
    await onTenantFile(f, async (db) => {
      await db.execute({ sql: "UPDATE fairness_evaluations SET flow_id = 'other-flow' WHERE id = ?", args: [f.blockedEvaluationId] });
    });
    const v = await verify(f);
    expect(v.evaluations.breaks).toEqual([{ id: f.blockedEvaluationId, seq: expect.any(Number), reason: "column_mismatch" }]);
  });

  it("an export stripped of its signed anchors, or claiming an announcement for forged rows, fails against the key", async () => {
    const f = await fixture();
    const res = await f.app.fetch("/api/v1/audit-log/export", { headers: { authorization: `Bearer ${f.fx.keys.auditor}` } });
    const lines = (await res.text()).trim().split("\n");
    const key = await publicKey(f);
    const run = async (name: string, content: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, content.join("\n") + "\n");
      let out = "";
      const code = await main(["verify", file, "--public-key", key], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => {} } });
      return { code, out };
    };
    expect((await run("intact.ndjson", lines)).code).toBe(0);
    const stripped = JSON.parse(lines[0]!);
    stripped.anchors = { audit: null, evaluation: null };
    expect((await run("stripped.ndjson", [JSON.stringify(stripped), ...lines.slice(1)])).code).toBe(1);
    // A correctly linked row appended in the file, with the header's heads moved to it and a "pending" claim.
    const auditLinks = lines.slice(1).map((l) => JSON.parse(l)).filter((l) => l.chain === "audit");
    const last = auditLinks[auditLinks.length - 1];
    const content = { ...last.content, id: "appended", action: "publish" };
    const hash = await linkHash("audit", last.chainSeq + 1, last.hash, content);
    const appended = { chain: "audit", id: "appended", chainSeq: last.chainSeq + 1, prevHash: last.hash, hash, content };
    const header = JSON.parse(lines[0]!);
    header.heads.audit = { seq: appended.chainSeq, hash };
    header.anchors.audit.pending = { seq: appended.chainSeq, hash };
    const auditEnd = lines.findLastIndex((l) => l.includes('"chain":"audit"'));
    const forged = [JSON.stringify(header), ...lines.slice(1, auditEnd + 1), JSON.stringify(appended), ...lines.slice(auditEnd + 1)];
    const r = await run("appended.ndjson", forged);
    expect(r.code).toBe(1);
    expect(r.out).toContain("unanchored_rows");
  });
});

describe("fairgate verify --public-key", () => {
  it("takes a key that begins with '-' (a base64url character), in both spellings", async () => {
    const f = await fixture();
    const res = await f.app.fetch("/api/v1/audit-log/export", { headers: { authorization: `Bearer ${f.fx.keys.auditor}` } });
    const file = join(dir, "dash-key.ndjson");
    writeFileSync(file, await res.text());
    const quiet = { stdout: { write: () => {} }, stderr: { write: () => {} } };
    // A well-formed key of another signer that starts with "-": parsed as a key, so the signatures fail (1), not usage (2).
    // (When the real key itself starts with "-", 1 run in 64, its second character is changed instead.)
    const real = await publicKey(f);
    const dashKey = real.startsWith("-") ? `-${real[1] === "A" ? "B" : "A"}${real.slice(2)}` : `-${real.slice(1)}`;
    expect(dashKey).not.toBe(real);
    expect(await main(["verify", file, "--public-key", dashKey], quiet)).toBe(1);
    expect(await main(["verify", file, `--public-key=${dashKey}`], quiet)).toBe(1);
    expect(await main(["verify", file, "--public-key", real], quiet)).toBe(0);
  });
});
