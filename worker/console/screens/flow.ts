/**
 * @module console/screens/flow
 * (being built)
 */
import type { ConsoleApp } from "../types.js";

export function registerFlowScreen(_app: ConsoleApp): void {}
