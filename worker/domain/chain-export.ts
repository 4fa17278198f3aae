/**
 * @module domain/chain-export
 * Offline verification of an evidence export (NDJSON from
 * GET /api/v1/audit-log/export): a header line with the chain heads, then the
 * links of each chain in storage order. The links are checked by the same
 * verifier the API uses; the heads catch a truncated file.
 */
import { z } from "zod";
import { type ChainName, type ChainVerdict, createChainVerifier } from "./chain.js";

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const headSchema = z.object({ seq: z.number().int().min(1), hash: hex64 }).nullable();

export const exportHeaderSchema = z.object({
  format: z.literal("fairgate-evidence/1"),
  tenantId: z.string(),
  exportedAt: z.string(),
  heads: z.object({ audit: headSchema, evaluation: headSchema }),
});

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

/** The verdict over a whole export. */
export interface ExportVerdict {
  ok: boolean;
  tenantId: string;
  chains: Record<ChainName, ChainVerdict>;
}

/** Feed parsed lines in order; throws ExportFormatError on a malformed line. */
export function createExportVerifier() {
  let header: z.infer<typeof exportHeaderSchema> | null = null;
  const verifiers = { audit: createChainVerifier("audit"), evaluation: createChainVerifier("evaluation") };
  return {
    async push(line: unknown, lineNo: number): Promise<void> {
      if (header === null) {
        const h = exportHeaderSchema.safeParse(line);
        if (!h.success) throw new ExportFormatError(`line ${lineNo}: not a fairgate-evidence/1 header`);
        header = h.data;
        return;
      }
      const l = exportLinkSchema.safeParse(line);
      if (!l.success) throw new ExportFormatError(`line ${lineNo}: not a chain link (${l.error.issues[0]?.path.join(".") || "line"}: ${l.error.issues[0]?.message})`);
      await verifiers[l.data.chain].push(l.data);
    },
    result(): ExportVerdict {
      if (header === null) throw new ExportFormatError("the file is empty (no header line)");
      const chains = { audit: verifiers.audit.result(header.heads.audit), evaluation: verifiers.evaluation.result(header.heads.evaluation) };
      return { ok: chains.audit.ok && chains.evaluation.ok, tenantId: header.tenantId, chains };
    },
  };
}
