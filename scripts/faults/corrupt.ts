/**
 * @module scripts/faults/corrupt
 * A tenant database file overwritten with garbage (gateway stopped, file
 * replaced, gateway started): that tenant's status code (expected 503
 * store_unavailable, never 500), the other tenant's, and /readyz.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFaultTenant, probe, recommend } from "./fixture.js";
import { startGateway } from "./gateway.js";
import type { FaultScenario } from "./scenario.js";

export const corruptScenario: FaultScenario = {
  name: "corruptFile",
  async run() {
    let gw = await startGateway();
    const dataDir = gw.dataDir;
    try {
      const a = await createFaultTenant(gw.baseUrl, gw.adminToken, "corrupt-a");
      const b = await createFaultTenant(gw.baseUrl, gw.adminToken, "corrupt-b");
      await gw.stop();
      const file = join(dataDir, "tenants", `${a.id}.db`);
      for (const side of ["", "-wal", "-shm"]) rmSync(file + side, { force: true });
      writeFileSync(file, Buffer.alloc(64 * 1024, "garbage! "));
      gw = await startGateway({ FAIRGATE_DATA_DIR: dataDir, FAIRGATE_ADMIN_TOKEN: gw.adminToken });
      const corrupt = await recommend(gw.baseUrl, a);
      const other = await recommend(gw.baseUrl, b);
      const readyz = await probe(gw.baseUrl, "/readyz");
      return { corruptTenantStatus: corrupt.status, corruptTenantCode: corrupt.body?.code, otherTenantStatus: other.status, readyz: readyz.body };
    } finally {
      await gw.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
