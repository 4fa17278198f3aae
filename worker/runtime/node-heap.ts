/**
 * @module runtime/node-heap
 * The V8 heap flags the Node gateway runs with: `npm start` passes them (a unit test keeps
 * package.json's start script and this list equal), and the benches start their gateways
 * and gate children with them, so what they measure is what a deployment runs.
 *
 * Why a 2 MiB semi-space: what the gateway allocates is short-lived — a request's objects,
 * a gate's window read — and with V8's default the young generation grows to 3 × 16 MiB
 * under a burst of evaluations and stays there: ~20 MiB of what a gate adds (bench:gate,
 * 1 M traces, peak RSS ~150 MiB with V8's default, 128–136 MiB with this). The price is more
 * frequent scavenges: bench:recommend made up to ~10% fewer requests a second with it
 * (docs/scaling.md). A deployment that prefers throughput drops the flag here.
 *
 * Why `--heap-growing-percent=100`: after a full collection V8 lets the old generation grow to
 * as much as 4× what survived before it collects again, and a gate's promoted garbage (a read's
 * objects outlive the minor collections of its awaits) fills that room: at 100 M traces the
 * peak was ~140 MiB. Capped at 2× it is 121–126 MiB (1 M and 10 M: ~110), with verdicts and
 * recommend's rate and p99 unchanged within this machine's noise (--trace-gc: ~0.6 ms more
 * full-collection work per 1 M-trace verdict). Tighter caps cost time: 1.5× gave 29.5 ms at
 * 1 M in its one run (2×: 19.0 minutes later), and 1.2× also raised recommend's p99
 * (bench:gate, bench:recommend; docs/scaling.md). A deployment with memory to spare drops it here.
 */
export const NODE_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=2", "--heap-growing-percent=100"];
