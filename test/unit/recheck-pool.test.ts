/**
 * The bounded pool behind the daily run (services/recheck-pool) and the queue
 * consumer's backoff: never more than `concurrency` jobs at once, outcomes in
 * the items' order, a job past its budget reported timed out with its signal
 * fired while the pool goes on, a throwing job reported, not thrown.
 */
import { describe, expect, it } from "vitest";
import { runPool } from "../../worker/services/recheck-pool.js";
import { RETRY_DELAY_MAX_SECONDS, retryDelaySeconds } from "../../worker/services/recheck-queue.js";

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe("runPool", () => {
  it("runs at most `concurrency` jobs at once and keeps the items' order", async () => {
    for (const concurrency of [1, 3, 8]) {
      let running = 0;
      let peak = 0;
      const items = Array.from({ length: 12 }, (_, i) => i);
      const out = await runPool(items, { concurrency, budgetMs: 1_000 }, async (i) => {
        peak = Math.max(peak, ++running);
        await sleep(5 + ((i * 7) % 11));
        running--;
        return i * 10;
      });
      expect(peak).toBe(Math.min(concurrency, items.length));
      expect(out.map((o) => (o.kind === "done" ? o.value : null))).toEqual(items.map((i) => i * 10));
    }
  });

  it("reports a job past its budget as timed out, fires its signal, and frees its slot for the rest", async () => {
    const signals: AbortSignal[] = [];
    const started = Date.now();
    const out = await runPool(["slow", "a", "b", "c"], { concurrency: 1, budgetMs: 100 }, async (item, signal) => {
      signals.push(signal);
      await sleep(item === "slow" ? 2_000 : 5);
      return item;
    });
    // One slot: a, b and c waited for the slow job's budget, not for its 2 s.
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(out[0]).toMatchObject({ kind: "timed_out" });
    expect(out[0]!.elapsedMs).toBeGreaterThanOrEqual(95);
    expect(out.slice(1).map((o) => o.kind)).toEqual(["done", "done", "done"]);
    expect(signals.map((s) => s.aborted)).toEqual([true, false, false, false]);
  });

  it("reports a throwing job and goes on; no budget (null) never times out", async () => {
    const out = await runPool([1, 2, 3], { concurrency: 2, budgetMs: null }, async (i) => {
      if (i === 2) throw new Error("boom");
      await sleep(20);
      return i;
    });
    expect(out.map((o) => o.kind)).toEqual(["done", "error", "done"]);
    expect(out[1]!.kind === "error" && (out[1]!.error as Error).message).toBe("boom");
  });
});

describe("retryDelaySeconds", () => {
  it("doubles per attempt from the base and stops at the cap", () => {
    expect([1, 2, 3, 4].map((a) => retryDelaySeconds(a, 30))).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(40, 30)).toBe(RETRY_DELAY_MAX_SECONDS);
    expect(retryDelaySeconds(3, 0)).toBe(0);
  });
});
