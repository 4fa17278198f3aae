/**
 * @module domain/summary-codec
 * The stored form of one segment's slice summary (engine/segment-summary.ts), shared by
 * the store (which writes it at pack and adds each late outcome to it) and the
 * summarised window reader (which sums a window's summaries on every gate).
 *
 * Binary, `fairgate-summary/2`, all little-endian, so a gate reads counts as one
 * Float64Array view per summary instead of parsing JSON (at 100 M traces a window holds
 * ~1,350 summaries: the JSON parse was ~15% of the verdict and most of its garbage):
 *
 *   u32 magic 0x32534746 ("FGS2") ‖ u32 groups g ‖ u32 bins b ‖ u32 label bytes L
 *   ‖ L bytes: the group labels as a UTF-8 JSON array ‖ zero padding to a multiple of 8
 *   ‖ f64[8g] per group n, selected, labeled, positives, tp, fp, fn, tn
 *   ‖ f64[gb] labeled scored traces ‖ f64[gb] their positives ‖ f64[gb] their score sums (integer units)
 *
 * Rows written before it hold the JSON object {v, c, k, p, s} (`fairgate-summary/1`);
 * both decode to the same shape. Decoding parses, it does not trust: anything that is
 * not a well-formed summary with `bins` bins and non-negative integer counts is null.
 */
import { z } from "zod";

const MAGIC = 0x32534746;
const HEAD = 16;

/** A decoded summary: labels, and counts in the layout above (arrays or views). */
export interface SummaryCounts {
  v: string[];
  c: ArrayLike<number>;
  k: ArrayLike<number>;
  p: ArrayLike<number>;
  s: ArrayLike<number>;
}

/** True when every entry is a non-negative integer (a tight loop: no per-element allocation). */
function counts(x: ArrayLike<number>): boolean {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!(v >= 0) || !Number.isInteger(v)) return false;
  }
  return true;
}

const countArray = z.custom<number[]>((x) => Array.isArray(x) && counts(x), { message: "expected an array of non-negative integer counts" });
const labelsSchema = z.array(z.string());
/** The JSON body of `fairgate-summary/1`. */
const jsonBodySchema = z.strictObject({ v: labelsSchema, c: countArray, k: countArray, p: countArray, s: countArray });

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function shaped(b: SummaryCounts, bins: number): boolean {
  const g = b.v.length;
  return b.c.length === g * 8 && b.k.length === g * bins && b.p.length === g * bins && b.s.length === g * bins;
}

/** The stored bytes of a summary with `bins` bins. */
export function encodeSummary(b: SummaryCounts, bins: number): Uint8Array {
  if (!shaped(b, bins)) throw new Error("summary arrays do not match its labels and bins");
  const g = b.v.length;
  const labels = encoder.encode(JSON.stringify(b.v));
  const at = Math.ceil((HEAD + labels.length) / 8) * 8;
  const out = new Uint8Array(at + 8 * (8 * g + 3 * g * bins));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, g, true);
  view.setUint32(8, bins, true);
  view.setUint32(12, labels.length, true);
  out.set(labels, HEAD);
  let o = at;
  for (const part of [b.c, b.k, b.p, b.s])
    for (let i = 0; i < part.length; i++, o += 8) view.setFloat64(o, part[i]!, true);
  return out;
}

/**
 * A stored summary (binary or the older JSON text) with `bins` bins, or null when it is not one.
 * `labels` (optional, one per read) keeps each distinct label list's parse: a window's
 * segments repeat a slice's labels, so each is parsed once, not once per segment.
 */
export function decodeSummary(stored: unknown, bins: number, labels?: Map<string, string[] | null>): SummaryCounts | null {
  if (typeof stored === "string") return decodeJson(stored, bins);
  const bytes = stored instanceof ArrayBuffer ? new Uint8Array(stored) : stored instanceof Uint8Array ? stored : null;
  if (!bytes || bytes.length < HEAD) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) return null;
  const g = view.getUint32(4, true);
  const L = view.getUint32(12, true);
  if (view.getUint32(8, true) !== bins) return null;
  const at = Math.ceil((HEAD + L) / 8) * 8;
  const n = 8 * g + 3 * g * bins;
  if (bytes.length !== at + 8 * n) return null;
  const text = decoder.decode(bytes.subarray(HEAD, HEAD + L));
  let v = labels?.get(text);
  if (v === undefined) {
    v = parseLabels(text);
    labels?.set(text, v);
  }
  if (v === null || v.length !== g) return null;
  // A view needs 8-byte alignment; a copy when the buffer does not give it (or the host is big-endian).
  let f: Float64Array;
  if (LITTLE_ENDIAN && (bytes.byteOffset + at) % 8 === 0) f = new Float64Array(bytes.buffer, bytes.byteOffset + at, n);
  else {
    f = new Float64Array(n);
    for (let i = 0; i < n; i++) f[i] = view.getFloat64(at + 8 * i, true);
  }
  if (!counts(f)) return null;
  const gb = g * bins;
  return { v, c: f.subarray(0, 8 * g), k: f.subarray(8 * g, 8 * g + gb), p: f.subarray(8 * g + gb, 8 * g + 2 * gb), s: f.subarray(8 * g + 2 * gb) };
}

/** A summary's label list (a JSON array of strings), or null when it is not one. */
function parseLabels(text: string): string[] | null {
  try {
    const r = labelsSchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function decodeJson(text: string, bins: number): SummaryCounts | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const r = jsonBodySchema.safeParse(raw);
  return r.success && shaped(r.data, bins) ? r.data : null;
}
