/**
 * @module services/privacy
 * Privacy mode (policy `sensitiveAttributeStorage: "separate"`; EU AI Act Art. 10(5),
 * GDPR data minimisation): the sensitive attributes of a decision — the policy's
 * sensitive attributes and its LL144 attributes — are taken off the trace and
 * stored once per person under a pseudonymous customer key, HMAC-SHA-256 of the
 * customerId with a per-tenant secret. Evaluation joins them back in the store's
 * reads; no API returns them. Erasure deletes a person's values (audited by key,
 * never by customerId): later evaluations no longer count that person, stored
 * evaluations keep their aggregates.
 */
import type { Attributes } from "../domain/flow.js";
import { hmacSha256Hex, toHex } from "../domain/hex.js";
import { type FairnessPolicy, resolvePolicy } from "../domain/policy.js";
import type { TenantStore } from "../store/tenant-store.js";
import type { TraceRecord } from "../store/tenant/traces.js";
import type { InStatement } from "../store/sql.js";
import type { Actor, ServiceDeps } from "./context.js";

/** The attribute names privacy mode keeps off traces (null: the policy stores them on the trace). */
export function protectedNames(policy: FairnessPolicy | null): Set<string> | null {
  if (!policy || policy.sensitiveAttributeStorage !== "separate") return null;
  const names = new Set(resolvePolicy(policy).attributes);
  if (policy.ll144) {
    names.add(policy.ll144.sexAttribute);
    names.add(policy.ll144.raceAttribute);
  }
  return names;
}

/** The pseudonymous key of a customer. */
export function customerKeyOf(secret: string, customerId: string): Promise<string> {
  return hmacSha256Hex(secret, customerId);
}

/**
 * Rewrites traces for storage under the tenant's policy: in privacy mode each trace loses its
 * protected attributes and gets its customer key; returns the protected-attribute upserts to
 * commit in the same batch as the traces (never before them: nothing half-written). In trace mode it returns the traces unchanged and no statements.
 */
export async function separateProtected(
  deps: Pick<ServiceDeps, "clock">,
  store: TenantStore,
  traces: TraceRecord[],
  /** The policy, when the caller has just read it (recommend reads it with the flow); read here otherwise. */
  policy?: FairnessPolicy | null,
): Promise<{ traces: TraceRecord[]; stmts: InStatement[] }> {
  const names = protectedNames(policy === undefined ? await store.governance.getPolicy() : policy);
  if (!names) return { traces, stmts: [] };
  const now = deps.clock().toISOString();
  const secret = await store.protectedAttributes.secret(now);
  // One imported key for the whole batch (a bulk load may name 50,000 people); same digest as customerKeyOf.
  const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const keys = new Map<string, string>();
  // Per person, in trace order: the latest value of each attribute wins (as the upsert's json_patch does).
  const perPerson = new Map<string, Record<string, unknown>>();
  const out: TraceRecord[] = [];
  for (const t of traces) {
    let key = keys.get(t.customerId);
    if (key === undefined) {
      key = toHex(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(t.customerId)));
      keys.set(t.customerId, key);
    }
    const kept: Attributes = {};
    const held = perPerson.get(key) ?? {};
    for (const [name, v] of Object.entries(t.attributes)) {
      if (names.has(name)) {
        // An absent or null value leaves the stored one alone (json_patch would delete it on null).
        if (v !== null && v !== undefined) held[name] = v;
      } else kept[name] = v;
    }
    if (Object.keys(held).length) perPerson.set(key, held);
    out.push({ ...t, attributes: kept, customerKey: key });
  }
  const rows = [...perPerson].map(([customerKey, attributes]) => ({ customerKey, attributes }));
  return { traces: out, stmts: store.protectedAttributes.upsertStmts(rows, now) };
}

/** Erases one person's protected attributes (admin). Returns what was affected; audited by customer key. */
export async function eraseProtectedAttributes(
  deps: Pick<ServiceDeps, "clock" | "newId">,
  store: TenantStore,
  actor: Actor,
  customerId: string,
): Promise<{ erased: boolean; customerKey: string; traces: number }> {
  const now = deps.clock().toISOString();
  const key = await customerKeyOf(await store.protectedAttributes.secret(now), customerId);
  const before = await store.protectedAttributes.describe(key);
  await store.write([
    ...store.protectedAttributes.eraseStmts(key),
    store.evidence.auditStmt(
      deps.newId(),
      {
        entityType: "protected_attributes",
        entityId: key,
        action: "protected_attributes_erased",
        actor: actor.name,
        reason: "erasure of a person's protected attributes",
        details: { customerKey: key, hadStoredAttributes: before.stored, traces: before.traces, keyId: actor.keyId },
      },
      now,
    ),
  ]);
  return { erased: before.stored, customerKey: key, traces: before.traces };
}
