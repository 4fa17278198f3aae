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
 * Not here: `--heap-growing-percent=20`, which holds the old generation to 1.2× what is live
 * between full collections (V8 lets it reach ~3×): gates then peak at ~110 MiB at 1 M and 10 M
 * traces instead of 136–140, but still 128–130 MiB at 100 M, run up to ~55% slower there, and
 * recommend's p99 rises from 6–13 to 11–16 ms (bench:gate, bench:recommend; docs/scaling.md). A
 * memory-bound deployment adds it to this list.
 */
export const NODE_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=2"];
