/**
 * @module scripts/cli/summary-markdown
 * `fairgate check --summary FILE`: the evaluation as GitHub-flavoured Markdown for a CI
 * job page ($GITHUB_STEP_SUMMARY, a merge-request comment): the verdict, violations,
 * warnings, then per slice a group table and the gated metrics; with --sweep the
 * verdict at each threshold. Every number comes from the evaluation. Values from the
 * data (group labels) are escaped: a job summary renders Markdown and inline HTML.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { METRIC_NAMES, METRICS } from "../../worker/domain/tiers.js";
import type { FailOn } from "./args.js";
import { exitCodeFor } from "./fail-on.js";

/** Escapes Markdown and HTML punctuation and keeps a cell on one line. */
export function mdEscape(s: string): string {
  return s
    .replace(/[\r\n]+/g, " ")
    .replace(/&/g, "&amp;")
    // "(" and ")" only mean something after "]", which is escaped; leaving them keeps the text readable.
    .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`);
}

const int = (n: number) => n.toLocaleString("en-US");
const rate = (x: number | null) => (x === null ? "–" : x.toFixed(3));
const ICON: Record<string, string> = { pass: "✅", block: "❌", skip: "⏭️", bypass: "⚠️" };

/** The Markdown summary of `e` (the run's `rows` read, its exit status under `failOn`). */
export function renderMarkdownSummary(e: Evaluation, input: { file: string; rows: number }, failOn: FailOn = "block"): string {
  const exit = exitCodeFor(e, failOn);
  const out = [
    `## ${ICON[e.verdict] ?? ""} Fairgate: ${e.verdict.toUpperCase()} — ${mdEscape(input.file)}`,
    "",
    `**Verdict: ${e.verdict.toUpperCase()}**${e.reason ? ` (${mdEscape(e.reason)})` : ""} · exit ${exit} under \`--fail-on ${failOn}\` · ${int(input.rows)} rows read, ${int(e.sampleSize)} usable for ${mdEscape(e.sensitiveAttribute ?? "the sensitive attribute")}`,
    "",
  ];
  out.push("### Violations", "", ...(e.violations.length ? e.violations.map((v) => `- ${mdEscape(v)}`) : ["None."]), "");
  if (e.warnings.length) out.push("### Warnings", "", ...e.warnings.map((w) => `- **${w.tier}** ${mdEscape(w.message)}`), "");
  if (e.insufficientEvidence.length) out.push("### Insufficient evidence", "", ...e.insufficientEvidence.map((x) => `- ${mdEscape(x)}`), "");
  for (const r of e.results) {
    out.push(`### ${r.attributes.length > 1 ? "Intersection" : "Attribute"} \`${r.slice.replace(/`/g, "'")}\`${r.source === "replayed" ? " (candidate)" : ""}: ${int(r.sampleSize)} usable rows`, "");
    if (r.groups.length) {
      out.push("| group | n | selected | selection rate | 95% interval | TPR | FPR | PPV |", "|---|--:|--:|--:|--:|--:|--:|--:|");
      for (const g of r.groups) {
        const iv = g.intervals.selectionRate ? `[${g.intervals.selectionRate.lower.toFixed(3)}, ${g.intervals.selectionRate.upper.toFixed(3)}]` : "–";
        out.push(`| ${mdEscape(g.value)}${g.excluded ? " (small, left out)" : ""} | ${int(g.n)} | ${int(g.selected)} | ${rate(g.selectionRate)} | ${iv} | ${rate(g.tpr)} | ${rate(g.fpr)} | ${rate(g.ppv)} |`);
      }
      out.push("");
    }
    const gated = METRIC_NAMES.filter((m) => r.metrics[m].threshold !== null);
    if (gated.length) {
      out.push("| metric | value | interval | threshold | status |", "|---|--:|--:|---|---|");
      for (const m of gated) {
        const x = r.metrics[m];
        const t = x.threshold!;
        const th = (["warning", "critical", "block"] as const).filter((k) => t[k] !== undefined).map((k) => `${k} ${t[k]}`).join(", ");
        const iv = x.interval ? `[${x.interval.lower.toFixed(3)}, ${x.interval.upper.toFixed(3)}]` : "–";
        out.push(`| ${METRICS[m].label} | ${rate(x.value)} | ${iv} | ${th} | ${x.status.replace("_", " ")} |`);
      }
      out.push("");
    }
  }
  const sweep = e.thresholdSweep;
  if (sweep && sweep.points.length) {
    const primary = sweep.points[0]!.slices[0];
    const metrics = primary ? (Object.keys(primary.metrics) as (keyof typeof primary.metrics)[]) : [];
    out.push(`### Threshold sweep (\`${sweep.column.replace(/`/g, "'")}\` >= threshold${primary ? `, ${mdEscape(primary.slice)}` : ""})`, "");
    out.push(`| threshold | verdict | ${metrics.map((m) => METRICS[m].label).join(" | ")} |`, `|--:|---|${metrics.map(() => "--:|").join("")}`);
    for (const p of sweep.points) {
      const s = p.slices[0];
      out.push(`| ${p.threshold} | ${p.verdict} | ${metrics.map((m) => `${rate(s?.metrics[m]?.value ?? null)} ${s?.metrics[m]?.status === "block" ? "❌" : ""}`.trim()).join(" | ")} |`);
    }
    out.push("");
  }
  out.push(`<sub>evaluation ${mdEscape(e.id)} · ${mdEscape(e.createdAt)}</sub>`, "");
  return out.join("\n");
}
