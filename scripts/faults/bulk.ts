/**
 * @module scripts/faults/bulk
 * A bulk load of `bulkLines` NDJSON lines for tenant A while tenant B's
 * recommend latency is sampled (target: p99 < 50 ms during the load), beside
 * B's latency just before it on the same machine.
 */
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createFaultTenant, probe, recommend, sampleLatency } from "./fixture.js";
import { startGateway } from "./gateway.js";
import type { FaultScenario } from "./scenario.js";

const BASELINE_MS = 3_000;

function ndjson(flowKey: string, lines: number): string {
  const out: string[] = [];
  const at = Date.now() - 3_600_000;
  for (let i = 0; i < lines; i++)
    out.push(
      JSON.stringify({
        decisionFlowKey: flowKey,
        customerId: `bulk-${i}`,
        attributes: { ageBand: i % 3 === 0 ? "65+" : "25-34", tier: "gold" },
        selected: i % 2 === 0,
        converted: i % 5 === 0,
        timestamp: new Date(at + i).toISOString(),
      }),
    );
  return out.join("\n") + "\n";
}

const UPLOAD = `
  const body = require("node:fs").readFileSync(process.argv[2]);
  process.stdout.write("ready\\n");
  const t0 = performance.now();
  fetch(process.argv[1], { method: "POST", body, headers: { authorization: "Bearer " + process.argv[3], "x-requested-with": "XMLHttpRequest", "content-type": "application/x-ndjson" } })
    .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, ms: performance.now() - t0, body: (await r.text()).slice(0, 300) }) + "\\n"))
    .catch((e) => process.stdout.write(JSON.stringify({ status: 0, ms: performance.now() - t0, body: String(e) }) + "\\n"));
`;

/** Starts the upload in a child process; resolves once it is about to send, with a promise of its result. */
async function startUpload(url: string, key: string, file: string): Promise<{ done: Promise<{ status: number; ms: number; body: string }> }> {
  const proc = spawn(process.execPath, ["-e", UPLOAD, url, file, key], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let readyResolve!: () => void;
  const ready = new Promise<void>((ok) => (readyResolve = ok));
  const done = new Promise<{ status: number; ms: number; body: string }>((ok, fail) => {
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready\n")) readyResolve();
      const last = out.split("\n").slice(0, -1).find((l) => l.startsWith("{"));
      if (last) ok(JSON.parse(last));
    });
    proc.once("exit", (code) => fail(new Error(`upload process exited (${code}) without a result`)));
  });
  await Promise.race([ready, done]);
  return { done };
}

export const bulkScenario: FaultScenario = {
  name: "bulkLoadOnA",
  async run(opts) {
    const gw = await startGateway();
    try {
      const a = await createFaultTenant(gw.baseUrl, gw.adminToken, "bulk-a");
      const b = await createFaultTenant(gw.baseUrl, gw.adminToken, "bulk-b");
      const baseline = await sampleLatency(() => recommend(gw.baseUrl, b), { durationMs: BASELINE_MS, concurrency: opts.concurrency });
      const body = ndjson(a.flowKey, opts.bulkLines);
      const file = join(gw.dataDir, "bulk.ndjson");
      writeFileSync(file, body);
      // The upload runs in its own process: building and sending 8 MiB here would stall the sampler, not the gateway.
      const uploader = await startUpload(gw.baseUrl + "/api/v1/decision-traces/bulk", a.key, file);
      // /healthz touches no database: its latency shows event-loop stalls apart from B's own disk and thread.
      const [bRecommend, healthz] = await Promise.all([
        sampleLatency(() => recommend(gw.baseUrl, b), { durationMs: 120_000, concurrency: opts.concurrency, until: uploader.done }),
        sampleLatency(() => probe(gw.baseUrl, "/healthz"), { durationMs: 120_000, concurrency: 1, until: uploader.done }),
      ]);
      const bulk = await uploader.done;
      opts.log(`bulk: ${opts.bulkLines} lines → ${bulk.status} in ${Math.round(bulk.ms)} ms`);
      return {
        lines: opts.bulkLines,
        bodyBytes: Buffer.byteLength(body),
        bulkStatus: bulk.status,
        bulkMs: Math.round(bulk.ms),
        bulkError: bulk.status === 200 || bulk.status === 201 ? undefined : bulk.body.slice(0, 300),
        bRecommendBaseline: baseline,
        bRecommendDuringBulk: bRecommend,
        healthzDuringBulk: healthz,
        targetMs: 50,
        bP99Met: bRecommend.p99Ms < 50,
      };
    } finally {
      await gw.stop();
      rmSync(gw.dataDir, { recursive: true, force: true });
    }
  },
};
