/**
 * @module test/evidence/ll144
 * NYC LL144 bias-audit tables on the 7,214 COMPAS rows (sex × race; selected =
 * decile_score >= 5), checked against tables counted here with plain loops over the
 * fixture rows — not with the module under test — through the domain function and
 * through `fairgate audit ll144` on a real file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../scripts/fairgate.js";
import { buildLl144Audit, type Ll144Cell } from "../../worker/domain/ll144.js";
import { renderLl144Html } from "../../worker/report/ll144-html.js";
import { loadCompas } from "../helpers/compas.js";

const rows = loadCompas();
const dir = mkdtempSync(join(tmpdir(), "fairgate-ll144-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Expected {
  count: number;
  pos: number;
}
/** The oracle: category → {count, positives} by direct counting. */
function countBy(key: (r: (typeof rows)[number]) => string, positive: (r: (typeof rows)[number]) => boolean): Record<string, Expected> {
  const out: Record<string, Expected> = {};
  for (const r of rows) {
    const k = key(r);
    if (!out[k]) out[k] = { count: 0, pos: 0 };
    out[k].count += 1;
    if (positive(r)) out[k].pos += 1;
  }
  return out;
}
function ratios(t: Record<string, Expected>, skip: (k: string) => boolean = () => false): Record<string, number> {
  let max = 0;
  for (const k of Object.keys(t)) if (!skip(k) && t[k]!.pos / t[k]!.count > max) max = t[k]!.pos / t[k]!.count;
  const out: Record<string, number> = {};
  for (const k of Object.keys(t)) if (!skip(k)) out[k] = t[k]!.pos / t[k]!.count / max;
  return out;
}

const high = (r: (typeof rows)[number]) => r.decileScore >= 5;
const expectedSex = countBy((r) => r.sex, high);
const expectedRace = countBy((r) => r.race, high);
const expectedX = countBy((r) => `${r.sex} | ${r.race}`, high);

function compasCells(positive: (r: (typeof rows)[number]) => boolean): Ll144Cell[] {
  const m = new Map<string, Ll144Cell>();
  for (const r of rows) {
    const k = `${r.sex}\u0000${r.race}`;
    const c = m.get(k) ?? { sex: r.sex, race: r.race, count: 0, positives: 0 };
    c.count += 1;
    if (positive(r)) c.positives += 1;
    m.set(k, c);
  }
  return [...m.values()];
}
const META = { auditDate: "2026-12-01T00:00:00.000Z", dataSource: "COMPAS", window: null, distributionDate: null, sexAttribute: "sex", raceAttribute: "race" };

type Row = { category: string; count: number; rate: number; impactRatio: number | null; excluded: boolean };
function expectTable(actual: Row[], expected: Record<string, Expected>, ratio: Record<string, number>) {
  expect(actual.map((r) => r.category).sort()).toEqual(Object.keys(expected).sort());
  for (const r of actual) {
    const e = expected[r.category]!;
    expect(r.count, r.category).toBe(e.count);
    expect(r.rate, r.category).toBeCloseTo(e.pos / e.count, 12);
    if (r.category in ratio) {
      expect(r.excluded, r.category).toBe(false);
      expect(r.impactRatio, r.category).toBeCloseTo(ratio[r.category]!, 12);
    } else {
      expect(r.excluded, r.category).toBe(true);
      expect(r.impactRatio, r.category).toBeNull();
    }
  }
}

