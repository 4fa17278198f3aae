/**
 * Batched log lines (runtime/line-batch): one write per event-loop turn, in order,
 * nothing lost on an explicit flush, a burst past the byte bound written at once;
 * and the Node runtime's synchronous API-key hash is the same digest as WebCrypto's.
 */
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/domain/hex.js";
import { createLineBatch } from "../../worker/runtime/line-batch.js";
import { syncSha256Hex } from "../../worker/runtime/server-lifecycle.js";

const nextTurn = () => new Promise((ok) => setImmediate(ok));

describe("line batch", () => {
  it("writes the lines of one turn as one write, in order, at the end of the turn", async () => {
    const writes: string[] = [];
    const out = createLineBatch((t) => writes.push(t));
    out.line("a");
    out.line("b");
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(["a\nb\n"]);
    out.line("c");
    await nextTurn();
    expect(writes).toEqual(["a\nb\n", "c\n"]);
  });

  it("flush() writes what is queued now (the exit path), and a burst past the bound goes at once", () => {
    const writes: string[] = [];
    const out = createLineBatch((t) => writes.push(t), 10);
    out.line("one");
    out.flush();
    expect(writes).toEqual(["one\n"]);
    out.line("12345");
    out.line("67890");
    expect(writes).toEqual(["one\n", "12345\n67890\n"]);
    out.flush();
    expect(writes.length).toBe(2);
  });
});

describe("API key hash", () => {
  it("node:crypto's SHA-256 hex equals WebCrypto's for keys (and any UTF-8)", async () => {
    for (const k of ["fgk_" + "A".repeat(43), "fgk_-_x", "clé-ü-😀", ""]) expect(syncSha256Hex(k)).toBe(await sha256Hex(k));
  });
});
