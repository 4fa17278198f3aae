/**
 * @module console/html
 * The console's rendering primitives on Hono's `html` helper: every interpolated
 * value is escaped unless it is itself rendered markup, so a flow name or a group
 * value can never become markup. Pages are built synchronously, so `h` narrows the
 * helper's result to the string it then is.
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export type Html = HtmlEscapedString;

/** Tagged template: escaped interpolation, markup kept. */
export const h = (strings: TemplateStringsArray, ...values: unknown[]): Html => html(strings, ...values) as Html;

/** Trusted markup (the report's SVG, which escapes its own labels). */
export const trusted = (markup: string): Html => raw(markup) as Html;

/** A date-time as "2026-12-01 10:20 UTC" (the server's rendering, the same for everyone). */
export function when(iso: string | null | undefined): Html {
  if (!iso) return h`–`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h`${iso}`;
  return h`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace("T", " ")} UTC</time>`;
}

/** A status or verdict as a badge; the word is always written out (colour is never the only cue). */
export function badge(word: string): Html {
  return h`<span class="badge badge-${word.replace(/[^a-z_-]/gi, "")}">${word}</span>`;
}

export const fmt3 = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : v.toFixed(3));
export const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
