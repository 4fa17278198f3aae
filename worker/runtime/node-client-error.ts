/**
 * @module runtime/node-client-error
 * Node's HTTP parser rejects some requests before any handler runs (header set
 * over `--max-http-header-size`, malformed request lines, request timeouts) and
 * by default answers them with a bare status line. This `clientError` handler
 * answers the same statuses as problem+json with a stable `code`, so clients see
 * one error format. (Deno and Workers answer such requests in the runtime itself,
 * before our code runs; see the README.)
 */
import type { Socket } from "node:net";
import { PROBLEM_TYPE_BASE } from "../http/problem.js";
import type { Logger } from "../observability/logger.js";

const ANSWERS: Record<string, { status: number; reason: string; code: string; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    code: "headers_too_large",
    title: "Request header fields too large",
    detail: "The request's headers exceed the server's limit; send fewer or smaller headers.",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    code: "request_timeout",
    title: "Request timeout",
    detail: "The request was not received completely in time.",
  },
};
const BAD_REQUEST = { status: 400, reason: "Bad Request", code: "bad_request", title: "Bad request", detail: "The request could not be parsed as HTTP." };

/** The raw HTTP/1.1 response for a parser error code. */
export function clientErrorResponse(errorCode: string | undefined): string {
  const a = (errorCode && ANSWERS[errorCode]) || BAD_REQUEST;
  const body = JSON.stringify({ type: PROBLEM_TYPE_BASE + a.code.replace(/_/g, "-"), title: a.title, status: a.status, detail: a.detail, code: a.code });
  return (
    `HTTP/1.1 ${a.status} ${a.reason}\r\n` +
    "Content-Type: application/problem+json\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    "Connection: close\r\n\r\n" +
    body
  );
}

/** Any Node HTTP/1 server (the type @hono/node-server's serve() returns is a union of server kinds). */
interface ClientErrorSource {
  on(event: "clientError", listener: (err: NodeJS.ErrnoException, socket: Socket) => void): unknown;
}

/** Installs the problem+json `clientError` handler on a Node HTTP server. */
export function installClientErrorHandler(server: ClientErrorSource, log?: Logger): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection, or one that already has (part of) a response: nothing sensible can be written.
    if (err.code === "ECONNRESET" || !socket.writable || (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    log?.info("client error", { errorCode: err.code });
    socket.end(clientErrorResponse(err.code));
  });
}
