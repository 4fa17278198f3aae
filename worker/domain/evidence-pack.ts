/**
 * @module domain/evidence-pack
 * The evidence pack (`fairgate-evidence-pack/1`): what it holds, its manifest, and
 * its offline verification — pure, over the unzipped members (path → bytes), so
 * the CLI and tests run the same checks.
 *
 * Members:
 *   evaluations/<id>.json   each evaluation created in the range, exactly as chained
 *                           ({id, tenantId, verdict, body, datasetHash, createdAt})
 *   reports/<id>.json|html  their reports (domain/report + report/html)
 *   policies/<seq>-<id>.json the policy versions in force in the range (the audit
 *                           row of each policy change: the last before the range and
 *                           every one inside it)
 *   audit-export.ndjson     the tenant's evidence export (fairgate-evidence/2, signed heads)
 *   manifest.json           file hashes, software version, seeds, dataset-hash scheme,
 *                           signed chain heads and public key
 *   SHA256SUMS              `<sha256>  <path>` for every other member (sha256sum -c works)
 *
 * Binding: before exporting, the gateway appends an audit row
 * (`evidence_pack_export`, entity = the pack id) whose details carry the SHA-256 of
 * every evaluation, report and policy member. That row is in the exported, signed
 * audit chain, so replacing a member and recomputing SHA256SUMS and the manifest is
 * still caught; evaluations and policies are also compared with their chained rows.
 */
import { z } from "zod";
import { canonicalJson, type ChainName } from "./chain.js";
import { createExportVerifier, ExportFormatError, type ExportVerdict } from "./chain-export.js";
import { sha256Hex } from "./hex.js";

export const PACK_FORMAT = "fairgate-evidence-pack/1";
export const PACK_AUDIT_ACTION = "evidence_pack_export";
export const EXPORT_MEMBER = "audit-export.ndjson";
export const MANIFEST_MEMBER = "manifest.json";
export const SUMS_MEMBER = "SHA256SUMS";

export const manifestSchema = z.object({
  format: z.literal(PACK_FORMAT),
  packId: z.string(),
  tenantId: z.string(),
  generatedAt: z.string(),
  generatedBy: z.string(),
  range: z.object({ from: z.string(), to: z.string() }),
  software: z.object({ name: z.string(), evaluatorVersion: z.string() }),
  datasetHashScheme: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) })),
  evaluations: z.array(z.object({ id: z.string(), createdAt: z.string(), verdict: z.string(), seed: z.number().nullable(), datasetHash: z.string().nullable() })),
  policies: z.array(z.object({ auditId: z.string(), createdAt: z.string(), path: z.string() })),
  chainHeads: z.unknown(),
  anchors: z.unknown(),
  publicKey: z.string().nullable(),
  keyId: z.string().nullable(),
});
export type PackManifest = z.infer<typeof manifestSchema>;

/** Members bound by the pack's audit row: everything but the export, the manifest and the sums. */
export function isBoundMember(path: string): boolean {
  return path !== EXPORT_MEMBER && path !== MANIFEST_MEMBER && path !== SUMS_MEMBER;
}

/** The SHA256SUMS text for `hashes` (path → hex), sorted by path. */
export function sumsText(hashes: ReadonlyMap<string, string>): string {
  return [...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, h]) => `${h}  ${p}\n`).join("");
}

export type PackFindingReason =
  | "hash_mismatch"
  | "missing_member"
  | "unlisted_member"
  | "malformed"
  | "chain_broken"
  | "signature_invalid"
  | "heads_mismatch"
  | "pack_row_missing"
  | "not_in_chain"
  | "content_mismatch";

export interface PackFinding {
  file: string;
  reason: PackFindingReason;
  detail: string;
}

export interface PackVerdict {
  ok: boolean;
  format: typeof PACK_FORMAT;
  tenantId: string;
  packId: string;
  members: number;
  findings: PackFinding[];
  export: Omit<ExportVerdict, "chains"> & { chains: Record<ChainName, { ok: boolean; rows: number; breakCount: number; breakCounts: Record<string, number> }> };
}

/** Not an evidence pack at all (no manifest, or a manifest of another kind): exit 2, not "tampered". */
export class NotAPackError extends Error {}

const decoder = new TextDecoder();
const text = (b: Uint8Array) => decoder.decode(b);

function parseJson(b: Uint8Array): unknown {
  try {
    return JSON.parse(text(b));
  } catch {
    return undefined;
  }
}

