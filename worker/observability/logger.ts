/**
 * @module observability/logger
 * Structured JSON logs, one object per line. Callers pass fields explicitly;
 * keys, tokens and sensitive attribute values must never be passed in.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (e.g. the request id). */
  child(fields: Record<string, unknown>): Logger;
}

/** Creates a logger writing JSON lines to `sink` (stdout on Node; console on Workers/Deno). */
export function createLogger(opts: { level?: LogLevel; sink?: (line: string) => void; base?: Record<string, unknown> } = {}): Logger {
  const min = ORDER[opts.level ?? "info"];
  const sink = opts.sink ?? ((line: string) => console.log(line));
  const base = opts.base ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger({ level: opts.level ?? "info", sink, base: { ...base, ...fields } }),
  };
}

/** Loggable summary of an unknown error: name and message only for operators (never sent to clients). */
export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { errorName: e.name, errorMessage: e.message, errorCode: (e as { code?: unknown }).code };
  return { errorMessage: String(e) };
}
