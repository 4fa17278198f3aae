/**
 * @module domain/slices
 * Slices: the ways a window is cut into groups. With sensitive attributes
 * [a, b] the slices are `a` alone, `b` alone and the intersection `a|b`; each is
 * evaluated with the same metrics. This module owns how slices and intersection
 * values are named, so the engine, the replay and the CLI cannot disagree.
 */
import type { CalibrationTable } from "./calibration.js";
import type { ConfusionTable } from "./confusion.js";

/** Joins attribute names into a slice name, and parts of an intersection value. */
export const INTERSECTION_SEPARATOR = "|";

/** One slice's input to the gate: its confusion table and (optionally) calibration bins. */
export interface SliceTable {
  /** The attribute name, or the attribute names joined by "|" for the intersection. */
  name: string;
  attributes: string[];
  table: ConfusionTable;
  calibration: CalibrationTable | null;
}

/**
 * The group label for an attribute value. null, undefined and "" mean "not usable"
 * (an empty CSV cell and an empty JSON string are the same missing value); booleans
 * are "true"/"false", numbers their shortest decimal form. The API gate, the
 * columnar packer, the candidate replay and `fairgate check` all group through this
 * one function.
 */
export function groupLabel(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  return typeof v === "string" ? v : String(v);
}

/** A slice definition without data. */
export interface SliceSpec {
  name: string;
  attributes: string[];
}

/**
 * The slices of `attributes`: each attribute alone (in the given order), then
 * their intersection when there are several. The first slice is the primary one.
 */
export function slicesOf(attributes: string[]): SliceSpec[] {
  const out = attributes.map((a) => ({ name: a, attributes: [a] }));
  if (attributes.length > 1) out.push({ name: attributes.join(INTERSECTION_SEPARATOR), attributes: [...attributes] });
  return out;
}

// A value may itself contain "|": escaping keeps ("a|b","c") and ("a","b|c") distinct.
const escapePart = (v: string) => (v.includes("\\") || v.includes("|") ? v.replace(/\\/g, "\\\\").replace(/\|/g, "\\|") : v);

/** The group value of an intersection: the parts joined by "|" (with "|" and "\" escaped). */
export function intersectionValue(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : parts.map(escapePart).join(INTERSECTION_SEPARATOR);
}

/** Splits an intersection value back into its parts (inverse of intersectionValue for n > 1 parts). */
export function intersectionParts(value: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\" && i + 1 < value.length) cur += value[++i]!;
    else if (c === INTERSECTION_SEPARATOR) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
