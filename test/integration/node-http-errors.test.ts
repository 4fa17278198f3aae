/**
 * Errors the Node server meets outside a normal request/response, against the
 * real gateway process: a client that disconnects in the middle of a bulk upload
 * is logged as `client_closed` at info (not a 500 "unhandled error" with a stack),
 * and a header set over Node's limit gets a problem+json 431 (Node's parser
 * answers before Hono; the clientError handler writes the body).
 */
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { type SpawnedServer, spawnNodeServer } from "../helpers/server.js";

let srv: SpawnedServer;
let operatorKey = "";

beforeAll(async () => {
  srv = await spawnNodeServer();
  const http = createClient(srv.baseUrl);
  const t = await http.post("/api/v1/admin/tenants", srv.adminToken, { name: "net-errors" });
  expect(t.status).toBe(201);
  const k = await http.post(`/api/v1/admin/tenants/${t.body.id}/api-keys`, srv.adminToken, { principal: "op@net.test", roles: ["operator"] });
  expect(k.status).toBe(201);
  operatorKey = k.body.key;
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

const parsedLogs = () =>
  srv.logs.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

async function waitFor<T>(find: () => T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out; logs:\n" + srv.logs.slice(-20).join("\n"));
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("client disconnects mid-request", () => {
  it("an aborted bulk upload is logged as client_closed at info, with no 500 and no stack", async () => {
    const requestId = "abort-test-" + crypto.randomUUID();
    const u = new URL(srv.baseUrl + "/api/v1/decision-traces/bulk");
    await new Promise<void>((done) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${operatorKey}`,
          "x-requested-with": "XMLHttpRequest",
          "content-type": "application/x-ndjson",
          "transfer-encoding": "chunked",
          "x-request-id": requestId,
        },
      });
      req.on("error", () => done());
      req.on("close", () => done());
      // Half a body, then the client goes away.
      req.write('{"decisionFlowKey":"x","customerId":"c","attributes":{},"selected":true}\n{"decisionFlowKey":');
      setTimeout(() => req.destroy(), 200);
    });
    const line = await waitFor(() => parsedLogs().find((l) => l.requestId === requestId && l.msg === "request"));
    const mine = parsedLogs().filter((l) => l.requestId === requestId);
    expect(mine.find((l) => l.msg === "client_closed"), JSON.stringify(mine)).toMatchObject({ level: "info", method: "POST", path: "/api/v1/decision-traces/bulk" });
    expect(line.status).toBe(499);
    for (const l of mine) {
      expect(l.level, JSON.stringify(l)).not.toBe("error");
      expect(l.msg).not.toBe("unhandled error");
      expect(JSON.stringify(l)).not.toContain("stack");
    }
  });

  it("the server keeps serving afterwards", async () => {
    const r = await fetch(srv.baseUrl + "/healthz");
    expect(r.status).toBe(200);
  });
});

describe("oversized header set", () => {
  /** Sends raw bytes and reads until the server closes the connection. */
  function rawExchange(text: string): Promise<string> {
    const u = new URL(srv.baseUrl);
    return new Promise((ok, fail) => {
      const sock = connect(Number(u.port), u.hostname);
      let out = "";
      sock.setEncoding("utf8");
      sock.on("data", (d: string) => (out += d));
      sock.on("end", () => ok(out));
      sock.on("close", () => ok(out));
      sock.on("error", (e) => (out ? ok(out) : fail(e)));
      sock.write(text);
    });
  }

  it("Node's 431 carries a problem+json body with code headers_too_large", async () => {
    const big = "x".repeat(40 * 1024);
    const res = await rawExchange(`GET /api/v1/decision-flows HTTP/1.1\r\nHost: localhost\r\nX-Big: ${big}\r\n\r\n`);
    const [head, body] = [res.slice(0, res.indexOf("\r\n\r\n")), res.slice(res.indexOf("\r\n\r\n") + 4)];
    expect(head.split("\r\n")[0]).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(head.toLowerCase()).toContain("content-type: application/problem+json");
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: "headers_too_large", title: expect.any(String), detail: expect.any(String), type: expect.stringContaining("headers-too-large") });
  });

  it("a malformed request line is a problem+json 400", async () => {
    const res = await rawExchange("NOT HTTP AT ALL\r\n\r\n");
    expect(res.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(JSON.parse(res.slice(res.indexOf("\r\n\r\n") + 4))).toMatchObject({ status: 400, code: "bad_request" });
  });
});
