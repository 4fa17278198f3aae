/**
 * The gateway's V8 heap flags live in one list (runtime/node-heap.ts): `npm start` must pass
 * every one of them, in order, before the entry point, so the benches measure what runs.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NODE_HEAP_FLAGS } from "../../worker/runtime/node-heap.js";

describe("node heap flags", () => {
  it("npm start runs node with exactly the listed heap flags", () => {
    const start = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts.start!;
    const m = /(?:^|&& )node ((?:--[^\s]+ )*)--import tsx worker\/runtime\/node\.ts$/.exec(start);
    expect(m, start).not.toBeNull();
    const flags = m![1]!.trim().split(/\s+/).filter((f) => f.length > 0);
    expect(flags).toEqual([...NODE_HEAP_FLAGS]);
    // A flag node refuses would stop the gateway at start: each one must be a real V8 option.
    for (const f of NODE_HEAP_FLAGS) expect(process.allowedNodeEnvironmentFlags.has(f.split("=")[0]!)).toBe(true);
  });
});
