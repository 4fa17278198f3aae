/**
 * @module scripts/faults/tamper
 * The evidence-tamper attacks of `bench:faults`, each by someone who can write
 * a tenant's database file (never the control store), against a real gateway:
 * the gateway is stopped, the file edited (or replaced by an older copy), the
 * gateway started again. For each attack: whether GET /audit-log/verify and the
 * offline `fairgate verify EXPORT --public-key KEY` detect it, and with what.
 * The lone-surrogate attack goes through the API instead: it must be refused.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@libsql/client";
import { auditContent, evaluationContent, GENESIS, linkHash } from "../../worker/domain/chain.js";
import { main } from "../fairgate.js";
import { createFaultTenant, type FaultTenant } from "./fixture.js";
import { type BenchGateway, startGateway } from "./gateway.js";
import type { FaultScenario } from "./scenario.js";

type Attack = (db: Client, ctx: { oldCopy: string; dbPath: string }) => Promise<void>;

async function api(gw: BenchGateway, method: string, path: string, token: string, body?: unknown, raw?: string) {
  const res = await fetch(gw.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "x-requested-with": "XMLHttpRequest", ...(body !== undefined || raw !== undefined ? { "content-type": "application/json" } : {}) },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

/** Some evidence to attack: policy changes, an override request, flow edits (audit rows and their chain). */
async function makeEvidence(gw: BenchGateway, t: FaultTenant): Promise<void> {
  const policy = { enabled: true, sensitiveAttribute: "ageBand", thresholds: { demographicParityGap: 0.2 }, minSampleSize: 10, windowDays: 7, continuousRecheck: true, onInsufficientSamples: "skip" };
  await api(gw, "PUT", "/api/v1/tenant-settings", t.key, { fairnessPolicy: policy });
  await api(gw, "POST", "/api/v1/fairness-overrides", t.key, { reason: "pilot exception for the bench", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
  await api(gw, "PUT", "/api/v1/tenant-settings", t.key, { fairnessPolicy: { ...policy, minSampleSize: 20 } });
}

async function dropTriggers(db: Client): Promise<void> {
  for (const t of ["audit_log_no_update", "audit_log_no_delete", "fairness_evaluations_no_update", "fairness_evaluations_no_delete"]) await db.execute(`DROP TRIGGER IF EXISTS ${t}`);
}

/** Recomputes both chains with the project's own link function. */
async function rechain(db: Client): Promise<void> {
  for (const chain of ["audit", "evaluation"] as const) {
    const table = chain === "audit" ? "audit_log" : "fairness_evaluations";
    const rows = (await db.execute(chain === "audit" ? "SELECT * FROM audit_log ORDER BY seq" : "SELECT * FROM fairness_evaluations ORDER BY rowid")).rows;
    let prev = GENESIS;
    let seq = 0;
    for (const r of rows) {
      seq++;
      const hash = await linkHash(chain, seq, prev, chain === "audit" ? auditContent(r as never) : evaluationContent(r as never));
      await db.execute({ sql: `UPDATE ${table} SET chain_seq = ?, prev_hash = ?, hash = ? WHERE id = ?`, args: [seq, prev, hash, String(r.id)] });
      prev = hash;
    }
    if (seq > 0) await db.execute({ sql: "UPDATE chain_heads SET seq = ?, hash = ? WHERE chain = ?", args: [seq, prev, chain] });
  }
}

const ATTACKS: Record<string, Attack> = {
  editThenNullChainAndDeleteHead: async (db) => {
    await dropTriggers(db);
    await db.execute("UPDATE audit_log SET actor = 'nobody' WHERE action = 'override_request'");
    await db.execute("UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, hash = NULL");
    await db.execute("UPDATE fairness_evaluations SET chain_seq = NULL, prev_hash = NULL, hash = NULL");
    await db.execute("DELETE FROM chain_heads");
  },
  editThenRecomputeChain: async (db) => {
    await dropTriggers(db);
    await db.execute("UPDATE audit_log SET reason = 'approved by nobody' WHERE action = 'override_request'");
    await rechain(db);
  },
  rollbackToEarlierCopy: async (db, ctx) => {
    db.close();
    for (const side of ["-wal", "-shm"]) rmSync(ctx.dbPath + side, { force: true });
    copyFileSync(ctx.oldCopy, ctx.dbPath);
  },
};

/** Runs one file attack end to end; returns what the online and offline checks said. */
async function fileAttack(name: string, attack: Attack): Promise<Record<string, unknown>> {
  let gw = await startGateway();
  const dataDir = gw.dataDir;
  const work = mkdtempSync(join(tmpdir(), "fairgate-tamper-"));
  try {
    const t = await createFaultTenant(gw.baseUrl, gw.adminToken, `tamper-${name.toLowerCase()}`);
    await makeEvidence(gw, t);
    const dbPath = join(dataDir, "tenants", `${t.id}.db`);
    await gw.stop();
    const oldCopy = join(work, "old.db");
    copyFileSync(dbPath, oldCopy);
    // More evidence after the copy, so the copy is an earlier state.
    gw = await startGateway({ FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: gw.adminToken });
    await makeEvidence(gw, t);
    const publicKey = (await api(gw, "GET", "/api/v1/evidence/public-key", t.key)).json().publicKey as string;
    const before = (await api(gw, "GET", "/api/v1/audit-log/verify", t.key)).json();
    await gw.stop();

    const db = createClient({ url: `file:${dbPath}`, intMode: "number" });
    try {
      await attack(db, { oldCopy, dbPath });
    } finally {
      db.close();
    }

    gw = await startGateway({ FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: gw.adminToken });
    const online = (await api(gw, "GET", "/api/v1/audit-log/verify", t.key)).json();
    const file = join(work, "export.ndjson");
    writeFileSync(file, (await api(gw, "GET", "/api/v1/audit-log/export", t.key)).text);
    let out = "";
    const code = await main(["verify", file, "--public-key", publicKey, "--json"], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => {} } });
    const offline = JSON.parse(out);
    const write = await api(gw, "POST", "/api/v1/fairness-overrides", t.key, { reason: "a write after the attack", expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    return {
      intactBefore: before.ok === true,
      detectedOnline: online.ok === false,
      onlineFindings: { audit: online.audit?.breakCounts, evaluations: online.evaluations?.breakCounts },
      detectedOffline: code === 1,
      offlineFindings: { audit: offline.chains?.audit?.breakCounts, evaluations: offline.chains?.evaluation?.breakCounts },
      nextChainedWrite: write.status,
    };
  } finally {
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

/** A lone surrogate in a free-text field: refused before anything is written, and the chain stays intact. */
async function surrogateAttack(): Promise<Record<string, unknown>> {
  const gw = await startGateway();
  try {
    const t = await createFaultTenant(gw.baseUrl, gw.adminToken, "tamper-surrogate");
    const raw = `{"reason":"approved \\ud800 by committee","expiresAt":"${new Date(Date.now() + 86_400_000).toISOString()}"}`;
    const r = await api(gw, "POST", "/api/v1/fairness-overrides", t.key, undefined, raw);
    const verify = (await api(gw, "GET", "/api/v1/audit-log/verify", t.key)).json();
    return { status: r.status, code: r.json().code, chainIntactAfter: verify.ok === true };
  } finally {
    await gw.stop();
    rmSync(gw.dataDir, { recursive: true, force: true });
  }
}

export const tamperScenario: FaultScenario = {
  name: "tamper",
  async run(opts) {
    const out: Record<string, unknown> = {};
    for (const [name, attack] of Object.entries(ATTACKS)) {
      opts.log(`  tamper: ${name}`);
      out[name] = await fileAttack(name, attack);
    }
    opts.log("  tamper: loneSurrogate");
    out.loneSurrogate = await surrogateAttack();
    return out;
  },
};
