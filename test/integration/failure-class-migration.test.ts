/**
 * Migration 0012 (failure class, playbooks) on a database that already holds a
 * remediation and a policy: the record reads back with no class and an empty
 * playbook, the policy row with no playbooks (every class at its default); new
 * records store both, a class outside the list is refused by the CHECK, and a
 * playbook column that is not the documented shape is a StoredRecordError.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoredRecordError } from "../../worker/domain/errors.js";
import { migrate } from "../../worker/store/sql.js";
import { createGovernanceStore } from "../../worker/store/tenant/governance.js";
import { createRemediationStore } from "../../worker/store/tenant/remediations.js";
import { loadMigrationsFromDisk, openLibsql } from "../../worker/runtime/node-files.js";

const TENANT = "t-migrate-12";
let dir: string;
let db: Awaited<ReturnType<typeof openLibsql>>;
const at = "2031-01-01T00:00:00.000Z";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "fairgate-mig12-"));
  db = await openLibsql("file:tenant.db", undefined, dir, "thread");
  const all = loadMigrationsFromDisk().tenant;
  expect(all.some((m) => m.version === 12)).toBe(true);
  await migrate(db, all.filter((m) => m.version < 12));
  await db.batch(
    [
      {
        sql: `INSERT INTO remediations (tenant_id, id, flow_id, flow_key, evaluation_id, opened_by_action, failing_metrics, failing_slices, status, revision, created_at, updated_at)
              VALUES (?, 'r-old', 'f1', 'k1', 'e1', 'publish_blocked', '[]', '[]', 'open', 1, ?, ?)`,
        args: [TENANT, at, at],
      },
      { sql: "INSERT INTO tenant_settings (tenant_id, fairness_policy, updated_at, updated_by) VALUES (?, '{}', ?, 'a')", args: [TENANT, at] },
    ],
    "write",
  );
  await migrate(db, all);
});

afterAll(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("migration 0012 on existing data", () => {
  it("an older remediation has no class and an empty playbook; the tenant has no playbooks set", async () => {
    const rem = createRemediationStore(db, TENANT);
    expect(await rem.get("r-old")).toMatchObject({ id: "r-old", status: "open", failureClass: null, playbook: [] });
    expect(await createGovernanceStore(db, TENANT).getPlaybooks()).toBeNull();
  });

  it("new records keep class and playbook; the CHECK refuses an unknown class; a malformed stored playbook is an integrity fault", async () => {
    const rem = createRemediationStore(db, TENANT);
    const old = (await rem.get("r-old"))!;
    await db.batch([rem.insertStmt({ ...old, id: "r-new", failureClass: "threshold", playbook: ["Recalibrate"] })], "write");
    expect(await rem.get("r-new")).toMatchObject({ failureClass: "threshold", playbook: ["Recalibrate"] });
    await expect(db.batch([rem.insertStmt({ ...old, id: "r-bad", failureClass: "astrology" as never })], "write")).rejects.toThrow(/CHECK/);
    const gov = createGovernanceStore(db, TENANT);
    await db.batch([gov.putPlaybooksStmt({ model: ["Retrain"] })], "write");
    expect(await gov.getPlaybooks()).toEqual({ model: ["Retrain"] });
    await db.execute({ sql: "UPDATE tenant_settings SET remediation_playbooks = ? WHERE tenant_id = ?", args: ['{"model": "Retrain"}', TENANT] });
    await expect(gov.getPlaybooks()).rejects.toThrow(StoredRecordError);
  });
});
