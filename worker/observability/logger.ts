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

/**
 * A class, not a closure per method: every request makes two child loggers (request id,
 * then tenant), and a child is then one small object rather than five new functions.
 */
class JsonLogger implements Logger {
  constructor(
    private readonly min: number,
    private readonly sink: (line: string) => void,
    private readonly base: Record<string, unknown>,
  ) {}
  private emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < this.min) return;
    this.sink(JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.base, ...fields }));
  }
  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit("error", msg, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.min, this.sink, { ...this.base, ...fields });
  }
}

/** Creates a logger writing JSON lines to `sink` (stdout on Node; console on Workers/Deno). */
export function createLogger(opts: { level?: LogLevel; sink?: (line: string) => void; base?: Record<string, unknown> } = {}): Logger {
  return new JsonLogger(ORDER[opts.level ?? "info"], opts.sink ?? ((line: string) => console.log(line)), opts.base ?? {});
}

/** Loggable summary of an unknown error: name and message only for operators (never sent to clients). */
export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { errorName: e.name, errorMessage: e.message, errorCode: (e as { code?: unknown }).code };
  return { errorMessage: String(e) };
}
