/**
 * @module services/chain
 * Verifying and exporting a tenant's hash chains. Both page through storage with
 * a bounded page size; verification uses the domain's one verifier, the same
 * one `fairgate verify` runs over an export.
 */
import { type ChainHead, type ChainName, type ChainVerdict, createChainVerifier } from "../domain/chain.js";
import type { TenantStore } from "../store/tenant-store.js";

const PAGE = 500;
const CHAINS: ChainName[] = ["audit", "evaluation"];

/** Verifies one chain against its stored head. */
export async function verifyChain(store: TenantStore, chain: ChainName): Promise<ChainVerdict> {
  const head = (await store.evidence.chainHeads())[chain];
  const v = createChainVerifier(chain);
  let after = 0;
  for (;;) {
    // Rows past the head read first were written during verification; they are checked next time.
    const page = await store.evidence.linkPage(chain, after, PAGE, head?.seq ?? 0);
    for (const l of page.links) await v.push(l);
    if (page.last === null || page.links.length < PAGE) break;
    after = page.last;
  }
  return v.result(head);
}

/** The first line of an export: what it is and where it came from. */
export interface ExportHeader {
  format: "fairgate-evidence/1";
  tenantId: string;
  exportedAt: string;
  heads: Record<ChainName, ChainHead | null>;
}

/**
 * The export as NDJSON lines, produced lazily page by page: a header with the
 * chain heads, then every link of each chain up to that head
 * (`{"chain", "id", "chainSeq", "prevHash", "hash", "content"}`).
 */
export async function* exportLines(store: TenantStore, now: Date): AsyncGenerator<string> {
  const heads = await store.evidence.chainHeads();
  const header: ExportHeader = { format: "fairgate-evidence/1", tenantId: store.tenantId, exportedAt: now.toISOString(), heads };
  yield `${JSON.stringify(header)}\n`;
  for (const chain of CHAINS) {
    let after = 0;
    for (;;) {
      const page = await store.evidence.linkPage(chain, after, PAGE, heads[chain]?.seq ?? 0);
      if (page.links.length > 0) yield page.links.map((l) => JSON.stringify({ chain, ...l })).join("\n") + "\n";
      if (page.last === null || page.links.length < PAGE) break;
      after = page.last;
    }
  }
}
