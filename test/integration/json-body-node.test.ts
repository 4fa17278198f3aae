/**
 * JSON bodies on the real Node gateway, both ways they are read: a body with a
 * declared Content-Length is read straight from Node's IncomingMessage (http/body
 * bodyText), a chunked one through the web Request. Both must give the same text
 * (UTF-8 split across packets, a BOM dropped), the same 413 over the limit, and a
 * client that goes away mid-body must be `client_closed` (499, info), never a 500.
 */
import { request } from "node:http";
import { join } from "node:path";
import Database from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { type SpawnedServer, spawnNodeServer } from "../helpers/server.js";

const LIMIT = 4096;
let srv: SpawnedServer;
let key = "";
let tenantId = "";

beforeAll(async () => {
  srv = await spawnNodeServer({ FAIRGATE_JSON_MAX_BYTES: String(LIMIT) });
  const http = createClient(srv.baseUrl);
  const t = await http.post("/api/v1/admin/tenants", srv.adminToken, { name: "json-body" });
  tenantId = t.body.id;
  const k = await http.post(`/api/v1/admin/tenants/${tenantId}/api-keys`, srv.adminToken, { principal: "op@json.test", roles: ["operator", "publisher"] });
  key = k.body.key;
  const definition = { offers: [{ id: "o", eligibility: [], model: { intercept: 2 }, minPropensity: 0.5 }], maxOffers: 1 };
  const f = await http.post("/api/v1/decision-flows", key, { key: "offers", name: "Offers", definition });
  expect((await http.post("/api/v1/decision-flows/publish", key, { id: f.body.id })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

/**
 * POSTs `parts` to recommend, one write each with a pause between (separate packets);
 * `declared` sends Content-Length, otherwise the body is chunked. `abortAfter` destroys
 * the request after that many parts instead of finishing it.
 */
function post(parts: Buffer[], opts: { declared: boolean; requestId?: string; abortAfter?: number }): Promise<{ status: number; body: any } | null> {
  const u = new URL(srv.baseUrl + "/api/v1/recommend");
  const total = parts.reduce((n, p) => n + p.length, 0);
  return new Promise((ok, fail) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "x-requested-with": "XMLHttpRequest",
        "content-type": "application/json",
        ...(opts.declared ? { "content-length": String(total) } : { "transfer-encoding": "chunked" }),
        ...(opts.requestId ? { "x-request-id": opts.requestId } : {}),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => ok({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    req.on("error", (e) => (opts.abortAfter === undefined ? fail(e) : ok(null)));
    req.on("close", () => opts.abortAfter !== undefined && ok(null));
    void (async () => {
      for (let i = 0; i < parts.length; i++) {
        if (opts.abortAfter === i) {
          req.destroy();
          return;
        }
        req.write(parts[i]);
        await new Promise((r) => setTimeout(r, 30));
      }
      req.end();
    })();
  });
}

/** A recommend body as bytes, cut into three parts with the middle cut inside a two-byte character. */
function splitBody(customerId: string, bom = false): Buffer[] {
  const json = Buffer.from(JSON.stringify({ customerId, decisionFlowKey: "offers", attributes: { tier: "gold" } }), "utf8");
  const bytes = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]) : json;
  const inChar = bytes.indexOf(Buffer.from("é", "utf8")) + 1;
  return [bytes.subarray(0, 5), bytes.subarray(5, inChar), bytes.subarray(inChar)];
}

function storedCustomerIds(): string[] {
  const db = new Database(join(srv.dataDir, "tenants", `${tenantId}.db`), { readonly: true });
  try {
    return (db.prepare("SELECT customer_id FROM decision_traces").all() as { customer_id: string }[]).map((r) => r.customer_id);
  } finally {
    db.close();
  }
}

describe("JSON bodies on Node, declared length and chunked", () => {
  it.each([true, false])("declared=%s: UTF-8 split across packets and a leading BOM are read exactly", async (declared) => {
    const id = `clé-${declared}-${crypto.randomUUID()}`;
    const r = await post(splitBody(id, true), { declared });
    expect(r?.status, JSON.stringify(r?.body)).toBe(200);
    expect(storedCustomerIds()).toContain(id);
  });

  it.each([true, false])("declared=%s: a body over the limit is 413 payload_too_large", async (declared) => {
    const big = Buffer.from(JSON.stringify({ customerId: "c", decisionFlowKey: "offers", attributes: { pad: "x".repeat(LIMIT) } }));
    const r = await post([big.subarray(0, 100), big.subarray(100)], { declared });
    expect(r?.status, JSON.stringify(r?.body)).toBe(413);
    expect(r?.body.code).toBe("payload_too_large");
  });

  it("a client that disconnects mid-body (declared length) is client_closed at info, not an error", async () => {
    const requestId = "json-abort-" + crypto.randomUUID();
    expect(await post(splitBody("é-abort"), { declared: true, requestId, abortAfter: 2 })).toBeNull();
    const logs = () => srv.logs.flatMap((l) => (l.includes(requestId) ? [JSON.parse(l) as Record<string, unknown>] : []));
    const until = Date.now() + 10_000;
    while (!logs().some((l) => l.msg === "request") && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    const mine = logs();
    expect(mine.find((l) => l.msg === "request")?.status, JSON.stringify(mine)).toBe(499);
    expect(mine.find((l) => l.msg === "client_closed")).toMatchObject({ level: "info" });
    for (const l of mine) expect(l.level, JSON.stringify(l)).not.toBe("error");
    expect(storedCustomerIds()).not.toContain("é-abort");
  });
});
