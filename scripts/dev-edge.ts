/**
 * @module scripts/dev-edge
 * What the local edge runs (`npm run dev:worker`, `npm run dev:deno-deploy`)
 * share: real sqld servers for the control store and the default region under
 * the data directory (unless URLs are given), and the secrets an edge runtime
 * requires — taken from the environment, or generated for this session and
 * shown once.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateSeed } from "../worker/domain/chain-sign.js";
import { randomSecret } from "../worker/http/crypto.js";
import { startSqld, type SqldServer } from "./sqld.js";

export interface DevEdge {
  dataDir: string;
  controlUrl: string;
  regions: string;
  adminToken: string;
  evidenceKey: string;
  servers: SqldServer[];
}

/** Starts what is missing from `env` for a local edge session named `name` (its files under data/<name>). */
export async function prepareDevEdge(env: Record<string, string | undefined>, root: string, name: string): Promise<DevEdge> {
  const dataDir = resolve(env.FAIRGATE_DATA_DIR || join(root, "data"), name);
  const servers: SqldServer[] = [];
  const sqld = async (db: string) => {
    const dbPath = join(dataDir, db);
    mkdirSync(dbPath, { recursive: true });
    const s = await startSqld({ dbPath });
    servers.push(s);
    console.log(`sqld (${db}) on ${s.url}, files in ${dbPath}`);
    return s.url;
  };
  const controlUrl = env.FAIRGATE_CONTROL_DB_URL || (await sqld("control"));
  const regions = env.FAIRGATE_REGIONS || JSON.stringify({ default: { url: await sqld("default") } });
  let adminToken = env.FAIRGATE_ADMIN_TOKEN;
  if (!adminToken) {
    adminToken = randomSecret("fgp_");
    console.log(`\nFAIRGATE_ADMIN_TOKEN is not set; this dev session uses:\n\n  ${adminToken}\n`);
  }
  let evidenceKey = env.FAIRGATE_EVIDENCE_SIGNING_KEY;
  if (!evidenceKey) {
    evidenceKey = generateSeed();
    console.log(`FAIRGATE_EVIDENCE_SIGNING_KEY is not set; this dev session signs chain heads with a fresh key (lost when it ends).\n`);
  }
  return { dataDir, controlUrl, regions, adminToken, evidenceKey, servers };
}
