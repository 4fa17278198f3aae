/**
 * @module test/helpers/sqld
 * The real libSQL server helper lives with the dev tooling (scripts/sqld.ts, used by
 * `npm run dev:worker`); tests reach it here.
 */
export * from "../../scripts/sqld.js";
