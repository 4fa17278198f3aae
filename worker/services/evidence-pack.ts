/**
 * @module services/evidence-pack
 * Builds the evidence pack of a time range (layout and verification:
 * domain/evidence-pack): the evaluations created in [from, to) as chained, their
 * reports (services/report + report/html, as the report routes render them), the
 * policy versions in force, the pack's own audit row binding those members, the
 * tenant's evidence export (services/chain exportLines: signed heads + public key),
 * the manifest and SHA256SUMS — zipped with fflate (pure JS: Node, Deno, Workers).
 *
 * The pack is assembled in memory (the export included); its size is the
 * tenant's audit history plus three files per evaluation in the range.
 */
// The browser build: pure JS, no worker_threads (the same file on Node, Deno and Workers).
import { zipSync } from "fflate/browser";
import { ValidationError } from "../domain/errors.js";
import {
  EXPORT_MEMBER,
  MANIFEST_MEMBER,
  PACK_AUDIT_ACTION,
  PACK_FORMAT,
  type PackManifest,
  SUMS_MEMBER,
  sumsText,
} from "../domain/evidence-pack.js";
import { sha256Hex } from "../domain/hex.js";
import { EVALUATOR_VERSION } from "../domain/report.js";
import { renderReportHtml } from "../report/html.js";
import type { ChainAnchorStore } from "../store/chain-anchors.js";
import type { TenantStore } from "../store/tenant-store.js";
import { exportLines } from "./chain.js";
import type { Actor } from "./context.js";
import { evaluationReport } from "./report.js";

/** Longest range one pack covers (a year and a bit: an annual audit plus margin). */
export const MAX_PACK_DAYS = 400;

export interface PackRequest {
  from: Date;
  to: Date;
}

const enc = new TextEncoder();

/** The ZIP bytes of the pack, and its id. Writes one chained audit row (`evidence_pack_export`). */
export async function buildEvidencePack(
  deps: { clock: () => Date; newId: () => string; anchors: ChainAnchorStore | null },
  store: TenantStore,
  tenant: { id: string; name: string | null },
  actor: Actor,
  range: PackRequest,
): Promise<{ packId: string; zip: Uint8Array; manifest: PackManifest }> {
  if (!(range.from < range.to)) throw new ValidationError("from must be before to");
  if (range.to.getTime() - range.from.getTime() > MAX_PACK_DAYS * 86_400_000) throw new ValidationError(`a pack covers at most ${MAX_PACK_DAYS} days`);
  const now = deps.clock();
  const packId = deps.newId();
  const fromIso = range.from.toISOString();
  const toIso = range.to.toISOString();
  const files = new Map<string, Uint8Array>();
  const put = (path: string, body: string) => files.set(path, enc.encode(body));

  // Evaluations as chained ({id, tenantId, verdict, body, datasetHash, createdAt}: the body as written,
  // not its read-back shape, which gains fields added since) and their reports.
  const rows = await store.audits.evaluationsBetween(fromIso, toIso);
  const evaluations: PackManifest["evaluations"] = [];
  for (const r of rows) {
    const e = r.evaluation;
    put(`evaluations/${r.id}.json`, `${JSON.stringify({ id: r.id, tenantId: store.tenantId, verdict: e.verdict, body: r.body, datasetHash: r.datasetHash, createdAt: r.createdAt }, null, 2)}\n`);
    const report = await evaluationReport(store, tenant, r.id, now);
    put(`reports/${r.id}.json`, `${JSON.stringify(report, null, 2)}\n`);
    put(`reports/${r.id}.html`, renderReportHtml(report));
    const seed = (e as { intervals?: { seed?: number } | null }).intervals?.seed;
    evaluations.push({ id: r.id, createdAt: r.createdAt, verdict: e.verdict, seed: typeof seed === "number" ? seed : null, datasetHash: r.datasetHash });
  }

  // Policy versions in force: the change before the range (if any) and each change inside it.
  const before = await store.audits.lastAuditBefore("tenant_settings", fromIso);
  const inside = await store.audits.auditBetween(fromIso, toIso, "tenant_settings");
  const policies: PackManifest["policies"] = [];
  for (const p of [...(before ? [before] : []), ...inside].filter((a) => a.action === "settings_update")) {
    const path = `policies/${String(p.seq).padStart(8, "0")}-${p.id}.json`;
    put(path, `${JSON.stringify({ auditId: p.id, createdAt: p.createdAt, actor: p.actor, inForceFrom: p.createdAt, policy: p.after }, null, 2)}\n`);
    policies.push({ auditId: p.id, createdAt: p.createdAt, path });
  }

  // The pack's audit row binds every member above; it is chained and anchored before the export is read.
  const bound: Record<string, string> = {};
  for (const [path, bytes] of files) bound[path] = await sha256Hex(bytes);
  await store.write([
    store.evidence.auditStmt(
      packId,
      {
        entityType: "evidence_pack",
        entityId: packId,
        action: PACK_AUDIT_ACTION,
        actor: actor.name,
        reason: `evidence pack ${fromIso} – ${toIso}`,
        details: { range: { from: fromIso, to: toIso }, evaluations: rows.length, policies: policies.length, files: bound, keyId: actor.keyId },
      },
      now.toISOString(),
    ),
  ]);

  let exported = "";
  for await (const line of exportLines(store, now, deps.anchors)) exported += line;
  put(EXPORT_MEMBER, exported);
  const header = JSON.parse(exported.slice(0, exported.indexOf("\n"))) as { heads: unknown; anchors: unknown; publicKey: string | null; keyId: string | null };

  const manifest: PackManifest = {
    format: PACK_FORMAT,
    packId,
    tenantId: store.tenantId,
    generatedAt: now.toISOString(),
    generatedBy: actor.name,
    range: { from: fromIso, to: toIso },
    software: { name: "fairgate", evaluatorVersion: EVALUATOR_VERSION },
    datasetHashScheme:
      "fairgate-dataset/3: a Merkle tree over the window's packed segments (content and column hashes computed at pack, late outcomes as a delta set digest) and the runs of rows between them, each run hashed as fairgate-dataset/2 (docs/evidence.md, Dataset hash fairgate-dataset/3; recompute with fairgate hash); earlier evaluations may carry fairgate-dataset/2 (SHA-256 over the usable traces in (UTC day, seq) order, in chunks of 32,768 rows) or fairgate-dataset/1",
    files: await Promise.all([...files].map(async ([path, bytes]) => ({ path, sha256: await sha256Hex(bytes), bytes: bytes.length }))),
    evaluations,
    policies,
    chainHeads: header.heads,
    anchors: header.anchors,
    publicKey: header.publicKey,
    keyId: header.keyId,
  };
  put(MANIFEST_MEMBER, `${JSON.stringify(manifest, null, 2)}\n`);
  const hashes = new Map<string, string>();
  for (const [path, bytes] of files) hashes.set(path, await sha256Hex(bytes));
  put(SUMS_MEMBER, sumsText(hashes));
  // Fixed member times so the same content zips to the same bytes.
  const mtime = new Date(now.getTime());
  const zip = zipSync(Object.fromEntries([...files].map(([p, b]) => [p, [b, { mtime }]])), { level: 6 });
  return { packId, zip, manifest };
}
