/**
 * @module scripts/cpuprofile-top
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `npm run bench:recommend --
 * --profile DIR`) and prints where the time went: the functions with the most
 * self time, and the same summed per file (package or source module), so a
 * profile of a server under load can be read without a browser.
 *
 *   node --import tsx scripts/cpuprofile-top.ts FILE.cpuprofile [--top 30] [--by-count]
 *
 * Self time is attributed from the sampled stack tops (`samples` × `timeDeltas`),
 * which is what DevTools' bottom-up view shows. "(idle)" is the event loop waiting.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: "string", default: "30" }, "by-count": { type: "boolean", default: false } } });
if (positionals.length !== 1) {
  process.stderr.write("usage: cpuprofile-top FILE.cpuprofile [--top N]\n");
  process.exit(2);
}
const top = Number(values.top);
const p = JSON.parse(readFileSync(positionals[0]!, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));

/** A short place name: the package for node_modules, the path under the repository otherwise. */
function placeOf(url: string): string {
  if (!url) return "(native/v8)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const w = url.search(/\/(worker|scripts)\//);
  if (w >= 0) return url.slice(w + 1);
  return url.replace(/^file:\/\//, "");
}

const selfByFn = new Map<string, number>();
const selfByPlace = new Map<string, number>();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const n = byId.get(p.samples[i]!)!;
  // By count, each sample weighs the same: on a machine shared with other work, a sample's time
  // delta also holds the time the thread waited for a core, charged to whatever it was running.
  const dt = values["by-count"] ? 1000 : (p.timeDeltas[i] ?? 0);
  total += dt;
  const place = placeOf(n.callFrame.url);
  const fn = `${n.callFrame.functionName || "(anonymous)"}  ${place}:${n.callFrame.lineNumber + 1}`;
  selfByFn.set(fn, (selfByFn.get(fn) ?? 0) + dt);
  selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + dt);
}

const idle = [...selfByFn].filter(([k]) => k.startsWith("(idle)")).reduce((s, [, v]) => s + v, 0);
const busy = total - idle;
const pct = (v: number, of: number) => ((100 * v) / of).toFixed(1).padStart(5) + "%";
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title} (share of busy time)\n`);
  for (const [k, v] of [...m].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(`${pct(v, busy)}  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}\n`);
};
process.stdout.write(`profile ${(total / 1e6).toFixed(2)} s, busy ${(busy / 1e6).toFixed(2)} s (${pct(busy, total).trim()}), idle ${(idle / 1e6).toFixed(2)} s\n`);
print("self time by function", selfByFn);
print("self time by file / package", selfByPlace);
