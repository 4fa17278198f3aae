/**
 * engine/release-blobs: a BLOB the caller owns outright is detached (its memory handed back
 * at the next minor collection); anything it does not own — a view into a larger buffer, a
 * pooled Buffer, Wasm memory, a string — is left exactly as it was.
 */
import { describe, expect, it } from "vitest";
import { releaseBlobs } from "../../worker/engine/release-blobs.js";

describe("releaseBlobs", () => {
  it("detaches owned ArrayBuffers and whole-buffer views", () => {
    const ab = new Uint8Array([1, 2, 3]).buffer;
    const whole = new Uint8Array(new ArrayBuffer(64));
    releaseBlobs([ab, whole]);
    expect(ab.byteLength).toBe(0);
    expect(whole.buffer.byteLength).toBe(0);
    expect(whole.length).toBe(0);
  });

  it("leaves views into larger buffers, pooled Buffers, Wasm memory and non-BLOBs intact", () => {
    const big = new Uint8Array(32).map((_, i) => i);
    const part = big.subarray(4, 12);
    const pooled = Buffer.from("pooled");
    const other = Buffer.from("neighbour"); // shares the pool with `pooled`
    const memory = new WebAssembly.Memory({ initial: 1 });
    new Uint8Array(memory.buffer)[0] = 7;
    releaseBlobs([part, pooled, memory.buffer, "text", 42, null, undefined, new ArrayBuffer(0)]);
    expect(Array.from(part)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect(big.length).toBe(32);
    expect(pooled.toString()).toBe("pooled");
    expect(other.toString()).toBe("neighbour");
    expect(new Uint8Array(memory.buffer)[0]).toBe(7);
  });

  it("detaches the owned ones one by one when another in the same call cannot be (Wasm memory), each once", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const a = new ArrayBuffer(16);
    const view = new Uint8Array(a);
    const b = new ArrayBuffer(8);
    releaseBlobs([a, memory.buffer, view, b, b]);
    expect(a.byteLength).toBe(0);
    expect(b.byteLength).toBe(0);
    expect(memory.buffer.byteLength).toBe(65536);
  });
});
