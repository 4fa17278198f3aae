/**
 * @module scripts/bench-faults
 * `npm run bench:faults`: runs the fault scenarios against real gateways on
 * loopback (each scenario starts its own) and prints one JSON object with every
 * scenario's figures as the last line; progress goes to stderr. A scenario that
 * throws is reported as `{error}` and the others still run.
 *
 * Scenarios live in scripts/faults/<name>.ts, each exporting a FaultScenario;
 * add one by appending it to SCENARIOS.
 *
 *   npm run bench:faults -- [--only name,name] [--lock-seconds 20] [--bulk-lines 50000] [--concurrency 4]
 */
import { parseArgs } from "node:util";
import { positiveInt } from "./bench-args.js";
import { bulkScenario } from "./faults/bulk.js";
import { corruptScenario } from "./faults/corrupt.js";
import { kill9Scenario } from "./faults/kill9.js";
import { lockScenario } from "./faults/lock.js";
import { tamperScenario } from "./faults/tamper.js";
import type { FaultOptions, FaultScenario } from "./faults/scenario.js";

const SCENARIOS: FaultScenario[] = [kill9Scenario, lockScenario, bulkScenario, corruptScenario, tamperScenario];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    "lock-seconds": { type: "string", default: "20" },
    "bulk-lines": { type: "string", default: "50000" },
    concurrency: { type: "string", default: "4" },
  },
});

const opts: FaultOptions = {
  lockSeconds: positiveInt("lock-seconds", values["lock-seconds"], 120),
  bulkLines: positiveInt("bulk-lines", values["bulk-lines"], 1_000_000),
  concurrency: positiveInt("concurrency", values.concurrency, 64),
  log: (msg) => process.stderr.write(msg + "\n"),
};
const only = values.only ? new Set(values.only.split(",")) : null;
const unknown = [...(only ?? [])].filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}

const results: Record<string, unknown> = {};
for (const s of SCENARIOS) {
  if (only && !only.has(s.name)) continue;
  opts.log(`— ${s.name}`);
  const t0 = performance.now();
  try {
    results[s.name] = { ...(await s.run(opts)), seconds: Math.round((performance.now() - t0) / 100) / 10 };
  } catch (e) {
    results[s.name] = { error: (e as Error).message.slice(0, 500) };
  }
}
process.stdout.write(JSON.stringify({ bench: "faults", node: process.version, cpus: (await import("node:os")).cpus().length, options: { lockSeconds: opts.lockSeconds, bulkLines: opts.bulkLines, concurrency: opts.concurrency }, scenarios: results }) + "\n");
