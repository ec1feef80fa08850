/**
 * Wires the application services area (spec "Application Service API"): the registry of
 * appservices (files and run-time registrations), what each is sent (the outbox, delivered by the
 * appservice sender worker through `delivery`; without it items wait queued), and the questions
 * asked of them (user and alias queries, pings, third-party network lookups).
 */
import type { Registration } from "../../core";
import type { E2ee } from "../e2ee";
import type { Edus } from "../edus";
import type { Rooms } from "../rooms";
import type { SharedDeps } from "../shared-deps";
import type { AppserviceDelivery } from "./delivery";
import { createAppserviceOutbox } from "./outbox";
import type { AppserviceQueries } from "./queries";
import { createThirdPartyLookup } from "./third-party";

export interface AppservicesDeps extends Pick<SharedDeps, "config" | "storage" | "clock" | "log" | "appserviceRegistry"> {
  rooms: Rooms;
  edus: Edus;
  e2ee: E2ee;
  /** Built before the areas that ask appservices about unknown names (`createAppserviceQueries`). */
  queries: AppserviceQueries;
  delivery?: AppserviceDelivery;
}

/** Queues items but never sends them: for services built without the worker (tests, tools). */
const undelivered: AppserviceDelivery = { wakeLater: () => {}, registrationsChanged: () => {} };

export function buildAppservices(deps: AppservicesDeps) {
  const registry = deps.appserviceRegistry;
  const delivery = deps.delivery ?? undelivered;
  const outbox = createAppserviceOutbox({ ...deps, delivery });
  outbox.follow();
  const registrations = (): Registration[] => registry.all().map((as) => as.registration);
  delivery.registrationsChanged(registrations());
  registry.onChange(() => delivery.registrationsChanged(registrations()));

  return {
    /** Which appservices exist; `list`, `register(yaml)` and `unregister(id)` serve the admin commands. */
    registry,
    queries: deps.queries,
    /** The protocols the bridges speak, and users and locations looked up on them. */
    thirdParty: createThirdPartyLookup(deps),
  };
}
export type Appservices = ReturnType<typeof buildAppservices>;