/** Verifies an unzipped pack. `publicKey`: the key the auditor obtained independently (else the one inside). */
export async function verifyEvidencePack(members: ReadonlyMap<string, Uint8Array>, opts: { publicKey?: string } = {}): Promise<PackVerdict> {
  const manifestBytes = members.get(MANIFEST_MEMBER);
  if (!manifestBytes) throw new NotAPackError(`no ${MANIFEST_MEMBER}: not a Fairgate evidence pack`);
  const rawManifest = parseJson(manifestBytes) as { format?: unknown } | undefined;
  if (!rawManifest || rawManifest.format !== PACK_FORMAT) {
    // A manifest that names the pack format but does not parse was damaged; anything else is not a pack.
    if (!text(manifestBytes).includes(PACK_FORMAT)) throw new NotAPackError(`${MANIFEST_MEMBER} is not a ${PACK_FORMAT} manifest`);
  }
  const findings: PackFinding[] = [];
  const find = (file: string, reason: PackFindingReason, detail: string) => void findings.push({ file, reason, detail });

  const actual = new Map<string, string>();
  for (const [path, bytes] of members) actual.set(path, await sha256Hex(bytes));

  // 1. SHA256SUMS: every member listed (but itself), every listed member present and equal.
  const sums = members.get(SUMS_MEMBER);
  const listed = new Map<string, string>();
  if (!sums) find(SUMS_MEMBER, "missing_member", "the pack has no SHA256SUMS");
  else
    for (const [i, line] of text(sums).split("\n").entries()) {
      if (line === "") continue;
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      if (!m) {
        find(SUMS_MEMBER, "malformed", `line ${i + 1} is not "<sha256>  <path>"`);
        continue;
      }
      listed.set(m[2]!, m[1]!);
    }
  const parsed = manifestSchema.safeParse(rawManifest);
  const manifest = parsed.success ? parsed.data : null;
  const manifestHash = new Map((manifest?.files ?? []).map((f) => [f.path, f.sha256]));
  for (const [path, h] of listed) {
    const a = actual.get(path);
    if (a === undefined) find(path, "missing_member", `listed in ${SUMS_MEMBER} but not in the pack`);
    // The member agrees with the manifest: it is the sums line that was changed.
    else if (a !== h && manifestHash.get(path) === a) find(SUMS_MEMBER, "hash_mismatch", `its entry for ${path} differs from the member (which agrees with manifest.json)`);
    else if (a !== h) find(path, "hash_mismatch", `SHA-256 differs from ${SUMS_MEMBER}`);
  }
  if (sums) for (const path of actual.keys()) if (path !== SUMS_MEMBER && !listed.has(path)) find(path, "unlisted_member", `not listed in ${SUMS_MEMBER}`);

  // 2. The manifest: its own file list (hashes of every member but itself and the sums).
  if (!manifest) find(MANIFEST_MEMBER, "malformed", "manifest.json does not parse as a pack manifest");
  else
    for (const f of manifest.files) {
      const a = actual.get(f.path);
      if (a === undefined) {
        if (!findings.some((x) => x.file === f.path && x.reason === "missing_member")) find(f.path, "missing_member", "listed in manifest.json but not in the pack");
      } else if (a !== f.sha256 && !findings.some((x) => x.file === f.path && x.reason === "hash_mismatch")) find(f.path, "hash_mismatch", "SHA-256 differs from manifest.json");
    }

  // 3. The audit export: chains, heads and signatures, as `fairgate verify export.ndjson` checks them.
  const exportBytes = members.get(EXPORT_MEMBER);
  let exportVerdict: ExportVerdict | null = null;
  const auditContent = new Map<string, Record<string, unknown>>();
  const evaluationContent = new Map<string, unknown>();
  let header: Record<string, unknown> | null = null;
  if (!exportBytes) find(EXPORT_MEMBER, "missing_member", "the pack has no audit export");
  else {
    const verifier = createExportVerifier(opts.publicKey ? { publicKey: opts.publicKey } : {});
    try {
      let n = 0;
      for (const line of text(exportBytes).split("\n")) {
        n++;
        if (!line.trim()) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          throw new ExportFormatError(`line ${n}: not valid JSON`);
        }
        if (header === null) header = value as Record<string, unknown>;
        else {
          const l = value as { chain?: string; id?: string; content?: unknown };
          if (l.chain === "audit" && typeof l.id === "string") auditContent.set(l.id, l.content as Record<string, unknown>);
          if (l.chain === "evaluation" && typeof l.id === "string") evaluationContent.set(l.id, l.content);
        }
        await verifier.push(value, n);
      }
      exportVerdict = await verifier.result();
      for (const c of ["audit", "evaluation"] as const) {
        const v = exportVerdict.chains[c];
        if (!v.ok) find(EXPORT_MEMBER, v.reason === "signature_invalid" ? "signature_invalid" : "chain_broken", `${c} chain: ${v.breakCount} finding(s): ${Object.entries(v.breakCounts).map(([r, k]) => `${r} ×${k}`).join(", ")}`);
      }
      if (exportVerdict.signatures === "invalid" && !findings.some((f) => f.reason === "signature_invalid")) find(EXPORT_MEMBER, "signature_invalid", "the signed chain heads do not verify");
    } catch (err) {
      if (!(err instanceof ExportFormatError)) throw err;
      find(EXPORT_MEMBER, "malformed", err.message);
    }
  }

  if (manifest && header) {
    // 4. The manifest's heads and key are the export's.
    if (canonicalJson(manifest.chainHeads) !== canonicalJson(header.heads) || canonicalJson(manifest.anchors) !== canonicalJson(header.anchors) || manifest.publicKey !== header.publicKey)
      find(MANIFEST_MEMBER, "heads_mismatch", "chain heads, anchors or public key differ from the audit export's");
    // 5. The pack's audit row binds every evaluation, report and policy member.
    const row = [...auditContent.values()].find((c) => c.action === PACK_AUDIT_ACTION && c.entityId === manifest.packId);
    const bound = (row?.details as { files?: Record<string, string> } | undefined)?.files;
    if (!row || !bound) find(MANIFEST_MEMBER, "pack_row_missing", `no ${PACK_AUDIT_ACTION} audit row for pack ${manifest.packId} in the export`);
    else {
      for (const [path, h] of Object.entries(bound)) {
        const a = actual.get(path);
        if (a === undefined) {
          if (!findings.some((x) => x.file === path && x.reason === "missing_member")) find(path, "missing_member", "bound by the pack's audit row but not in the pack");
        } else if (a !== h && !findings.some((x) => x.file === path && x.reason === "hash_mismatch")) find(path, "hash_mismatch", "SHA-256 differs from the pack's signed audit row");
      }
      for (const path of actual.keys()) if (isBoundMember(path) && !(path in bound) && !findings.some((x) => x.file === path)) find(path, "unlisted_member", "not bound by the pack's audit row");
    }
    // 6. Evaluations and policies equal their chained rows.
    for (const [path, bytes] of members) {
      const ev = /^evaluations\/(.+)\.json$/.exec(path);
      if (ev) {
        const chained = evaluationContent.get(ev[1]!);
        if (chained === undefined) find(path, "not_in_chain", "no evaluation with this id in the export's evaluation chain");
        else if (canonicalJson(parseJson(bytes) ?? null) !== canonicalJson(chained)) find(path, "content_mismatch", "differs from the chained evaluation");
      }
      if (path.startsWith("policies/")) {
        const p = parseJson(bytes) as { auditId?: string; policy?: unknown } | undefined;
        const chained = p?.auditId ? auditContent.get(p.auditId) : undefined;
        if (chained === undefined) find(path, "not_in_chain", "no such policy change in the export's audit chain");
        else if (canonicalJson(p!.policy ?? null) !== canonicalJson(chained.after ?? null)) find(path, "content_mismatch", "differs from the chained policy change");
      }
    }
  }

  const chains = exportVerdict?.chains;
  const summary = (c: ChainName) => {
    const v = chains?.[c];
    return { ok: v?.ok ?? false, rows: v?.rows ?? 0, breakCount: v?.breakCount ?? 0, breakCounts: v?.breakCounts ?? {} };
  };
  return {
    ok: findings.length === 0,
    format: PACK_FORMAT,
    tenantId: manifest?.tenantId ?? "",
    packId: manifest?.packId ?? "",
    members: members.size,
    findings,
    export: {
      ok: exportVerdict?.ok ?? false,
      tenantId: exportVerdict?.tenantId ?? "",
      format: exportVerdict?.format ?? "",
      signatures: exportVerdict?.signatures ?? "invalid",
      chains: { audit: summary("audit"), evaluation: summary("evaluation") },
    },
  };
}
