/**
 * Two writers (two clients on one tenant database file, as two processes or
 * isolates would be) interleaved at the worst moments around the anchor: one
 * announces, another announces, the first commits but its anchor update is
 * late or never comes. No false tamper alarm, no lock-out: announcements are a
 * set, and a head that ends at any announced one is an interrupted write.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { describe, expect, it } from "vitest";
import { createEvidenceSigner } from "../../worker/domain/chain-sign.js";
import { loadMigrationsFromDisk } from "../../worker/runtime/node-files.js";
import { verifyChain } from "../../worker/services/chain.js";
import { createChainAnchorStore } from "../../worker/store/chain-anchors.js";
import { migrate } from "../../worker/store/sql.js";
import { createTenantStore } from "../../worker/store/tenant-store.js";
import type { AnchorPort } from "../../worker/store/tenant/anchor-guard.js";

const gate = () => {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
};

describe("two writers around one tenant's anchors", () => {
  it("an announcement never erases another's; a committed write whose anchor is late is accepted, and repaired after its writer died", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fairgate-anchor-race-"));
    const m = loadMigrationsFromDisk();
    const control = createClient({ url: `file:${join(dir, "control.db")}`, intMode: "number" });
    await migrate(control, m.control);
    const file = `file:${join(dir, "t.db")}`;
    const dbA = createClient({ url: file, intMode: "number" });
    await migrate(dbA, m.tenant);
    const dbB = createClient({ url: file, intMode: "number" });
    for (const d of [dbA, dbB, control]) await d.execute("PRAGMA busy_timeout = 5000");
    const anchors = createChainAnchorStore(control, await createEvidenceSigner("22".repeat(32)));
    await anchors.initialize("t1");

    const aAnnounced = gate(), releaseA = gate(), bAnnounced = gate(), releaseB = gate(), aAdvance = gate();
    let aCount = 0, bCount = 0;
    const port = (who: "A" | "B"): AnchorPort => ({
      read: () => anchors.get("t1"),
      announce: async (h) => {
        await anchors.announce("t1", h);
        if (who === "A" && aCount++ === 0) (aAnnounced.open(), await releaseA.p);
        if (who === "B" && bCount++ === 0) (bAnnounced.open(), await releaseB.p);
      },
      withdraw: (h) => anchors.withdraw("t1", h),
      advance: async (h) => {
        // A's first anchor update never comes (its process "died" after committing).
        if (who === "A") await aAdvance.p;
        await anchors.advance("t1", h);
      },
    });
    const A = createTenantStore(dbA, "t1", { anchor: port("A") });
    const B = createTenantStore(dbB, "t1", { anchor: port("B") });
    const entry = (n: string) => ({ entityType: "x", entityId: n, action: "test", actor: n });
    const now = new Date().toISOString();

    const wa = A.write([A.evidence.auditStmt("a1", entry("a"), now)]);
    await aAnnounced.p; // A announced seq 1, not committed yet
    const wb = B.write([B.evidence.auditStmt("b1", entry("b"), now)]).then(() => "ok", (e) => `${e.constructor.name}: ${e.finding ?? e.message}`);
    await bAnnounced.p; // B announced its own seq 1 beside A's
    releaseA.open(); // A commits; its anchor update hangs
    await new Promise((r) => setTimeout(r, 100));
    releaseB.open(); // B loses the head race, re-reads: the head ends at A's announcement
    expect(await wb).toBe("ok");
    const during = await verifyChain(A, "audit", anchors);
    expect(during.breaks).toEqual([]);
    expect(during.ok).toBe(true);

    // A restarted process: reconciliation and the next write both accept the chain as it is.
    const C = createTenantStore(createClient({ url: file, intMode: "number" }), "t1", { anchor: port("B") });
    expect(await C.reconcileAnchors()).toMatch(/^(ok|repaired)$/);
    await C.write([C.evidence.auditStmt("c1", entry("c"), now)]);
    const after = await verifyChain(C, "audit", anchors);
    expect(after).toMatchObject({ ok: true, rows: 3, anchorLag: 0 });
    // No announcement outlives the anchor that passed it.
    expect((await anchors.get("t1")).audit!.pending).toEqual([]);
    aAdvance.open();
    await wa;
  });
});
