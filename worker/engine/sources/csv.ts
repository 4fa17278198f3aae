/**
 * @module engine/sources/csv
 * A small streaming RFC 4180 CSV parser: quoted fields, doubled quotes, commas
 * and newlines inside quotes, CRLF. Feed it chunks; it yields complete records
 * with the 1-based line number where each record started (for error messages).
 */

export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Raised for malformed CSV; carries the line where the problem is. */
export class CsvError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/** Creates an incremental parser. Call `push(chunk)` for each chunk and `end()` once. */
export function createCsvParser() {
  let field = "";
  let fields: string[] = [];
  let inQuotes = false;
  let quoteSeen = false; // just saw a quote inside a quoted field (maybe an escaped "")
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  let pendingCR = false;

  const endField = () => {
    fields.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = (out: CsvRecord[]) => {
    endField();
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === "")) out.push({ line: recordLine, fields });
    fields = [];
  };

  function push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i]!;
      if (pendingCR) {
        pendingCR = false;
        if (ch === "\n") continue;
      }
      if (inQuotes) {
        if (quoteSeen) {
          quoteSeen = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          inQuotes = false; // the quote closed the field: only a delimiter may follow
          if (ch !== "," && ch !== "\n" && ch !== "\r") throw new CsvError(line, `unexpected character after a closing quote (line ${line})`);
        } else if (ch === '"') {
          quoteSeen = true;
          continue;
        } else {
          if (ch === "\n") line++;
          field += ch;
          continue;
        }
      }
      if (ch === ",") endField();
      else if (ch === "\n" || ch === "\r") {
        endRecord(out);
        line++;
        recordLine = line;
        if (ch === "\r") pendingCR = true;
      } else if (ch === '"') {
        if (fieldStarted || field !== "") throw new CsvError(line, `unexpected quote inside an unquoted field (line ${line})`);
        inQuotes = true;
        fieldStarted = true;
      } else {
        field += ch;
        fieldStarted = true;
      }
    }
    return out;
  }

  function end(): CsvRecord[] {
    if (inQuotes && !quoteSeen) throw new CsvError(recordLine, `unterminated quoted field starting on line ${recordLine}`);
    const out: CsvRecord[] = [];
    if (field !== "" || fields.length > 0 || fieldStarted) endRecord(out);
    return out;
  }

  return { push, end };
}

/** Parses a whole CSV text (convenience for small inputs and tests). */
export function parseCsv(text: string): CsvRecord[] {
  const p = createCsvParser();
  return [...p.push(text), ...p.end()];
}
