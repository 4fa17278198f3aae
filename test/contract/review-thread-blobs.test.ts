/**
 * Review: the database thread moves the driver's BLOB ArrayBuffers to the caller. The same
 * stored BLOB read into two columns, zero-length BLOBs, NULL beside BLOBs, and BLOBs across
 * the statements of one batch all arrive byte for byte (a transfer list with a duplicate or
 * a detached buffer would make postMessage throw, or leave a caller an empty buffer).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLibsql } from "../../worker/runtime/node-files.js";

const dir = mkdtempSync(join(tmpdir(), "fairgate-review-thread-"));
const bytes = (v: unknown) => (v instanceof ArrayBuffer ? Array.from(new Uint8Array(v)) : v);

describe("review: worker-thread BLOB transfer", () => {
  it("duplicate columns, zero-length and NULL BLOBs, execute and batch", async () => {
    const db = await openLibsql(`file:${crypto.randomUUID()}.db`, undefined, dir, "thread");
    try {
      await db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, x BLOB)");
      const big = new Uint8Array(100_000).map((_, i) => (i * 31) % 251);
      await db.batch([
        { sql: "INSERT INTO b (id, x) VALUES (1, ?)", args: [new Uint8Array([1, 2, 3])] },
        { sql: "INSERT INTO b (id, x) VALUES (2, ?)", args: [new Uint8Array(0)] },
        { sql: "INSERT INTO b (id, x) VALUES (3, NULL)", args: [] },
        { sql: "INSERT INTO b (id, x) VALUES (4, ?)", args: [big] },
      ], "write");
      const want = [
        [1, [1, 2, 3], [1, 2, 3], [1, 2, 3]],
        [2, [], [], []],
        [3, null, null, null],
        [4, Array.from(big), Array.from(big), Array.from(big)],
      ];
      const sql = "SELECT id, x AS a, x AS b, CAST(x AS BLOB) AS c FROM b ORDER BY id";
      const one = await db.execute(sql);
      expect(one.rows.map((r) => [r.id, bytes(r.a), bytes(r.b), bytes(r.c)])).toEqual(want);
      const many = await db.batch([sql, sql, "SELECT x FROM b WHERE id = 4"], "read");
      for (const rs of many.slice(0, 2)) expect(rs.rows.map((r) => [r.id, bytes(r.a), bytes(r.b), bytes(r.c)])).toEqual(want);
      expect(bytes(many[2]!.rows[0]!.x)).toEqual(Array.from(big));
      // The values received are the caller's own: distinct buffers, not views of one another.
      const r = one.rows[3]!;
      expect(r.a).not.toBe(r.b);
      // A blob read back as an argument (the outcome guard compares a body this way) still matches.
      const eq = await db.execute({ sql: "SELECT x = ? AS same FROM b WHERE id = 4", args: [r.a as ArrayBuffer] });
      expect(eq.rows[0]!.same).toBe(1);
      const eq0 = await db.execute({ sql: "SELECT x = ? AS same FROM b WHERE id = 2", args: [one.rows[1]!.a as ArrayBuffer] });
      expect(eq0.rows[0]!.same).toBe(1);
    } finally {
      db.close();
    }
  });
});
