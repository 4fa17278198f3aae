/**
 * @module console/types
 * The console's request context: everything the API's tenant routes have (principal,
 * tenant handle, logger — so the same role checks and services apply unchanged) plus
 * the session's CSRF token, which every form on a page carries back.
 */
import type { Hono } from "hono";
import type { AppVariables } from "../http/types.js";

export interface ConsoleVariables extends AppVariables {
  /** Derived from the session id; never stored, so a read of the session table cannot forge it. */
  csrfToken: string;
}

export type ConsoleEnv = { Variables: ConsoleVariables };
export type ConsoleApp = Hono<ConsoleEnv>;
