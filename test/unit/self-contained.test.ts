/**
 * @module test/unit/self-contained
 * A fresh clone must pass `npm test` with nothing beside it: no test, script, worker
 * module or build/CI config may reach for the shared data folder outside the repository.
 * Also checks that the COMPAS extract still matches its provenance note.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { COMPAS_FIXTURE, COMPAS_FIXTURE_DIR, compasCsv, loadCompas } from "../helpers/compas.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SELF = relative(ROOT, import.meta.filename);

/** Trees and root files that `npm test`, `npm start` and CI read. */
const TREES = ["test", "scripts", "worker", "bin", ".ci"];
const ROOT_FILES = ["package.json", "vitest.config.ts", "tsconfig.json", "tsconfig.worker.json", "deno.json", "wrangler.toml", "asconfig.json"];

// `../shared`, `..\shared`, `shared/data`, or the absolute /work/shared.
const OUTSIDE = /\.\.[\\/]+shared\b|\bshared[\\/]+data\b|\/work\/shared\b/;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") yield* files(path);
    } else if (entry.isFile()) yield path;
  }
}

/** `file:line: text` for every line under `root` that points outside the repository. */
function outsideReferences(root: string, trees: string[], rootFiles: string[], skip: string[]): string[] {
  const paths = [
    ...trees.flatMap((t) => {
      const dir = join(root, t);
      return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? [...files(dir)] : [];
    }),
    ...rootFiles.map((f) => join(root, f)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile()),
  ];
  const hits: string[] = [];
  for (const path of paths) {
    const rel = relative(root, path);
    if (skip.includes(rel)) continue;
    // latin1 keeps every byte, so binary fixtures are scanned too without decoding errors.
    readFileSync(path, "latin1")
      .split("\n")
      .forEach((line, i) => {
        if (OUTSIDE.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }
  return hits;
}

describe("the test suite needs nothing outside the repository", () => {
  const scratch = mkdtempSync(join(tmpdir(), "fairgate-self-contained-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("no file under test/, scripts/, worker/, bin/, .ci/ or the root configs references ../shared", () => {
    expect(outsideReferences(ROOT, TREES, ROOT_FILES, [SELF])).toEqual([]);
  });

  it("the scanner finds a planted reference (so the check above can fail)", () => {
    mkdirSync(join(scratch, "test", "helpers"), { recursive: true });
    writeFileSync(join(scratch, "test", "helpers", "clean.ts"), 'export const x = "the shared contract";\n');
    writeFileSync(join(scratch, "test", "helpers", "data.ts"), 'const a = 1;\nconst p = resolve(dir, "../../../shared/data/x.csv");\n');
    writeFileSync(join(scratch, "package.json"), '{"scripts":{"test":"cp /work/shared/x . && vitest run"}}\n');
    expect(outsideReferences(scratch, ["test", "scripts"], ["package.json"], [])).toEqual([
      'test/helpers/data.ts:2: const p = resolve(dir, "../../../shared/data/x.csv");',
      'package.json:1: {"scripts":{"test":"cp /work/shared/x . && vitest run"}}',
    ]);
  });

  it("the COMPAS helper reads from inside the repository", () => {
    expect(relative(ROOT, COMPAS_FIXTURE).startsWith("test/fixtures/")).toBe(true);
  });
});

describe("the COMPAS extract matches its provenance note", () => {
  const note = readFileSync(join(COMPAS_FIXTURE_DIR, "README.md"), "utf8");
  const noted = (pattern: RegExp) => note.match(pattern)?.[1];

  it("has the noted SHA-256 (decompressed CSV), columns and row count", () => {
    const csv = compasCsv();
    expect(createHash("sha256").update(csv).digest("hex")).toBe(noted(/decompressed CSV: `([0-9a-f]{64})`/));
    const columns = noted(/Columns kept, in this order: (.*)\./)?.match(/`([^`]+)`/g)?.map((c) => c.slice(1, -1));
    expect(csv.slice(0, csv.indexOf("\n")).split(",")).toEqual(columns);
    expect(loadCompas().length).toBe(Number(noted(/Rows: ([\d,]+)/)?.replaceAll(",", "")));
  });

  it("names the source repository and the original file's SHA-256", () => {
    expect(note).toMatch(/propublica\/compas-analysis/);
    expect(note).toMatch(/compas-scores-two-years\.csv/);
    expect(noted(/SHA-256 of the original file: `([0-9a-f]{64})`/)).toMatch(/^[0-9a-f]{64}$/);
  });
});
