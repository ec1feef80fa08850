/**
 * Wires the reports area: what users report of events, rooms and users (spec "Reporting
 * content"), stored for the admins (`storage.reports`).
 */
import type { SharedDeps } from "../shared-deps";
import { createContentReports } from "./content-reports";

export type ReportsDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "rateLimits">;

export function buildReports(deps: ReportsDeps) {
  const { config, storage, clock, rateLimits } = deps;
  return { content: createContentReports({ storage, clock, rateLimits, serverName: config.server_name }) };
}
export type Reports = ReturnType<typeof buildReports>;
