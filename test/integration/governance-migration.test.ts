/**
 * Migration 0010 (governance depth) on a database that already holds data: a tenant
 * database migrated up to 0009 gets flows and overrides in every status, then
 * 0010 rebuilds fairness_overrides (status 'rejected', approval columns) and
 * adds decision_flows.archived_at. Every row survives unchanged, old requests
 * read back with the single default approval stage, old flows are not archived,
 * and the new statuses are accepted afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_APPROVAL_STAGES } from "../../worker/domain/policy.js";
import { migrate } from "../../worker/store/sql.js";
import { createFlowStore } from "../../worker/store/tenant/flows.js";
import { createGovernanceStore } from "../../worker/store/tenant/governance.js";
import { loadMigrationsFromDisk, openLibsql } from "../../worker/runtime/node-files.js";

const TENANT = "t-migrate";
let dir: string;
let db: Awaited<ReturnType<typeof openLibsql>>;

const override = (id: string, status: string, approved: boolean) => ({
  sql: `INSERT INTO fairness_overrides (tenant_id, id, flow_id, reason, expires_at, status, requested_by, requested_at, approved_by, approved_at, revoked_by, revoked_at, revoke_reason)
        VALUES (?, ?, 'f1', 'reason long enough', '2031-01-10T00:00:00.000Z', ?, 'alice', '2031-01-01T00:00:00.000Z', ?, ?, ?, ?, ?)`,
  args: [TENANT, id, status, approved ? "carol" : null, approved ? "2031-01-02T00:00:00.000Z" : null, status === "revoked" ? "alice" : null, status === "revoked" ? "2031-01-03T00:00:00.000Z" : null, status === "revoked" ? "done" : null],
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fairgate-mig-"));
  db = await openLibsql("file:tenant.db", undefined, dir, "thread");
  const all = loadMigrationsFromDisk().tenant;
  expect(all.some((m) => m.version === 10)).toBe(true);
  await migrate(db, all.filter((m) => m.version < 10));
  await db.batch(
    [
      {
        sql: `INSERT INTO decision_flows (tenant_id, id, key, name, status, latest_version, active_version, revision, created_at, updated_at)
              VALUES (?, 'f1', 'k1', 'Flow', 'active', 1, 1, 3, '2031-01-01T00:00:00.000Z', '2031-01-01T00:00:00.000Z')`,
        args: [TENANT],
      },
      override("o-pending", "pending", false),
      override("o-active", "active", true),
      override("o-revoked", "revoked", true),
    ],
    "write",
  );
  await migrate(db, all);
});

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("migration 0010 on existing data", () => {
  it("keeps every override as it was, with the single default stage and no decisions", async () => {
    const gov = createGovernanceStore(db, TENANT);
    const items = await gov.listOverrides();
    expect(items.map((o) => [o.id, o.status, o.approvedBy, o.revokeReason]).sort()).toEqual([
      ["o-active", "active", "carol", null],
      ["o-pending", "pending", null, null],
      ["o-revoked", "revoked", "carol", "done"],
    ]);
    for (const o of items) expect(o).toMatchObject({ stages: [...DEFAULT_APPROVAL_STAGES], decisions: [], rejectedBy: null, rejectReason: null });
    expect((await gov.getOverride("o-pending"))!.currentStage).toEqual({ ...DEFAULT_APPROVAL_STAGES[0], index: 0 });
    expect((await gov.activeOverridesFor("f1")).map((o) => o.id)).toEqual(["o-active"]);
  });

  it("accepts the new status and stage rows after it", async () => {
    const gov = createGovernanceStore(db, TENANT);
    await db.batch(gov.decideStageStmts("o-pending", { stageIndex: 0, stage: "approval", role: "approver", decision: "reject", decidedBy: "carol", reason: "no", decidedAt: "2031-01-04T00:00:00.000Z" }, false), "write");
    expect(await gov.getOverride("o-pending")).toMatchObject({ status: "rejected", rejectedBy: "carol", rejectReason: "no", currentStage: null, decisions: [{ decision: "reject", decidedBy: "carol" }] });
  });

  it("leaves existing flows unarchived, and archiving works on them", async () => {
    const flows = createFlowStore(db, TENANT);
    const f = (await flows.get("f1"))!;
    expect(f).toMatchObject({ status: "active", activeVersion: 1, revision: 3 });
    await db.batch(flows.archiveStmts(f, "2031-01-05T00:00:00.000Z"), "write");
    expect(await flows.get("f1")).toMatchObject({ status: "archived", activeVersion: 1, revision: 4 });
    expect((await flows.list("active")).length).toBe(0);
    expect((await flows.list("archived")).map((x) => x.id)).toEqual(["f1"]);
  });
});
