/**
 * @module scripts/cli/verify
 * `fairgate verify FILE`: verifies an evidence export offline, streaming it line
 * by line through the same domain verifier the API's /audit-log/verify uses.
 */
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { unzipSync } from "fflate";
import { NotAPackError, type PackVerdict, verifyEvidencePack } from "../../worker/domain/evidence-pack.js";
import { createExportVerifier, ExportFormatError } from "../../worker/domain/chain-export.js";
import type { ChainVerdict } from "../../worker/domain/chain.js";
import type { CheckIo } from "./check.js";
import { at } from "./errors.js";

const WHOLE_CHAIN: Record<string, string> = {
  head_mismatch: "the chain ends before its recorded head (rows removed at the end)",
  anchor_rollback: "the chain ends before its signed anchor (rows removed or the database rolled back)",
  anchor_mismatch: "the row at the signed anchor has another hash (the chain was rewritten)",
  unanchored_rows: "rows beyond the signed anchor that no write announced",
  signature_invalid: "the signed anchor's signature does not verify",
};

function describe(name: string, v: ChainVerdict): string {
  const legacy = v.legacyRows > 0 ? `, ${v.legacyRows} legacy row(s) before the chain` : "";
  const lag = v.anchorLag > 0 ? `, ${v.anchorLag} row(s) past the anchor announced by an interrupted write` : "";
  if (v.ok) return `  ${name}: ok (${v.rows} linked row(s)${legacy}${lag})`;
  const counts = Object.entries(v.breakCounts).map(([r, n]) => `${r} ×${n}`).join(", ");
  const lines = [`  ${name}: BROKEN - ${v.breakCount} finding(s): ${counts}`];
  for (const b of v.breaks.slice(0, 20)) lines.push(`    - ${b.reason}: ${b.id === null ? (WHOLE_CHAIN[b.reason] ?? "whole chain") : `row ${b.id}${b.seq === null ? "" : ` (seq ${b.seq})`}`}`);
  if (v.breakCount > 20) lines.push(`    … ${v.breakCount - 20} more (see --json)`);
  return lines.join("\n");
}

const SIGNATURES: Record<string, string> = {
  verified_with_supplied_key: "signed heads verified with the supplied public key",
  verified_with_embedded_key: "signed heads verified with the key inside the file (pass --public-key to check origin)",
  not_signed: "no signed heads in this export",
  invalid: "signed heads do NOT verify",
};

/** Whether the file starts with a ZIP signature (local file header or empty-archive end record). */
async function isZip(file: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (err) {
    throw at(file, null, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b[0] === 0x50 && b[1] === 0x4b && ((b[2] === 3 && b[3] === 4) || (b[2] === 5 && b[3] === 6));
  } finally {
    await fh.close();
  }
}

/** `fairgate verify PACK.zip`: every member hash, the chains, the signatures, the pack's audit row. */
async function runVerifyPack(file: string, json: boolean, io: CheckIo, publicKey: string | null): Promise<number> {
  let members: Map<string, Uint8Array>;
  try {
    members = new Map(Object.entries(unzipSync(new Uint8Array(await readFile(file)))));
  } catch (err) {
    // A ZIP signature with an unreadable body: damaged or tampered, not "not a pack".
    const msg = `the archive is damaged (${(err as Error).message})`;
    if (json) io.stdout.write(`${JSON.stringify({ ok: false, findings: [{ file, reason: "malformed", detail: msg }] }, null, 2)}\n`);
    else io.stdout.write(`fairgate verify: ${file}\n  ${msg}\nresult: TAMPERED (exit 1)\n`);
    return 1;
  }
  let v: PackVerdict;
  try {
    v = await verifyEvidencePack(members, publicKey ? { publicKey } : {});
  } catch (err) {
    if (err instanceof NotAPackError) throw at(file, null, err.message);
    throw err;
  }
  if (json) io.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  else {
    const lines = [`fairgate verify: ${file} (evidence pack ${v.packId}, tenant ${v.tenantId}, ${v.members} members)`];
    lines.push(`  audit export: audit ${v.export.chains.audit.ok ? "ok" : "BROKEN"} (${v.export.chains.audit.rows} rows), evaluations ${v.export.chains.evaluation.ok ? "ok" : "BROKEN"} (${v.export.chains.evaluation.rows} rows)`);
    lines.push(`  signatures: ${SIGNATURES[v.export.signatures]}`);
    for (const f of v.findings.slice(0, 50)) lines.push(`  - ${f.file}: ${f.reason}: ${f.detail}`);
    if (v.findings.length > 50) lines.push(`  … ${v.findings.length - 50} more (see --json)`);
    lines.push(`result: ${v.ok ? "INTACT" : "TAMPERED (exit 1)"}`, "");
    io.stdout.write(lines.join("\n"));
  }
  return v.ok ? 0 : 1;
}

/** Runs `fairgate verify` on an export (NDJSON) or an evidence pack (ZIP); returns 0 (intact) or 1 (tampered). Throws InputError (exit 2). */
export async function runVerify(file: string, json: boolean, io: CheckIo, publicKey: string | null = null): Promise<number> {
  if (await isZip(file)) return runVerifyPack(file, json, io, publicKey);
  const verifier = createExportVerifier(publicKey ? { publicKey } : {});
  const input = createReadStream(file, { encoding: "utf8" });
  const opened = new Promise<void>((ok, fail) => {
    input.once("open", () => ok());
    input.once("error", fail);
  });
  try {
    await opened;
  } catch (err) {
    throw at(file, null, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let lineNo = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNo++;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw at(file, lineNo, "not valid JSON");
      }
      await verifier.push(value, lineNo);
    }
    const verdict = await verifier.result();
    if (json) io.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
    else
      io.stdout.write(
        [`fairgate verify: ${file} (tenant ${verdict.tenantId}, ${verdict.format})`, describe("audit log", verdict.chains.audit), describe("evaluations", verdict.chains.evaluation), `  signatures: ${SIGNATURES[verdict.signatures]}`, `result: ${verdict.ok ? "INTACT" : "TAMPERED (exit 1)"}`, ""].join("\n"),
      );
    return verdict.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof ExportFormatError) throw at(file, null, err.message);
    throw err;
  } finally {
    input.destroy();
  }
}
