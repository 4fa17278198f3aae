/**
 * @module wasm-core/csv-layout
 * The memory contract of the CSV scanner (csv.ts, csv-dictionary.ts) with its wrapper
 * (worker/engine/sources/csv-wasm-memory.ts mirrors these offsets): the control block, the
 * column descriptors, the return statuses and the error kinds.
 */
// Control block: u32 words at ctl (byte offsets).
export const C_P: usize = 0; // in: first byte; out: where parsing stopped
export const C_TO: usize = 4;
export const C_LAST: usize = 8;
export const C_LINE: usize = 12;
export const C_LEN: usize = 16;
export const C_BATCH: usize = 20;
export const C_PENDING_CR: usize = 24;
export const C_MODE: usize = 28; // 1: header mode
export const C_NACTIONS: usize = 32;
export const C_ACTIONS: usize = 36; // u32 per field: dict column + 1 (low 16 bits), numeric column + 1 (high 16)
export const C_LAST_NEEDED: usize = 40; // i32
export const C_COLUMNS: usize = 44; // column descriptors, 32 bytes each
export const C_LINES: usize = 48; // u32 per row
export const C_ARENA: usize = 52;
export const C_ARENA_USED: usize = 56;
export const C_FALLBACKS: usize = 60; // 5 u32 per entry: row, numeric column (bit 31: copied to C_JSON), start, end, line
export const C_FALLBACK_COUNT: usize = 64;
export const C_FALLBACK_LIMIT: usize = 68;
export const C_SERVICE: usize = 72; // set when a table must grow or a column widen
export const C_ERROR: usize = 76;
export const C_ERROR_LINE: usize = 80;
export const C_ERROR_FIELD: usize = 84;
export const C_RECORD_START: usize = 88;
export const C_RECORD_LINE: usize = 92;
// Fallback numbers made only of [0-9.eE+-] are also copied here, comma-separated, for the
// wrapper to parse all at once (JSON.parse, the same doubles as Number()).
export const C_JSON: usize = 96;
export const C_JSON_USED: usize = 100;
export const C_JSON_CAP: usize = 104;

// Column descriptor (u32 words).
export const D_TABLE: usize = 0; // 16-byte slots: u64 key (see keyOf), u32 length, u32 code
export const D_MASK: usize = 4; // slots − 1
export const D_COUNT: usize = 8;
export const D_LIMIT: usize = 12; // SERVICE once count exceeds this
export const D_ENTRIES: usize = 16; // u32 pairs: arena offset, length
export const D_CODES: usize = 20; // u8 per row, or u32 per row when bit 0 is set
// Numeric columns use D_TABLE as the f64 values and D_MASK as the u8 valid flags.

export const CSV_DONE: i32 = 0;
export const CSV_FULL: i32 = 1;
export const CSV_SERVICE: i32 = 2;
export const CSV_HEADER: i32 = 3;
export const CSV_ERROR: i32 = 4;

export const CSV_ERR_UNTERMINATED: i32 = 1;
export const CSV_ERR_AFTER_QUOTE: i32 = 2;
export const CSV_ERR_QUOTE_IN_FIELD: i32 = 3;
export const CSV_ERR_SHORT_ROW: i32 = 4;

export const COMMA: u32 = 44;
export const LF: u32 = 10;
export const CR: u32 = 13;
export const QUOTE: u32 = 34;
export const FALLBACK_BYTES: usize = 20;
