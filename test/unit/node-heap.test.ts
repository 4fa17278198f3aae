/**
 * The gateway's V8 heap flags live in one list (runtime/node-heap.ts): `npm start` must pass
 * every one of them, in order, before the entry point, so the benches measure what runs.
 */
import { spawnSync } from "node:child_process";
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
    // A flag node refuses ("bad option") would stop the gateway at start: node must accept them all.
    const r = spawnSync(process.execPath, [...NODE_HEAP_FLAGS, "-e", "0"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync(process.execPath, ["--heap-growing-percentage=100", "-e", "0"]).status).not.toBe(0);
  });
});
