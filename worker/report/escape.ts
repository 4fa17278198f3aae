/**
 * @module report/escape
 * HTML escaping for every value that reaches the report (text and attributes):
 * group values, flow keys and reasons are user input.
 */
const MAP: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escapes `&<>"'` so a value is inert in text and in quoted attributes. */
export function esc(v: unknown): string {
  return String(v ?? "").replace(/[&<>"']/g, (c) => MAP[c]!);
}
