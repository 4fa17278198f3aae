/**
 * @module scripts/cli/junit
 * `fairgate check --junit FILE`: the evaluation as JUnit XML, the format CI systems
 * (GitHub via test reporters, GitLab's `artifacts:reports:junit`, Jenkins) show as
 * test results. One testcase per slice × metric (classname = the slice, name = the
 * metric); a `<failure>` for what fails the run under --fail-on, carrying the
 * evaluation's own violation or warning text; `<skipped>` for a metric that is not
 * gated or has no value. One more testcase, classname "fairgate", name "verdict",
 * fails whenever the run fails, so a block that no single metric explains (too few
 * samples, insufficient evidence) still shows. Nothing is recomputed here.
 */
import type { Evaluation } from "../../worker/domain/evaluation.js";
import { INSUFFICIENT_EVIDENCE, labelOf } from "../../worker/domain/gate.js";
import { METRIC_NAMES, METRICS } from "../../worker/domain/tiers.js";
import type { FailOn } from "./args.js";
import { failingTiers, failsRun } from "./fail-on.js";

/** XML 1.0 forbids most control characters and lone surrogates even as references: replaced by U+FFFD. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Escapes text for an XML attribute value or element content. Tab, CR and LF become
 * character references: a parser normalises them to spaces when literal in an attribute
 * value (XML 1.0 §3.3.3), and turns a literal CR into LF in content (§2.11).
 */
export function xmlEscape(s: string): string {
  return s
    .replace(NOT_XML_CHAR, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\r/g, "&#13;")
    .replace(/\n/g, "&#10;");
}

const attr = (s: string) => xmlEscape(s);
const text = (s: string) => xmlEscape(s).replace(/&#10;/g, "\n");

type Case = { classname: string; name: string; failure?: { type: string; message: string; body: string }; skipped?: string; out?: string };

function cases(e: Evaluation, failOn: FailOn): Case[] {
  // A skip never fails the run (fail-on.ts), so no warning-tier finding fails a case of it: the XML agrees with the exit status.
  const tiers = e.verdict === "skip" ? [] : failingTiers(failOn);
  // A skip that judged nothing (disabled policy, too few samples): every metric is skipped with its reason.
  const unjudged = e.verdict === "skip" && e.reason !== INSUFFICIENT_EVIDENCE ? (e.reason ?? "skipped") : null;
  const single = e.sensitiveAttributes.length === 1;
  const out: Case[] = [];
  e.results.forEach((r, i) => {
    const prefix = labelOf(r, single, i);
    const classname = r.source === "replayed" ? `candidate ${r.slice}` : r.slice;
    for (const m of METRIC_NAMES) {
      const ev = r.metrics[m];
      const c: Case = { classname, name: m };
      out.push(c);
      if (unjudged !== null) {
        c.skipped = `not judged: ${unjudged}`;
        continue;
      }
      const label = METRICS[m].label;
      const violation = e.violations.find((v) => v.startsWith(`${prefix}${label} `) || v.startsWith(`${prefix}${INSUFFICIENT_EVIDENCE}: ${label} `));
      const warned = e.warnings.filter((w) => w.slice === r.slice && w.source === r.source && w.metric === m);
      const failing = warned.filter((w) => tiers.includes(w.tier));
      if (violation !== undefined) {
        const body = [violation, ...warned.map((w) => `[${w.tier}] ${w.message}`)].join("\n");
        c.failure = { type: ev.status === "insufficient_evidence" ? "insufficient_evidence" : "block", message: violation, body };
      } else if (failing.length > 0) {
        c.failure = { type: failing[0]!.tier, message: failing[0]!.message, body: failing.map((w) => `[${w.tier}] ${w.message}`).join("\n") };
      } else if (ev.status === "not_checked") {
        c.skipped = "not gated: the policy sets no threshold for this metric";
      } else if (ev.status === "unavailable") {
        c.skipped = `unavailable: ${ev.note ?? "the metric has no value"}`;
      } else if (ev.status === "insufficient_evidence") {
        c.skipped = e.insufficientEvidence.find((x) => x.startsWith(`${prefix}${INSUFFICIENT_EVIDENCE}: ${label} `)) ?? INSUFFICIENT_EVIDENCE;
      } else {
        // Passed (or a tier below --fail-on): the value and any lower-tier finding go to the log.
        const iv = ev.interval ? ` [${ev.interval.lower.toFixed(3)}, ${ev.interval.upper.toFixed(3)}]` : "";
        c.out = [`${label} ${ev.value === null ? "n/a" : ev.value.toFixed(3)}${iv}: ${ev.status}`, ...warned.map((w) => `[${w.tier}] ${w.message}`)].join("\n");
      }
    }
  });
  const fails = failsRun(e, failOn);
  const verdict: Case = { classname: "fairgate", name: "verdict" };
  if (fails) {
    const lines = e.verdict === "block" ? e.violations : e.warnings.filter((w) => tiers.includes(w.tier)).map((w) => `[${w.tier}] ${w.message}`);
    verdict.failure = { type: e.verdict === "block" ? "block" : `fail-on ${failOn}`, message: `${e.verdict.toUpperCase()}${e.verdict === "block" ? "" : ` (fails under --fail-on ${failOn})`}`, body: lines.join("\n") };
  } else if (e.verdict === "skip") verdict.skipped = e.reason ?? "skipped";
  else verdict.out = e.verdict.toUpperCase();
  out.push(verdict);
  return out;
}

/** The JUnit XML document of `e` under `failOn`. */
export function renderJunit(e: Evaluation, failOn: FailOn = "block"): string {
  const all = cases(e, failOn);
  const failures = all.filter((c) => c.failure).length;
  const skipped = all.filter((c) => c.skipped !== undefined).length;
  const suite = `fairgate check ${e.flowKey ?? ""}`.trim();
  const counts = `tests="${all.length}" failures="${failures}" errors="0" skipped="${skipped}"`;
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${attr(suite)}" ${counts}>`,
    `  <testsuite name="${attr(suite)}" ${counts} timestamp="${attr(e.createdAt.replace(/(\.\d+)?Z$/, ""))}">`,
    `    <properties>`,
    ...(
      [
        ["verdict", e.verdict],
        ["evaluationId", e.id],
        ["failOn", failOn],
        ["sampleSize", String(e.sampleSize)],
      ] as const
    ).map(([k, v]) => `      <property name="${k}" value="${attr(v)}"/>`),
    `    </properties>`,
  ];
  for (const c of all) {
    const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0"`;
    if (c.failure) lines.push(`${open}>`, `      <failure type="${attr(c.failure.type)}" message="${attr(c.failure.message)}">${text(c.failure.body)}</failure>`, `    </testcase>`);
    else if (c.skipped !== undefined) lines.push(`${open}>`, `      <skipped message="${attr(c.skipped)}"/>`, `    </testcase>`);
    else if (c.out) lines.push(`${open}>`, `      <system-out>${text(c.out)}</system-out>`, `    </testcase>`);
    else lines.push(`${open}/>`);
  }
  lines.push(`  </testsuite>`, `</testsuites>`, "");
  return lines.join("\n");
}
