/**
 * The composition root: builds every area from the config, storage, clock and the threads
 * main.ts started, in dependency order, and returns them as nested areas. No globals, no
 * container: tests call it with a temporary database and a fake clock.
 *
 * A new area (media, e2ee, push, search, appservices, admin) is a folder with an `index.ts`
 * exporting `buildX(deps)`, and one line below.
 */
import type { Config } from "../config";
import type { PduCheckRunner, SigningKey, StateResolver } from "../core";
import type { Clock } from "../runtime/clock";
import type { Logger } from "../runtime/logger";
import type { Storage } from "../storage";
import { buildAccounts } from "./accounts";
import { buildAdmin } from "./admin";
import { buildAppservices } from "./appservices";
import type { AppserviceDelivery } from "./appservices/delivery";
import { createAppserviceQueries } from "./appservices/queries";
import { createAppserviceRegistry, type RegistrationFile } from "./appservices/registry";
import { buildDelayedEvents } from "./delayed-events";
import { buildE2ee } from "./e2ee";
import { buildEdus } from "./edus";
import { buildFederation } from "./federation";
import type { OutboundQueue } from "./federation/outbound/queue";
import { buildMedia } from "./media";
import type { ThumbnailRenderer } from "./media/thumbnails";
import { buildMembership } from "./membership";
import { buildPush } from "./push";
import { buildRelations } from "./relations";
import type { PushDelivery } from "./push/delivery";
import { createRateLimiter } from "./rate-limit";
import { buildReports } from "./reports";
import { buildRooms } from "./rooms";
import { buildSearch } from "./search";
import { buildSpaces } from "./spaces";
import { buildSync } from "./sync";
import { buildVoip } from "./voip";
import type { SharedDeps } from "./shared-deps";
import { createNotifier } from "./sync/notifier";

export interface ServiceDeps {
  config: Config;
  storage: Storage;
  clock: Clock;
  log: Logger;
  /** The server's signing key (`loadOrCreateSigningKey` in federation/keys). */
  signingKey: SigningKey;
  /** Where events and EDUs for other servers are queued: the federation sender worker's queue. */
  outbound: OutboundQueue;
  /** State resolution off the main thread (main.ts starts the pool; without it, inline). */
  stateResolver?: StateResolver;
  /** PDU checks off the main thread (main.ts starts the pool; without it, inline). */
  pduChecks?: PduCheckRunner;
  /** Makes thumbnails off the main thread (main.ts passes the thumbnail worker). */
  thumbnailer: ThumbnailRenderer;
  /** The appservice registration files main.ts read at start (`readAppserviceFiles`). */
  appserviceFiles?: readonly RegistrationFile[];
  /** Where pushes to gateways are delivered: the push sender worker (without it, they wait queued). */
  pushDelivery?: PushDelivery;
  /** Where transactions to appservices are delivered: the appservice sender worker (without it, they wait queued). */
  appserviceDelivery?: AppserviceDelivery;
}

export function buildServices(deps: ServiceDeps) {
  const { config, storage, clock, log, signingKey } = deps;
  // Shared by every area: request budgets, and the notifier that wakes long-polling /sync.
  const rateLimits = createRateLimiter(config.rate_limits, clock);
  const notifier = createNotifier(clock);
  const appserviceRegistry = createAppserviceRegistry({ config, storage, clock, log, files: deps.appserviceFiles });

  const shared: SharedDeps = { config, storage, clock, log, signingKey, rateLimits, notifier, appserviceRegistry };
  // Asked before an unknown local user or alias is reported unknown, by several areas.
  const appserviceQueries = createAppserviceQueries({ ...shared, delivery: deps.appserviceDelivery });

  const accounts = buildAccounts(shared);
  const rooms = buildRooms(shared);
  const edus = buildEdus({ ...shared, members: rooms.members, accountData: accounts.accountData });
  const push = buildPush({ ...shared, accounts, rooms, edus, delivery: deps.pushDelivery });
  const { outbound, stateResolver, pduChecks } = deps;
  const federation = buildFederation({ ...shared, rooms, edus, outbound, stateResolver, pduChecks, aliasQuery: appserviceQueries.aliasExists });
  const e2ee = buildE2ee({ ...shared, serverName: config.server_name, uia: accounts.uia, federation: federation.client, queueEdu: (to, edu) => outbound.queueEdu(to, edu) });
  const sync = buildSync({ ...shared, accounts, rooms, edus, push, e2ee });
  const membership = buildMembership({ ...shared, accountEvents: accounts.events, accountData: accounts.accountData, rooms, federation, push });
  const appservices = buildAppservices({ ...shared, rooms, edus, e2ee, queries: appserviceQueries, delivery: deps.appserviceDelivery });
  const media = buildMedia({ ...shared, thumbnailer: deps.thumbnailer, client: federation.client });
  const reports = buildReports(shared);
  const delayedEvents = buildDelayedEvents({ ...shared, rooms });
  const voip = buildVoip(shared);
  const admin = buildAdmin({ ...shared, accounts, rooms, membership, media });
  const relations = buildRelations({ ...shared, rooms });
  const search = buildSearch({ ...shared, accounts, rooms });
  const spaces = buildSpaces({ ...shared, rooms, federation });

  e2ee.followDevices(accounts);
  rooms.onCurrentStateChange(e2ee.membershipsChanged);
  e2ee.receiveEdus(federation.transactions);

  return { config, log, rateLimits, accounts, rooms, edus, push, federation, e2ee, sync, membership, appservices, media, reports, delayedEvents, voip, admin, relations, search, spaces };
}
export type Services = ReturnType<typeof buildServices>;
