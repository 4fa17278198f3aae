/**
 * @module test/contract/store-deadline
 * The store deadline over the worker-thread file client: a write abandoned by
 * its deadline (slow, or waiting on another process's lock) rejects with
 * StoreUnavailableError and never commits, even once the thread gets to it; the
 * outcome callback sees timed_out → answered; constraint errors still reach
 * mapStoreError raw (409), and the event loop is never held meanwhile.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConflictError, StoreUnavailableError } from "../../worker/domain/errors.js";
import { openLibsql } from "../../worker/runtime/node-files.js";
import { mapStoreError, type SqlClient, type StoreOutcome, withDeadline } from "../../worker/store/sql.js";
import { createStoreAvailability } from "../../worker/store/store-availability.js";
import { holdExclusiveLock } from "../../scripts/faults/fixture.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-deadline-"));
const clients: SqlClient[] = [];
afterAll(() => {
  for (const c of clients) c.close();
  rmSync(dir, { recursive: true, force: true });
});

async function setup(deadlineMs: number) {
  const name = `${crypto.randomUUID()}.db`;
  const raw = await openLibsql(`file:${name}`, undefined, dir, "thread");
  clients.push(raw);
  await raw.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  const outcomes: StoreOutcome[] = [];
  const db = withDeadline(raw, deadlineMs, (o) => outcomes.push(o));
  const count = async () => Number((await raw.execute("SELECT count(*) AS n FROM t")).rows[0]!.n);
  return { raw, db, outcomes, count, path: join(dir, name) };
}

/** Largest gap between timer ticks while `p` runs: how long the event loop was held. */
async function loopStall<T>(p: Promise<T>): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  const [result] = await Promise.allSettled([p]);
  clearInterval(tick);
  return { result, stallMs: worst };
}

describe("deadline over the worker-thread client", () => {
  it("abandons a write slower than the deadline; it never commits", async () => {
    const { db, outcomes, count } = await setup(100);
    const slow = db.batch(
      [{ sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) INSERT INTO t (v) SELECT 'v' || i FROM n" }],
      "write",
    );
    const t0 = performance.now();
    const { result, stallMs } = await loopStall(slow);
    expect(result.status).toBe("rejected");
    expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(stallMs).toBeLessThan(500);
    // The thread finishes the statement, finds its caller gone and rolls back; this read queues behind it.
    expect(await count()).toBe(0);
    expect(outcomes).toEqual(["timed_out"]);
    await db.batch([{ sql: "INSERT INTO t (v) VALUES ('after')" }], "write");
    expect(await count()).toBe(1);
    expect(outcomes).toEqual(["timed_out", "answered"]);
  });

  it("gives up on a write waiting for another process's exclusive lock; it never commits", async () => {
    const { db, count, path } = await setup(300);
    const lock = await holdExclusiveLock(path, 10_000);
    try {
      const t0 = performance.now();
      const { result, stallMs } = await loopStall(db.batch([{ sql: "INSERT INTO t (v) VALUES ('locked')" }], "write"));
      expect(result.status).toBe("rejected");
      expect(mapStoreError((result as PromiseRejectedResult).reason)).toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(stallMs).toBeLessThan(500);
    } finally {
      await lock.release();
    }
    expect(await count()).toBe(0);
    await db.execute({ sql: "INSERT INTO t (v) VALUES (?)", args: ["free"] });
    expect(await count()).toBe(1);
  });

  it("passes constraint errors through for mapStoreError (409), counted as answers", async () => {
    const { db, outcomes } = await setup(5000);
    await db.batch([{ sql: "INSERT INTO t (v) VALUES ('x')" }], "write");
    const e = await db.batch([{ sql: "INSERT INTO t (v) VALUES ('x')" }], "write").catch((err) => err);
    expect(mapStoreError(e)).toBeInstanceOf(ConflictError);
    expect(outcomes).toEqual(["answered", "answered"]);
  });

  it("short-circuits a failing store: one deadline, then fast 503s; a readiness probe clears it once writes work", async () => {
    const { raw, path, count } = await setup(5000);
    const availability = createStoreAvailability({ timeoutMs: 300, coolDownMs: 400 });
    const db = availability.wrap("t1", raw);
    const lock = await holdExclusiveLock(path, 10_000);
    try {
      await expect(db.batch([{ sql: "INSERT INTO t (v) VALUES ('a')" }], "write")).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(availability.unavailableCount()).toBe(1);
      const t0 = performance.now();
      await expect(db.execute("SELECT 1")).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - t0).toBeLessThan(150);
      // A readiness probe while writers are still locked out keeps it failed (reads alone would pass).
      await new Promise((ok) => setTimeout(ok, 450));
      availability.probeFailed();
      await new Promise((ok) => setTimeout(ok, 500));
      expect(availability.unavailableCount()).toBe(1);
    } finally {
      await lock.release();
    }
    // After the release a probe (no tenant traffic) clears it.
    for (let i = 0; i < 30 && availability.unavailableCount() > 0; i++) {
      availability.probeFailed();
      await new Promise((ok) => setTimeout(ok, 100));
    }
    expect(availability.unavailableCount()).toBe(0);
    await db.batch([{ sql: "INSERT INTO t (v) VALUES ('b')" }], "write");
    expect(await count()).toBe(1);
  });
});
