/**
 * @module test/evidence/evidence-pack
 * GET /api/v1/evidence-pack → ZIP, verified offline by `fairgate verify PACK.zip`:
 * intact → 0; one byte flipped in each kind of member → 1 naming that member; a
 * member replaced with SHA256SUMS and the manifest recomputed → still 1 (the pack's
 * signed audit row binds it); a damaged archive → 1; a zip that is not a pack → 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { unzipSync, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { requestInit } from "../helpers/client.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-pack-"));

async function verify(file: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["verify", file, ...extra], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

describe("evidence pack", () => {
  let app: InProcessApp;
  let http: ReturnType<typeof inProcessClient>;
  let auditor: string;
  let publisher: string;
  let zip: Uint8Array;
  let members: Record<string, Uint8Array>;
  let evaluationIds: string[] = [];
  let publicKey: string;
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    app = await createInProcessApp();
    http = inProcessClient(app);
    const tenant = await http.request("POST", "/api/v1/admin/tenants", { token: app.adminToken, body: { name: "packs" } });
    const key = async (roles: string[], principal: string) =>
      (await http.request("POST", `/api/v1/admin/tenants/${tenant.body.id}/api-keys`, { token: app.adminToken, body: { principal, roles } })).body.key as string;
    const admin = await key(["admin"], "admin@packs.test");
    publisher = await key(["publisher", "operator"], "pub@packs.test");
    auditor = await key(["auditor"], "auditor@packs.test");
    const policy = (ratio: number) => ({ fairnessPolicy: { enabled: true, sensitiveAttribute: "group", thresholds: { disparateImpactRatio: ratio }, minSampleSize: 50 } });
    expect((await http.request("PUT", "/api/v1/tenant-settings", { token: admin, body: policy(0.5) })).status).toBe(200);
    expect((await http.request("PUT", "/api/v1/tenant-settings", { token: admin, body: policy(0.9) })).status).toBe(200);
    const flow = await http.request("POST", "/api/v1/decision-flows", {
      token: publisher,
      body: { key: "loans", name: "Loans", definition: { offers: [{ id: "loan", model: { intercept: 0 }, minPropensity: 0.5 }], maxOffers: 1 } },
    });
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ decisionFlowKey: "loans", customerId: `c${i}`, attributes: { group: i % 2 ? "a" : "b" }, selected: i % 3 !== 0 }));
    expect((await http.request("POST", "/api/v1/decision-traces/bulk", { token: publisher, raw: lines.join("\n"), contentType: "application/x-ndjson" })).status).toBe(201);
    const pub1 = await http.request("POST", "/api/v1/decision-flows/publish", { token: publisher, body: { id: flow.body.id } });
    evaluationIds = [pub1.body.evaluation?.id ?? pub1.body.evaluationId];
    publicKey = (await http.request("GET", "/api/v1/evidence/public-key", { token: auditor })).body.publicKey;

    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await app.fetch(`/api/v1/evidence-pack?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, requestInit("GET", { token: auditor }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    zip = new Uint8Array(await res.arrayBuffer());
    members = unzipSync(zip);
  });

  it("holds the evaluations, their reports, the policies in force, the export, the manifest and SHA256SUMS", () => {
    const names = Object.keys(members).sort();
    for (const id of evaluationIds) expect(names).toEqual(expect.arrayContaining([`evaluations/${id}.json`, `reports/${id}.json`, `reports/${id}.html`]));
    expect(names.filter((n) => n.startsWith("policies/"))).toHaveLength(2);
    expect(names).toEqual(expect.arrayContaining(["audit-export.ndjson", "manifest.json", "SHA256SUMS"]));
    const manifest = JSON.parse(new TextDecoder().decode(members["manifest.json"]));
    expect(manifest.format).toBe("fairgate-evidence-pack/1");
    expect(manifest.publicKey).toBe(publicKey);
    expect(manifest.evaluations[0].seed).toBe(1);
    expect(manifest.datasetHashScheme).toMatch(/fairgate-dataset\/2/);
    // SHA256SUMS is what sha256sum -c reads; check its lines with node:crypto, independently of the module.
    const sums = new TextDecoder().decode(members.SHA256SUMS);
    const lines = sums.trim().split("\n");
    expect(lines).toHaveLength(names.length - 1);
    for (const l of lines) {
      const [hash, path] = l.split("  ");
      expect(createHash("sha256").update(members[path!]!).digest("hex"), path).toBe(hash);
    }
    const header = JSON.parse(new TextDecoder().decode(members["audit-export.ndjson"]).split("\n")[0]!);
    expect(header.format).toBe("fairgate-evidence/2");
    expect(manifest.chainHeads).toEqual(header.heads);
  });

  it("fairgate verify PACK.zip: intact → 0 (with the key obtained from the gateway)", async () => {
    const file = join(dir, "pack.zip");
    writeFileSync(file, zip);
    const r = await verify(file, ["--public-key", publicKey]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/INTACT/);
    expect(r.out).toMatch(/verified with the supplied public key/);
  });

  it("another key than the gateway's → exit 1 (the signatures do not verify)", async () => {
    const file = join(dir, "pack.zip");
    const other = "A".repeat(43);
    const r = await verify(file, ["--public-key", other, "--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings.map((f: { reason: string }) => f.reason)).toContain("signature_invalid");
  });

  const kinds = () => [
    `evaluations/${evaluationIds[0]}.json`,
    `reports/${evaluationIds[0]}.json`,
    `reports/${evaluationIds[0]}.html`,
    Object.keys(members).find((n) => n.startsWith("policies/"))!,
    "audit-export.ndjson",
    "manifest.json",
    "SHA256SUMS",
  ];

  it("one byte flipped in each kind of member → exit 1 naming the member", async () => {
    for (const name of kinds()) {
      const copy = { ...members };
      const bytes = Uint8Array.from(copy[name]!);
      // SHA256SUMS: flip the first hash digit ('0'↔'1', 'b'↔'c', …); elsewhere a byte in the middle.
      const at = name === "SHA256SUMS" ? 0 : bytes.length >> 1;
      bytes[at] = bytes[at]! ^ 0x01;
      copy[name] = bytes;
      const file = join(dir, `flip-${name.replace(/\W/g, "_")}.zip`);
      writeFileSync(file, zipSync(copy));
      const r = await verify(file, ["--json"]);
      expect(r.code, name).toBe(1);
      const v = JSON.parse(r.out);
      expect(v.ok, name).toBe(false);
      expect(v.findings.map((f: { file: string }) => f.file), name).toContain(name);
    }
  });

  it("a report replaced with SHA256SUMS and manifest.json recomputed is still caught by the pack's signed audit row", async () => {
    const name = `reports/${evaluationIds[0]}.html`;
    const copy = { ...members };
    copy[name] = new TextEncoder().encode("<html><body>all fine, nothing to see</body></html>");
    const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    const manifest = JSON.parse(new TextDecoder().decode(copy["manifest.json"]));
    for (const f of manifest.files) if (f.path === name) f.sha256 = sha(copy[name]!);
    copy["manifest.json"] = new TextEncoder().encode(JSON.stringify(manifest));
    copy.SHA256SUMS = new TextEncoder().encode(
      Object.keys(copy).filter((n) => n !== "SHA256SUMS").sort().map((n) => `${sha(copy[n]!)}  ${n}\n`).join(""),
    );
    const file = join(dir, "rewritten.zip");
    writeFileSync(file, zipSync(copy));
    const r = await verify(file, ["--json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).findings).toEqual([expect.objectContaining({ file: name, reason: "hash_mismatch" })]);
  });

  it("a damaged archive → 1; a zip without a manifest → 2 (not a pack)", async () => {
    const damaged = Uint8Array.from(zip);
    damaged.fill(0xff, 40, 400);
    writeFileSync(join(dir, "damaged.zip"), damaged);
    expect((await verify(join(dir, "damaged.zip"))).code).toBe(1);
    writeFileSync(join(dir, "other.zip"), zipSync({ "hello.txt": new TextEncoder().encode("hi") }));
    const r = await verify(join(dir, "other.zip"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a Fairgate evidence pack/);
  });

  it("only auditors and admins may download a pack; from must precede to", async () => {
    const q = `from=2026-01-01&to=2026-02-01`;
    expect((await http.request("GET", `/api/v1/evidence-pack?${q}`, { token: publisher })).status).toBe(403);
    expect((await http.request("GET", `/api/v1/evidence-pack?from=2026-02-01&to=2026-01-01`, { token: auditor })).status).toBe(400);
    expect((await http.request("GET", `/api/v1/evidence-pack?from=yesterday&to=2026-01-01`, { token: auditor })).status).toBe(400);
  });
});
