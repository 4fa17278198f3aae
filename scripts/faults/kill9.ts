/**
 * @module scripts/faults/kill9
 * kill -9 under recommend load: every trace the gateway acknowledged (200) must
 * be in the tenant database after a restart. Rows present without an
 * acknowledgement (in flight at the kill) are allowed and counted.
 */
import Database from "libsql";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { createFaultTenant, recommend } from "./fixture.js";
import { startGateway } from "./gateway.js";
import type { FaultScenario } from "./scenario.js";

const LOAD_MS = 3_000;

export const kill9Scenario: FaultScenario = {
  name: "kill9UnderLoad",
  async run(opts) {
    let gw = await startGateway();
    const dataDir = gw.dataDir;
    try {
      const t = await createFaultTenant(gw.baseUrl, gw.adminToken, "kill9");
      const acknowledged = new Set<string>();
      let killed = false;
      let failedAfterKill = 0;
      const loops = Array.from({ length: opts.concurrency }, async () => {
        while (!killed) {
          try {
            const r = await recommend(gw.baseUrl, t);
            if (r.status === 200) acknowledged.add(r.body.traceId);
          } catch {
            failedAfterKill++;
          }
        }
      });
      await new Promise((ok) => setTimeout(ok, LOAD_MS));
      await gw.stop("SIGKILL");
      killed = true;
      await Promise.all(loops);
      opts.log(`kill9: ${acknowledged.size} acknowledged before SIGKILL`);

      gw = await startGateway({ FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: gw.adminToken });
      const afterRestart = await recommend(gw.baseUrl, t);
      await gw.stop();
      const db = new Database(join(dataDir, "tenants", `${t.id}.db`));
      const ids = new Set((db.prepare("SELECT id FROM decision_traces").all() as { id: string }[]).map((r) => r.id));
      db.close();
      let present = 0;
      for (const id of acknowledged) if (ids.has(id)) present++;
      return {
        acknowledged: acknowledged.size,
        acknowledgedPresent: present,
        lost: acknowledged.size - present,
        unacknowledgedPresent: ids.size - present - (afterRestart.status === 200 ? 1 : 0),
        requestsCutByKill: failedAfterKill,
        recommendAfterRestart: afterRestart.status,
      };
    } finally {
      await gw.stop("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
