/**
 * @module domain/chain-export
 * Offline verification of an evidence export (NDJSON from
 * GET /api/v1/audit-log/export): a header line with the chain heads (and, from
 * format 2 on, the signed anchors and the public key), then the links of each
 * chain in storage order. The links are checked by the same verifier the API
 * uses; the heads catch a truncated file; the signed anchors catch a chain that
 * was recomputed, truncated or rolled back in the tenant database before export.
 */
import { z } from "zod";
import { type BreakReason, type ChainName, type ChainVerdict, createChainVerifier } from "./chain.js";
import { signedHeadSchema, verifySignedHead } from "./chain-sign.js";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const headSchema = z.object({ seq: z.number().int().min(1), hash: hex64 }).nullable();
const anchorSchema = signedHeadSchema.nullable();

const headerV1Schema = z.object({
  format: z.literal("fairgate-evidence/1"),
  tenantId: z.string(),
  exportedAt: z.string(),
  heads: z.object({ audit: headSchema, evaluation: headSchema }),
});

const headerV2Schema = z.object({
  format: z.literal("fairgate-evidence/2"),
  tenantId: z.string(),
  exportedAt: z.string(),
  heads: z.object({ audit: headSchema, evaluation: headSchema }),
  anchors: z.object({ audit: anchorSchema, evaluation: anchorSchema }),
  publicKey: z.string().nullable(),
  keyId: z.string().nullable(),
});

export const exportHeaderSchema = z.discriminatedUnion("format", [headerV1Schema, headerV2Schema]);

export const exportLinkSchema = z.object({
  chain: z.enum(["audit", "evaluation"]),
  id: z.string(),
  chainSeq: z.number().int().nullable(),
  prevHash: z.string().nullable(),
  hash: z.string().nullable(),
  content: z.unknown(),
});

/** A line that is not part of a valid export (as opposed to a broken chain). */
export class ExportFormatError extends Error {}

/** How the export's signatures were checked. */
export type SignatureCheck =
  /** Against the key the caller supplied (independent of the file). */
  | "verified_with_supplied_key"
  /** Against the key inside the file: proves consistency, not origin. */
  | "verified_with_embedded_key"
  /** A format-1 export, or chains that were never anchored: nothing to check. */
  | "not_signed"
  | "invalid";

/** The verdict over a whole export. */
export interface ExportVerdict {
  ok: boolean;
  tenantId: string;
  format: string;
  chains: Record<ChainName, ChainVerdict>;
  signatures: SignatureCheck;
}

const CHAINS: ChainName[] = ["audit", "evaluation"];

/** Feed parsed lines in order; throws ExportFormatError on a malformed line. `publicKey`: raw Ed25519, base64url. */
export function createExportVerifier(opts: { publicKey?: string } = {}) {
  let header: z.infer<typeof exportHeaderSchema> | null = null;
  let verifiers: Record<ChainName, ReturnType<typeof createChainVerifier>> | null = null;
  return {
    async push(line: unknown, lineNo: number): Promise<void> {
      if (header === null) {
        const h = exportHeaderSchema.safeParse(line);
        if (!h.success) throw new ExportFormatError(`line ${lineNo}: not a fairgate-evidence/1 or /2 header`);
        header = h.data;
        const anchors = header.format === "fairgate-evidence/2" ? header.anchors : { audit: null, evaluation: null };
        // Offline, announcements of interrupted writes prove nothing: rows past a signed anchor are unanchored.
        const view = (a: z.infer<typeof anchorSchema>) => (a ? { seq: a.seq, hash: a.hash, legacyRowsAllowed: a.legacyRowsAllowed, pending: [] } : null);
        verifiers = { audit: createChainVerifier("audit", { anchor: view(anchors.audit) }), evaluation: createChainVerifier("evaluation", { anchor: view(anchors.evaluation) }) };
        return;
      }
      const l = exportLinkSchema.safeParse(line);
      if (!l.success) throw new ExportFormatError(`line ${lineNo}: not a chain link (${l.error.issues[0]?.path.join(".") || "line"}: ${l.error.issues[0]?.message})`);
      await verifiers![l.data.chain].push(l.data);
    },
    async result(): Promise<ExportVerdict> {
      if (header === null || verifiers === null) throw new ExportFormatError("the file is empty (no header line)");
      const chains = { audit: verifiers.audit.result(header.heads.audit), evaluation: verifiers.evaluation.result(header.heads.evaluation) };
      let signatures: SignatureCheck = "not_signed";
      if (header.format === "fairgate-evidence/2") {
        const h = header;
        const anchored = CHAINS.filter((c) => h.anchors[c] !== null);
        const key = opts.publicKey ?? h.publicKey;
        // With a key to trust, every chain must carry a signed anchor: stripping them must not turn into "not signed".
        const unsigned = opts.publicKey ? CHAINS.filter((c) => h.anchors[c] === null) : [];
        for (const c of unsigned) flagSignature(chains[c]);
        if (anchored.length > 0) {
          if (!key) signatures = "invalid";
          else {
            // A signature is only good for its own tenant and chain slot.
            const results = await Promise.all(
              anchored.map(async (c) => ({ c, ok: h.anchors[c]!.tenantId === h.tenantId && h.anchors[c]!.chain === c && (await verifySignedHead(h.anchors[c]!, key)) })),
            );
            for (const r of results.filter((x) => !x.ok)) flagSignature(chains[r.c]);
            signatures = results.every((r) => r.ok) && unsigned.length === 0 ? (opts.publicKey ? "verified_with_supplied_key" : "verified_with_embedded_key") : "invalid";
          }
        } else if (unsigned.length > 0) signatures = "invalid";
      } else if (opts.publicKey) {
        // The caller expects signed evidence; a format-1 file has none to offer.
        signatures = "invalid";
      }
      const ok = chains.audit.ok && chains.evaluation.ok && signatures !== "invalid";
      return { ok, tenantId: header.tenantId, format: header.format, chains, signatures };
    },
  };
}

function flagSignature(v: ChainVerdict): void {
  const reason: BreakReason = "signature_invalid";
  v.ok = false;
  v.breaks.push({ id: null, seq: null, reason });
  v.breakCount++;
  v.breakCounts[reason] = (v.breakCounts[reason] ?? 0) + 1;
  v.reason ??= reason;
}