describe("LL144 tables on COMPAS (selected = decile_score >= 5)", () => {
  it("the fixture is what the oracle expects (7,214 rows, ProPublica's two sexes)", () => {
    expect(rows.length).toBe(7214);
    expect(Object.keys(expectedSex).sort()).toEqual(["Female", "Male"]);
  });

  it("domain: sex, race and intersection tables equal the direct counts", () => {
    const a = buildLl144Audit({ cells: compasCells(high), rateKind: "selection", meta: META });
    expect(a.individuals).toBe(7214);
    expect(a.unknown).toEqual({ count: 0, sex: 0, race: 0 });
    expectTable(a.tables.sex, expectedSex, ratios(expectedSex));
    expectTable(a.tables.race, expectedRace, ratios(expectedRace));
    expectTable(a.tables.intersection, expectedX, ratios(expectedX));
    // The oracle agrees with ProPublica's table: 2,174 of 3,696 African-American defendants scored 5+.
    expect(expectedRace["African-American"]).toEqual({ count: 3696, pos: 1369 + 805 });
    // Unexcluded, the highest rate is the 18-person Native American category.
    expect(a.tables.race.find((r) => r.category === "Native American")!.impactRatio).toBe(1);
  });

  it("--exclude-small: categories under 2% of 7,214 (< 144.28) lose their ratio, keep count and rate, and the highest is among the rest", () => {
    const a = buildLl144Audit({ cells: compasCells(high), rateKind: "selection", meta: META, excludeSmall: { justification: "fewer than 2% of individuals; ratios would be unstable" } });
    const small = (t: Record<string, Expected>) => (k: string) => t[k]!.count / 7214 < 0.02;
    expectTable(a.tables.race, expectedRace, ratios(expectedRace, small(expectedRace)));
    expectTable(a.tables.intersection, expectedX, ratios(expectedX, small(expectedX)));
    expect(a.smallCategories.justification).toMatch(/unstable/);
    // With the two small categories out, African-American (58.8%) is the reference.
    expect(a.tables.race.find((r) => r.category === "African-American")!.impactRatio).toBe(1);
    expect(a.tables.race.find((r) => r.category === "Native American")).toMatchObject({ count: 18, excluded: true, impactRatio: null });
    expect(a.smallCategories.excluded.filter((e) => e.table === "race").map((e) => e.category).sort()).toEqual(["Asian", "Native American"]);
  });

  it("CLI: fairgate audit ll144 --decision on a real CSV prints the same tables as JSON and writes ll144.json/html", async () => {
    const csv = join(dir, "compas.csv");
    writeFileSync(csv, `sex,race,high\n${rows.map((r) => `${r.sex},${r.race},${high(r) ? 1 : 0}`).join("\n")}\n`);
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } };
    const code = await main(["audit", "ll144", "--input", csv, "--sex", "sex", "--race", "race", "--decision", "high", "--json", "--out", join(dir, "out")], io);
    expect(code).toBe(0);
    const a = JSON.parse(out);
    expectTable(a.tables.sex, expectedSex, ratios(expectedSex));
    expectTable(a.tables.race, expectedRace, ratios(expectedRace));
    expectTable(a.tables.intersection, expectedX, ratios(expectedX));
    expect(a.unknown.count).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "out", "ll144.json"), "utf8")).tables).toEqual(a.tables);
    const html = readFileSync(join(dir, "out", "ll144.html"), "utf8");
    expect(html).toContain("Male | African-American");
    expect(html).not.toMatch(/<script/i);
  });

  it("CLI: --score uses the scoring rate (share above the whole file's median decile score)", async () => {
    const sorted = rows.map((r) => r.decileScore).sort((x, y) => x - y);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const above = (r: (typeof rows)[number]) => r.decileScore > median;
    const exp = countBy((r) => r.race, above);
    const csv = join(dir, "scores.csv");
    writeFileSync(csv, `sex,race,decile\n${rows.map((r) => `${r.sex},${r.race},${r.decileScore}`).join("\n")}\n`);
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } };
    expect(await main(["audit", "ll144", "--input", csv, "--sex", "sex", "--race", "race", "--score", "decile", "--json"], io)).toBe(0);
    const a = JSON.parse(out);
    expect(a.rateKind).toBe("scoring");
    expect(a.medianScore).toBe(median);
    expectTable(a.tables.race, exp, ratios(exp));
  });
});

