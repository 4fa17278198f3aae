/**
 * @module scripts/faults/lock
 * Another process holds an exclusive lock on tenant A's database for
 * `lockSeconds`: tenant B's recommend latency and /healthz latency during the
 * lock (targets: p99 < 50 ms), against B's latency just before it, and what A's
 * own requests got (503 store_unavailable within the deadline).
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createFaultTenant, holdExclusiveLock, probe, recommend, sampleLatency } from "./fixture.js";
import { startGateway } from "./gateway.js";
import type { FaultScenario } from "./scenario.js";

const BASELINE_MS = 5_000;
const RECOVERY_LIMIT_MS = 10_000;

export const lockScenario: FaultScenario = {
  name: "exclusiveLockOnA",
  async run(opts) {
    const gw = await startGateway();
    try {
      const a = await createFaultTenant(gw.baseUrl, gw.adminToken, "lock-a");
      const b = await createFaultTenant(gw.baseUrl, gw.adminToken, "lock-b");
      const baseline = await sampleLatency(() => recommend(gw.baseUrl, b), { durationMs: BASELINE_MS, concurrency: opts.concurrency });
      opts.log(`lock: baseline B p99 ${baseline.p99Ms} ms; holding A for ${opts.lockSeconds} s`);
      const lock = await holdExclusiveLock(join(gw.dataDir, "tenants", `${a.id}.db`), opts.lockSeconds * 1000 + 5_000);
      const during = opts.lockSeconds * 1000;
      try {
        const [bRecommend, healthz, aRecommend] = await Promise.all([
          sampleLatency(() => recommend(gw.baseUrl, b), { durationMs: during, concurrency: opts.concurrency }),
          sampleLatency(() => probe(gw.baseUrl, "/healthz"), { durationMs: during, concurrency: 1 }),
          sampleLatency(() => recommend(gw.baseUrl, a), { durationMs: during, concurrency: 2 }),
        ]);
        const readyz = await probe(gw.baseUrl, "/readyz");
        await lock.release();
        // A fails fast for a short cool-down after its last failure; then one probe succeeds and clears it.
        const released = performance.now();
        let aAfter = await recommend(gw.baseUrl, a);
        while (aAfter.status !== 200 && performance.now() - released < RECOVERY_LIMIT_MS) {
          await new Promise((ok) => setTimeout(ok, 50));
          aAfter = await recommend(gw.baseUrl, a);
        }
        const recoveredMs = Math.round(performance.now() - released);
        return {
          lockSeconds: opts.lockSeconds,
          bRecommendBaseline: baseline,
          bRecommendDuringLock: bRecommend,
          healthzDuringLock: healthz,
          aRecommendDuringLock: aRecommend,
          readyzDuringLock: readyz.body,
          aRecommendAfterRelease: aAfter.status,
          aRecoveredAfterReleaseMs: recoveredMs,
          targetMs: 50,
          bP99Met: bRecommend.p99Ms < 50,
          healthzP99Met: healthz.p99Ms < 50,
        };
      } finally {
        await lock.release();
      }
    } finally {
      await gw.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  },
};
