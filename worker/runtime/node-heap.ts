/**
 * @module runtime/node-heap
 * The V8 heap flags the Node gateway runs with: `npm start` passes them (a unit test keeps
 * package.json's start script and this list equal), and the benches start their gateways
 * and gate children with them, so what they measure is what a deployment runs.
 *
 * Why a 2 MiB semi-space: what the gateway allocates is short-lived — a request's objects,
 * a gate's window read — and with V8's default the young generation grows to 3 × 16 MiB
 * under a burst of evaluations and stays there. That was most of the memory a gate added
 * (bench:gate, 1 M traces: peak RSS 156 → 128 MiB); scavenging a smaller space more often
 * costs little because almost nothing in it survives (bench:recommend before/after: docs/scaling.md).
 */
export const NODE_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=2"];
