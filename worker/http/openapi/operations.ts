/**
 * @module http/openapi/operations
 * Every operation of the API, keyed by operationId: the one list the document,
 * the route-coverage check, the contract tests and the typed client read.
 */
import type { OperationDef } from "./define.js";
import { platformOperations } from "./operations-platform.js";
import { tenantOperations } from "./operations-tenant.js";

export const operations = { ...platformOperations, ...tenantOperations };
export type Operations = typeof operations;
export type OperationId = keyof Operations;

/** The operations as a plain list (document order). */
export const operationList: readonly OperationDef[] = Object.values(operations);
