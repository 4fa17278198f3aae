/**
 * @module engine/sources/ndjson
 * A small streaming NDJSON (JSON Lines) parser: feed it text chunks; it yields
 * one parsed value per non-blank line with the line's 1-based number (for error
 * messages). Lines may be split across chunks; CRLF is accepted.
 */

/** One parsed line. */
export interface NdjsonRecord {
  line: number;
  value: unknown;
}

/** Raised for malformed NDJSON; carries the line where the problem is. */
export class NdjsonError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/**
 * Longest line accepted. A file without newlines would otherwise be buffered
 * whole, which defeats streaming; real records are far shorter.
 */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** Creates an incremental parser. Call `push(chunk)` for each chunk and `end()` once. */
export function createNdjsonParser(maxLineChars = MAX_LINE_CHARS) {
  let pending = ""; // the incomplete last line of the previous chunks
  let line = 1;

  const parseLine = (text: string, out: NdjsonRecord[]) => {
    const at = line++;
    const body = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (body.trim() === "") return; // blank lines carry no record
    try {
      out.push({ line: at, value: JSON.parse(body) });
    } catch (err) {
      throw new NdjsonError(at, `invalid JSON (${(err as Error).message})`);
    }
  };

  function push(chunk: string): NdjsonRecord[] {
    const out: NdjsonRecord[] = [];
    let start = 0;
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      const piece = chunk.slice(start, nl);
      parseLine(pending === "" ? piece : pending + piece, out);
      pending = "";
      start = nl + 1;
    }
    pending += chunk.slice(start);
    if (pending.length > maxLineChars) throw new NdjsonError(line, `line longer than ${maxLineChars} characters`);
    return out;
  }

  function end(): NdjsonRecord[] {
    const out: NdjsonRecord[] = [];
    if (pending !== "") parseLine(pending, out);
    pending = "";
    return out;
  }

  return { push, end };
}

/** Parses a whole NDJSON text (convenience for small inputs and tests). */
export function parseNdjson(text: string): NdjsonRecord[] {
  const p = createNdjsonParser();
  return [...p.push(text), ...p.end()];
}
