/**
 * @module services/flows
 * Creating, editing, archiving and unarchiving decision flows; every change is
 * audited in the same batch. An archived flow is read-only: it keeps its versions,
 * traces and evaluations, serves nothing and is not edited or published.
 */
import { ConflictError, NotFoundError } from "../domain/errors.js";
import type { FlowDefinition } from "../domain/flow.js";
import type { FlowRecord } from "../store/tenant/flows.js";
import type { TenantStore } from "../store/tenant-store.js";
import { withActor } from "./audit.js";
import type { Actor, ServiceDeps } from "./context.js";

/** Public view of a flow (with its latest definition). */
export interface FlowView {
  id: string;
  key: string;
  name: string;
  status: FlowRecord["status"];
  version: number;
  activeVersion: number | null;
  createdAt: string;
  updatedAt: string;
  definition?: FlowDefinition;
}

export function flowView(f: FlowRecord, definition?: FlowDefinition): FlowView {
  return {
    id: f.id,
    key: f.key,
    name: f.name,
    status: f.status,
    version: f.latestVersion,
    activeVersion: f.activeVersion,
    createdAt: f.createdAt,
    updatedAt: f.updatedAt,
    ...(definition ? { definition } : {}),
  };
}

/** Creates a flow in draft with version 1. A duplicate key is a 409 (constraint). */
export async function createFlow(
  deps: ServiceDeps,
  store: TenantStore,
  actor: Actor,
  input: { key: string; name: string; definition: FlowDefinition },
): Promise<FlowView> {
  const now = deps.clock().toISOString();
  const flow: FlowRecord = {
    id: deps.newId(),
    key: input.key,
    name: input.name,
    status: "draft",
    latestVersion: 1,
    activeVersion: null,
    revision: 1,
    createdAt: now,
    updatedAt: now,
  };
  await store.write([
    ...store.flows.createStmts(flow, input.definition, actor.name),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "decision_flow",
        entityId: flow.id,
        action: "create",
        actor: actor.name,
        after: { key: flow.key, name: flow.name, status: flow.status, version: 1 },
        details: withActor({}, actor),
      },
      now,
    ),
  ]);
  return flowView(flow);
}

/**
 * Adds a new draft version; the active version keeps serving until the new one is published.
 * `details` joins the edit's audit row (e.g. the what-if change the version was made from).
 */
export async function editFlow(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string, definition: FlowDefinition, details: Record<string, unknown> = {}): Promise<FlowView> {
  const flow = await store.flows.get(id);
  if (!flow) throw new NotFoundError("decision flow");
  if (flow.status === "archived") throw archivedError();
  const now = deps.clock().toISOString();
  await store.write(
    [
      ...store.flows.newVersionStmts(flow, definition, actor.name, now),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "decision_flow",
          entityId: flow.id,
          action: "edit",
          actor: actor.name,
          before: { version: flow.latestVersion },
          after: { version: flow.latestVersion + 1 },
          details: withActor(details, actor),
        },
        now,
      ),
    ],
    "flow_modified",
  );
  return flowView({ ...flow, latestVersion: flow.latestVersion + 1, updatedAt: now, revision: flow.revision + 1 });
}

const archivedError = () => new ConflictError("flow_archived", "The decision flow is archived; unarchive it first.");

/**
 * Archives a flow (any status). An active flow stops serving at once (stored as
 * paused underneath); the audit row records the status and active version it had.
 */
export async function archiveFlow(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string): Promise<FlowView> {
  const flow = await store.flows.get(id);
  if (!flow) throw new NotFoundError("decision flow");
  if (flow.status === "archived") throw new ConflictError("flow_archived", "The decision flow is already archived.");
  const now = deps.clock().toISOString();
  await store.write(
    [
      ...store.flows.archiveStmts(flow, now),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "decision_flow",
          entityId: flow.id,
          action: "archive",
          actor: actor.name,
          before: { status: flow.status, activeVersion: flow.activeVersion },
          after: { status: "archived", activeVersion: flow.activeVersion },
          details: withActor({ wasServing: flow.status === "active" }, actor),
        },
        now,
      ),
    ],
    "flow_modified",
  );
  return flowView({ ...flow, status: "archived", revision: flow.revision + 1, updatedAt: now });
}

/** Unarchives a flow: back to draft, or paused if it was ever published (serving again takes a publish). */
export async function unarchiveFlow(deps: ServiceDeps, store: TenantStore, actor: Actor, id: string): Promise<FlowView> {
  const flow = await store.flows.get(id);
  if (!flow) throw new NotFoundError("decision flow");
  if (flow.status !== "archived") throw new ConflictError("flow_not_archived", `The decision flow is ${flow.status}, not archived.`);
  const now = deps.clock().toISOString();
  // Only a published flow has an active version; archiving paused it if it was serving.
  const status = flow.activeVersion !== null ? ("paused" as const) : ("draft" as const);
  await store.write(
    [
      ...store.flows.unarchiveStmts(flow, now),
      store.evidence.auditStmt(
        deps.newId(),
        {
          entityType: "decision_flow",
          entityId: flow.id,
          action: "unarchive",
          actor: actor.name,
          before: { status: "archived", activeVersion: flow.activeVersion },
          after: { status, activeVersion: flow.activeVersion },
          details: withActor({}, actor),
        },
        now,
      ),
    ],
    "flow_modified",
  );
  return flowView({ ...flow, status, revision: flow.revision + 1, updatedAt: now });
}
