/**
 * The acceptance story against the real Node gateway process over real HTTP,
 * plus graceful-shutdown behaviour.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../helpers/client.js";
import { spawnNodeServer, type SpawnedServer } from "../helpers/server.js";
import { acceptanceStory } from "./story.case.js";

let server: SpawnedServer;
beforeAll(async () => {
  server = await spawnNodeServer();
});
afterAll(async () => {
  await server?.stop();
});

acceptanceStory("node", () => server);

describe("[node] operational basics", () => {
  it("answers health, readiness, request ids and structured logs without secrets", async () => {
    const http = createClient(server.baseUrl);
    const r = await http.request("GET", "/healthz", { headers: { "x-request-id": "req-abcdef123" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("x-request-id")).toBe("req-abcdef123");
    // The gateway writes its log lines once per event-loop turn: the line may arrive just after the answer.
    const logged = () => server.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).some((l) => l.requestId === "req-abcdef123" && l.msg === "request");
    await expect.poll(logged, { timeout: 10_000 }).toBe(true);
    const all = server.logs.join("\n");
    expect(all).not.toContain(server.adminToken);
    expect(all).not.toContain("fgk_");
    expect(all).not.toContain("65+");
  });
});
