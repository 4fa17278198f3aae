/**
 * The chain walk's page reads (store/tenant/chain-reads): each page is a keyset read of
 * the rowid b-tree, never a search by tenant plus a sort of the rest of the log (which
 * made verifying a 10,000-row log re-sort it on every page), and the pages still return
 * every row of the tenant in storage order.
 */
import { describe, expect, it } from "vitest";
import { linkPageStatement, readLinkPage } from "../../worker/store/tenant/chain-reads.js";
import { createTestTenantStore } from "../helpers/tenant-db.js";

describe("chain page reads", () => {
  it("read the primary key in order, without a temp b-tree, on the first page and after a cursor", async () => {
    const { client } = await createTestTenantStore();
    for (const chain of ["audit", "evaluation"] as const) {
      for (const after of [null, 500]) {
        const stmt = linkPageStatement("t1", chain, after, 500);
        const plan = (await client.execute({ sql: `EXPLAIN QUERY PLAN ${stmt.sql}`, args: stmt.args })).rows.map((r) => String(r.detail)).join("\n");
        expect(plan, `${chain} after ${after}`).not.toContain("TEMP B-TREE");
        expect(plan, `${chain} after ${after}`).not.toContain("USING INDEX");
        expect(plan, `${chain} after ${after}`).toMatch(after === null ? /^SCAN (audit_log|fairness_evaluations)$/ : /USING INTEGER PRIMARY KEY \(rowid>\?\)/);
      }
    }
    client.close();
  });

  it("page through every row of the tenant in storage order, other tenants' rows left out", async () => {
    const { client, store } = await createTestTenantStore();
    for (let b = 0; b < 3; b++) {
      await store.write(Array.from({ length: 4 }, (_, i) => store.evidence.auditStmt(`r-${b}-${i}`, { entityType: "x", entityId: `${b}`, action: "a", actor: "t" }, new Date(1_700_000_000_000 + b).toISOString())));
      // Another tenant's row in between (a tenant database holds one tenant; the query still filters).
      await client.execute({ sql: "INSERT INTO audit_log (id, tenant_id, entity_type, entity_id, action, actor, created_at) VALUES (?, 't2', 'x', 'y', 'a', 't', ?)", args: [`other-${b}`, new Date().toISOString()] });
    }
    const ids: string[] = [];
    let after: number | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const page = await readLinkPage(client, "t1", "audit", after, 5);
      ids.push(...page.links.map((l) => l.id));
      if (page.last === null || page.links.length < 5) break;
      after = page.last;
    }
    expect(ids).toEqual([0, 1, 2].flatMap((b) => [0, 1, 2, 3].map((i) => `r-${b}-${i}`)));
    client.close();
  });
});
