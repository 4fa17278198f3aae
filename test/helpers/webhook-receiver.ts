/**
 * A real HTTP webhook receiver on 127.0.0.1 for alert tests: records every request
 * and lets the test decide each response (e.g. fail the first delivery).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

export interface WebhookReceiver {
  /** The hook URL (path /hook). */
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** Starts a receiver; `respond` answers each request after it is recorded. */
export async function startWebhookReceiver(respond: (res: ServerResponse) => void): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      respond(res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
