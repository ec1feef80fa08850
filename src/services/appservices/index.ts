/**
 * Wires the application services area (spec "Application Service API"): the registry of
 * appservices (files and run-time registrations).
 */
import type { SharedDeps } from "../shared-deps";

export type AppservicesDeps = Pick<SharedDeps, "appserviceRegistry">;

export function buildAppservices(deps: AppservicesDeps) {
  return {
    /** Which appservices exist; `list`, `register(yaml)` and `unregister(id)` serve the admin commands. */
    registry: deps.appserviceRegistry,
  };
}
export type Appservices = ReturnType<typeof buildAppservices>;
