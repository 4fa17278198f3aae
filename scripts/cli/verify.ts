/**
 * @module scripts/cli/verify
 * `fairgate verify FILE`: verifies an evidence export offline, streaming it line
 * by line through the same domain verifier the API's /audit-log/verify uses.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createExportVerifier, ExportFormatError } from "../../worker/domain/chain-export.js";
import type { ChainVerdict } from "../../worker/domain/chain.js";
import type { CheckIo } from "./check.js";
import { at } from "./errors.js";

function describe(name: string, v: ChainVerdict): string {
  const legacy = v.legacyRows > 0 ? `, ${v.legacyRows} legacy row(s) before the chain` : "";
  if (v.ok) return `  ${name}: ok (${v.rows} linked row(s)${legacy})`;
  const where = v.firstBrokenId === null ? "the chain ends before its recorded head (rows removed at the end)" : `first broken row ${v.firstBrokenId}`;
  return `  ${name}: BROKEN - ${v.reason}: ${where}`;
}

/** Runs `fairgate verify`; returns 0 (intact) or 1 (tampered). Throws InputError (exit 2). */
export async function runVerify(file: string, json: boolean, io: CheckIo): Promise<number> {
  const verifier = createExportVerifier();
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
    const verdict = verifier.result();
    if (json) io.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
    else
      io.stdout.write(
        [`fairgate verify: ${file} (tenant ${verdict.tenantId})`, describe("audit log", verdict.chains.audit), describe("evaluations", verdict.chains.evaluation), `result: ${verdict.ok ? "INTACT" : "TAMPERED (exit 1)"}`, ""].join("\n"),
      );
    return verdict.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof ExportFormatError) throw at(file, null, err.message);
    throw err;
  } finally {
    input.destroy();
  }
}
