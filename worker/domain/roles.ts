/**
 * @module domain/roles
 * Roles a principal can hold. What each role may call is declared per route.
 */
import { z } from "zod";

export const roleSchema = z.enum(["operator", "publisher", "admin", "approver", "auditor"]);
export type Role = z.infer<typeof roleSchema>;

/** The authenticated caller of a tenant route. */
export interface Principal {
  tenantId: string;
  /** Stable name of the person or system (e.g. an e-mail). Four-eyes checks compare this. */
  principal: string;
  keyId: string;
  roles: Role[];
}

/**
 * The roles in `wanted` that `held` lacks. A principal may hand out (create or
 * rotate a key with) only roles it holds itself; anything returned here would
 * be an escalation.
 */
export function rolesNotHeld(held: readonly Role[], wanted: readonly Role[]): Role[] {
  return wanted.filter((r) => !held.includes(r));
}