describe("LL144 unknown categories and significance", () => {
  it("individuals with an unknown sex or race are counted separately and left out of the tables that need it", () => {
    const a = buildLl144Audit({
      rateKind: "selection",
      meta: META,
      cells: [
        { sex: "F", race: "A", count: 10, positives: 5 },
        { sex: "M", race: "A", count: 10, positives: 8 },
        { sex: null, race: "A", count: 4, positives: 1 },
        { sex: "F", race: null, count: 3, positives: 3 },
      ],
    });
    expect(a.individuals).toBe(27);
    expect(a.unknown).toEqual({ count: 7, sex: 4, race: 3 });
    expect(a.tables.sex).toMatchObject([{ category: "F", count: 13, rate: 8 / 13 }, { category: "M", count: 10, rate: 0.8 }]);
    expect(a.tables.race).toMatchObject([{ category: "A", count: 24, rate: 14 / 24 }]);
    expect(a.tables.intersection.map((r) => r.count)).toEqual([10, 10]);
    expect(a.statements.join(" ")).toMatch(/7 of 27 individuals have an unknown/);
  });

  it("a ratio below 0.8 that is not significant, and one above 0.8 that is, are said in words", () => {
    const a = buildLl144Audit({
      rateKind: "selection",
      meta: META,
      cells: [
        // 1/6 vs 8/10: ratio 0.208, Fisher p = 0.03497 (significant, below 0.8).
        { sex: "F", race: "A", count: 6, positives: 1 },
        { sex: "M", race: "A", count: 10, positives: 8 },
      ],
    });
    const f = a.tables.sex.find((r) => r.category === "F")!;
    expect(f.significance).toMatchObject({ test: "fisher-exact", comparedWith: "M", significant: true });
    expect(f.significance!.pValue).toBeCloseTo(400 / 11440, 10);

    // 7/20 vs 10/20: ratio 0.7, not significant; moving one selection flips it.
    const b = buildLl144Audit({ rateKind: "selection", meta: META, cells: [{ sex: "F", race: "A", count: 20, positives: 7 }, { sex: "M", race: "A", count: 20, positives: 10 }] });
    const s = b.tables.sex[0]!.significance!;
    expect(s.significant).toBe(false);
    expect(s.oneSelectionFlips).toBe(true);
    expect(s.statement).toMatch(/below four-fifths, but .* not statistically significantly different .* not practically significant/);

    // 8,500/10,000 vs 9,500/10,000: ratio 0.895 ≥ 0.8 yet z ≈ −22 → significant.
    const c = buildLl144Audit({ rateKind: "selection", meta: META, cells: [{ sex: "F", race: "A", count: 10000, positives: 8500 }, { sex: "M", race: "A", count: 10000, positives: 9500 }] });
    const t = c.tables.sex[0]!.significance!;
    expect(t.test).toBe("two-proportion-z");
    expect(t.significant).toBe(true);
    expect(t.statement).toMatch(/at or above four-fifths, but .* statistically significantly lower/);
  });
});

describe("LL144 page and CLI usage", () => {
  it("escapes category values (user data) in the HTML page", () => {
    const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>`;
    const html = renderLl144Html(buildLl144Audit({ rateKind: "selection", meta: { ...META, dataSource: evil }, cells: [{ sex: evil, race: "A", count: 5, positives: 1 }, { sex: "M", race: "A", count: 5, positives: 4 }] }));
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("bad usage exits 2 with one line: missing --race, both --decision and --score, a justification without words", async () => {
    const csv = join(dir, "tiny.csv");
    writeFileSync(csv, "sex,race,d\nF,A,1\n");
    for (const [args, message] of [
      [["--sex", "sex", "--decision", "d"], /--race COL is required/],
      [["--sex", "sex", "--race", "race", "--decision", "d", "--score", "d"], /mutually exclusive/],
      [["--sex", "sex", "--race", "race", "--decision", "d", "--exclude-small", "small"], /justification/],
      [["--sex", "sex", "--race", "race", "--decision", "d", "--sensitive", "x"], /does not apply to audit ll144/],
    ] as const) {
      let err = "";
      const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } };
      expect(await main(["audit", "ll144", "--input", csv, ...args], io)).toBe(2);
      expect(err).toMatch(message);
    }
  });

  it("CLI: empty sex or race cells are counted as unknown, not dropped", async () => {
    const csv = join(dir, "unknown.csv");
    writeFileSync(csv, "sex,race,d\nF,A,1\n,A,1\nM,,0\nM,A,0\n");
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } };
    expect(await main(["audit", "ll144", "--input", csv, "--sex", "sex", "--race", "race", "--decision", "d", "--json"], io)).toBe(0);
    const a = JSON.parse(out);
    expect(a.individuals).toBe(4);
    expect(a.unknown).toEqual({ count: 2, sex: 1, race: 1 });
    expect(a.tables.sex).toMatchObject([{ category: "F", count: 1 }, { category: "M", count: 2 }]);
    expect(a.tables.race).toMatchObject([{ category: "A", count: 3 }]);
    expect(a.tables.intersection.map((r: { count: number }) => r.count)).toEqual([1, 1]);
  });

  it("a cell that is not 0/1 names the file, line and column", async () => {
    const csv = join(dir, "bad.csv");
    writeFileSync(csv, "sex,race,d\nF,A,1\nM,B,yes\n");
    let err = "";
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } };
    expect(await main(["audit", "ll144", "--input", csv, "--sex", "sex", "--race", "race", "--decision", "d"], io)).toBe(2);
    expect(err).toMatch(/bad\.csv:3: column "d"/);
  });
});
