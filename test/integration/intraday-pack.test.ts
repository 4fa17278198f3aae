/**
 * The 15-minute sweep packs the current day as it goes (services/pack intraday): through
 * the real cron route, a tenant's traces older than the lag are packed into a segment of
 * today once there are enough of them, younger ones stay in the tail, and the next day's
 * pack packs the pieces anew in one segment. The gate's verdict is the same throughout
 * (the tables do not depend on packing), and the pack route reports what it did.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateFlow } from "../../worker/services/evaluate.js";
import { INTRADAY_LAG_MS, INTRADAY_MIN_ROWS } from "../../worker/services/pack.js";
import { createInProcessApp, inProcessClient, type InProcessApp } from "../helpers/in-process.js";
import { type Api, bulk, createFlow, createTenant, fairLines, openTenantDb, PLATINUM_FLOW, policy, type TenantFixture } from "./_support.js";

const DAY = 86_400_000;
let nowMs = Date.parse("2031-06-02T09:00:00.000Z");
const clock = () => new Date(nowMs);

let app: InProcessApp;
let api: Api;
let T: TenantFixture;

const sweep = () => api.request("GET", "/api/v1/cron/fairness-recheck?job=expiry-sweep", { headers: { authorization: `Bearer ${app.cronSecret}` } });
/** The gate's evaluation of the flow's version 1 now (the one evaluation path, as a publish runs it). */
const evaluate = async () => {
  const { store } = await app.deps.tenants.get((await app.deps.control.getTenant(T.id))!);
  return (await evaluateFlow(app.deps, store, (await store.flows.getByKey("platinum"))!, 1, "publish")).evaluation;
};
const segmentsByDay = async () =>
  (await openTenantDb(app, T.id).execute("SELECT day, count(*) AS n, sum(row_count) AS rows FROM trace_segments GROUP BY day ORDER BY day")).rows.map((r) => ({ day: Number(r.day), n: Number(r.n), rows: Number(r.rows) }));
const unpacked = async () => Number((await openTenantDb(app, T.id).execute("SELECT count(*) AS n FROM decision_traces WHERE segment_id IS NULL")).rows[0]!.n);

beforeAll(async () => {
  app = await createInProcessApp({ clock, alertDelivery: "off" });
  api = inProcessClient(app);
  T = await createTenant(app, "intraday");
  expect((await api.request("PUT", "/api/v1/tenant-settings", { token: T.keys.admin, body: policy() })).status).toBe(200);
  await createFlow(api, T.keys.publisher, "platinum", PLATINUM_FLOW);
}, 60_000);
afterAll(() => app?.close());

describe("intraday packing", () => {
  it("the sweep packs today's traces older than the lag once there are enough, and the next day packs the pieces anew", async () => {
    const today = Math.floor(nowMs / DAY);
    // Below the threshold: the sweep leaves them in the tail.
    expect((await bulk(api, T.keys.operator, fairLines("platinum", 100))).status).toBe(201);
    nowMs += INTRADAY_LAG_MS + 60_000;
    let r = await sweep();
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.packed.find((p: { tenantId: string }) => p.tenantId === T.id)).toMatchObject({ status: "packed", segments: 0 });
    expect(await segmentsByDay()).toEqual([]);
    const first = await evaluate();
    // Enough of them, older than the lag: packed into a segment of today; newer ones stay unpacked.
    expect((await bulk(api, T.keys.operator, fairLines("platinum", INTRADAY_MIN_ROWS / 2))).status).toBe(201);
    nowMs += INTRADAY_LAG_MS + 60_000;
    expect((await bulk(api, T.keys.operator, fairLines("platinum", 10))).status).toBe(201);
    nowMs += 1_000; // the window is [from, now): traces stamped "now" are the next window's
    r = await sweep();
    expect(r.body.packed.find((p: { tenantId: string }) => p.tenantId === T.id)).toMatchObject({ status: "packed", segments: 1, traces: 200 + INTRADAY_MIN_ROWS });
    expect(await segmentsByDay()).toEqual([{ day: today, n: 1, rows: 200 + INTRADAY_MIN_ROWS }]);
    expect(await unpacked()).toBe(20);
    const second = await evaluate();
    expect(second.sampleSize).toBe(first.sampleSize + INTRADAY_MIN_ROWS + 20);
    // More of today, packed in a second piece.
    expect((await bulk(api, T.keys.operator, fairLines("platinum", INTRADAY_MIN_ROWS / 2))).status).toBe(201);
    nowMs += INTRADAY_LAG_MS + 60_000;
    r = await sweep();
    expect((await segmentsByDay())[0]).toMatchObject({ day: today, n: 2 });
    // Tomorrow: the rest of the day is packed and the day is packed anew in one segment.
    nowMs = (today + 1) * DAY + 60_000;
    const pack = await api.request("POST", "/api/v1/decision-traces/pack", { token: T.keys.operator });
    expect(pack.status, JSON.stringify(pack.body)).toBe(200);
    expect(pack.body.compactedDays).toBe(1);
    expect(await segmentsByDay()).toEqual([{ day: today, n: 1, rows: 200 + 2 * INTRADAY_MIN_ROWS + 20 }]);
    expect(await unpacked()).toBe(0);
    const third = await evaluate();
    expect(third.sampleSize).toBe(200 + 2 * INTRADAY_MIN_ROWS + 20);
    expect(third.results).toEqual((await evaluate()).results);
  }, 120_000);
});
