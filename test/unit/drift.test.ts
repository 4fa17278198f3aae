/**
 * @module test/unit/drift
 * PSI and two-sample KS (domain/drift.ts) against values computed by hand and the
 * published Kolmogorov distribution table — never against numbers this code printed.
 */
import { describe, expect, it } from "vitest";
import { attributeDrift, compareWindows, decileCuts, kolmogorovQ, ksExactPValue, ksPValue, ksStatistic, psi, psiBand } from "../../worker/domain/drift.js";

const rows = (attribute: string, values: (string | number | null)[]) => values.map((v) => ({ [attribute]: v }));
const repeat = <T>(v: T, n: number) => Array.from({ length: n }, () => v);

describe("PSI", () => {
  it("a small categorical case by hand: 50/30/20 → 30/30/40", () => {
    // (0.3−0.5)·ln(0.3/0.5) + 0 + (0.4−0.2)·ln(0.4/0.2) = 0.2·0.5108256 + 0.2·0.6931472 = 0.2407946
    expect(psi([50, 30, 20], [30, 30, 40])).toBeCloseTo(0.2407946, 6);
    const d = attributeDrift("tier", rows("tier", [...repeat("a", 50), ...repeat("b", 30), ...repeat("c", 20)]), rows("tier", [...repeat("a", 30), ...repeat("b", 30), ...repeat("c", 40)]));
    expect(d.kind).toBe("categorical");
    expect(d.psi).toBeCloseTo(0.2407946, 6);
    expect(d.band).toBe("monitor");
    expect(d.ks).toBeNull();
    expect(d.alert).toBe(false);
  });
  it("an empty bin is floored at 1e-4 (no renormalisation)", () => {
    // r = (1, 1e-4), c = (0.5, 0.5): (−0.5)·ln 0.5 + 0.4999·ln 5000 = 0.3465736 + 4.2577446 = 4.6043182
    expect(psi([10, 0], [5, 5])).toBeCloseTo(4.6043182, 6);
  });
  it("identical distributions have PSI 0", () => {
    expect(psi([3, 4, 5], [6, 8, 10])).toBe(0);
  });
  it("bands: < 0.1 none, 0.1–0.25 monitor, ≥ 0.25 alert", () => {
    expect([psiBand(0.0999), psiBand(0.1), psiBand(0.2499), psiBand(0.25)]).toEqual(["none", "monitor", "monitor", "alert"]);
  });
  it("numeric bins are the reference deciles: 1..20 → 11..30 by hand", () => {
    const ref = Array.from({ length: 20 }, (_, i) => i + 1);
    // cut k = sorted[ceil(2k) − 1] = 2k → 2, 4, …, 18
    expect(decileCuts(ref)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    // Repeated cuts merge: three values, nine quantiles → two cuts.
    expect(decileCuts([1, 1, 1, 1, 2, 2, 2, 3, 3, 3])).toEqual([1, 2, 3]);
    const d = attributeDrift("income", rows("income", ref), rows("income", ref.map((v) => v + 10)));
    // Current: bins 0–4 empty (floored 1e-4), bins 5–8 hold 0.1 each, bin 9 (> 18) holds 12/20 = 0.6.
    // 5·(1e-4 − 0.1)·ln(1e-4/0.1) + (0.6 − 0.1)·ln 6 = 5·0.6900848 + 0.8958797 = 4.3463035
    expect(d.kind).toBe("numeric");
    expect(d.bins).toHaveLength(10);
    expect(d.bins[9]).toEqual({ label: "> 18", reference: 0.1, current: 0.6 });
    expect(d.psi).toBeCloseTo(4.3463035, 6);
    expect(d.band).toBe("alert");
    // F_ref(10) = 0.5, F_cur(10) = 0 → D = 0.5
    expect(d.ks).toBe(0.5);
    expect(d.alert).toBe(true);
  });
  it("missing values are counted apart; a window without values gives null", () => {
    const d = attributeDrift("x", rows("x", [1, 2, null]), [{}, {}]);
    expect(d.reference).toEqual({ n: 2, missing: 1 });
    expect(d.current).toEqual({ n: 0, missing: 2 });
    expect([d.psi, d.band, d.ks, d.ksPValue]).toEqual([null, null, null, null]);
  });
});

describe("two-sample Kolmogorov–Smirnov", () => {
  it("D on a small hand case with ties", () => {
    // a = 1..5, b = 3..8: at x = 5, F_a = 5/5 = 1, F_b = 3/6 = 0.5 → D = 0.5 (the largest gap)
    expect(ksStatistic([1, 2, 3, 4, 5], [3, 4, 5, 6, 7, 8])).toBeCloseTo(0.5, 12);
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1);
    expect(ksStatistic([1, 2, 2, 3], [1, 2, 2, 3])).toBe(0);
    // a = [1, 1, 2], b = [1, 2, 2]: at x = 1, F_a = 2/3, F_b = 1/3 → D = 1/3
    expect(ksStatistic([1, 1, 2], [1, 2, 2])).toBeCloseTo(1 / 3, 12);
  });
  it("Q_KS matches the published Kolmogorov distribution table", () => {
    // Critical values of the Kolmogorov distribution (Smirnov 1948; e.g. Massey 1951, NR Table):
    // P(K > 1.2238) = 0.10, P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01, P(K > 1.9495) = 0.001.
    expect(kolmogorovQ(1.2238)).toBeCloseTo(0.1, 4);
    expect(kolmogorovQ(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovQ(1.6276)).toBeCloseTo(0.01, 4);
    expect(kolmogorovQ(1.9495)).toBeCloseTo(0.001, 5);
    // The theta branch (λ < 1.18): K(0.5) = 0.036055, K(1.0) = 0.730000 (published CDF values).
    expect(1 - kolmogorovQ(0.5)).toBeCloseTo(0.036055, 5);
    expect(1 - kolmogorovQ(1.0)).toBeCloseTo(0.73, 5);
    expect(kolmogorovQ(0)).toBe(1);
  });
  it("the p-value uses λ = (√ne + 0.12 + 0.11/√ne)·D (Numerical Recipes)", () => {
    // n = m = 100: ne = 50, √50 = 7.0710678; λ = 1.3581 ⇔ D = 1.3581 / (7.0710678 + 0.12 + 0.0155563) = 0.1884515
    expect(ksPValue(0.1884515, 100, 100)).toBeCloseTo(0.05, 4);
    expect(ksPValue(0.5, 0, 3)).toBeNull();
  });
  it("small samples get the exact p-value: the Gnedenko–Korolyuk formula for n = m", () => {
    // P(D ≥ k/n) = 2 Σ_{j≥1} (−1)^{j−1} C(2n, n − jk) / C(2n, n)
    // n = 5, D = 0.6 (k = 3): 2·C(10, 2)/C(10, 5) = 90/252; D = 1 (k = 5): 2·C(10, 0)/252 = 2/252
    expect(ksExactPValue(0.6, 5, 5)).toBeCloseTo(90 / 252, 12);
    expect(ksExactPValue(1, 5, 5)).toBeCloseTo(2 / 252, 12);
    // n = 10, D = 0.5 (k = 5): 2·(C(20, 5) − C(20, 0))/C(20, 10) = 2·15503/184756
    expect(ksExactPValue(0.5, 10, 10)).toBeCloseTo((2 * 15503) / 184756, 12);
    expect(ksPValue(0.5, 10, 10)).toBe(ksExactPValue(0.5, 10, 10));
  });
  it("the exact p-value equals brute-force enumeration of every split (n = 3, m = 4)", () => {
    // All C(7, 3) = 35 ways to draw the first sample from 7 distinct pooled values, equally likely under H0.
    const pooled = [1, 2, 3, 4, 5, 6, 7];
    const ds: number[] = [];
    for (let mask = 0; mask < 1 << 7; mask++) {
      const a = pooled.filter((_, i) => mask & (1 << i));
      if (a.length !== 3) continue;
      ds.push(ksStatistic(a, pooled.filter((_, i) => !(mask & (1 << i)))));
    }
    expect(ds).toHaveLength(35);
    for (const d of [...new Set(ds)]) expect(ksExactPValue(d, 3, 4)).toBeCloseTo(ds.filter((x) => x >= d - 1e-12).length / 35, 12);
  });
});

describe("verdict", () => {
  it("alert on PSI ≥ 0.25 or a significant KS with D > 0.1; monitor on a monitor band; attributes default to all seen", () => {
    const tier = (a: number, b: number, c: number) => [...repeat("a", a), ...repeat("b", b), ...repeat("c", c)];
    const ref = tier(50, 30, 20).map((t) => ({ tier: t, channel: "web" }));
    const cur = tier(30, 30, 40).map((t) => ({ tier: t, channel: "web" }));
    const r = compareWindows(ref, cur);
    expect(r.attributes.map((a) => [a.attribute, a.band])).toEqual([["channel", "none"], ["tier", "monitor"]]);
    expect(r.verdict).toBe("monitor");
    expect(compareWindows(ref, cur, ["channel"]).verdict).toBe("none");
    const n = Array.from({ length: 200 }, (_, i) => i);
    expect(compareWindows(rows("x", n), rows("x", n.map((v) => v + 100))).verdict).toBe("alert");
  });
});
