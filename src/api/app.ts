/**
 * Assembles the HTTP application: shared plugins first (logging, CORS, errors, body parsing), then
 * one route factory per spec area. `serve` puts it behind Bun.serve with TLS when configured.
 */
import { Elysia } from "elysia";
import type { Services } from "../services";
import { addressSource, rememberClientAddress, rememberSocket, type AddressSource } from "./http/request-context";
import { clientAuth } from "./plugins/client-auth";
import { cors } from "./plugins/cors";
import { errors } from "./plugins/errors";
import { jsonBody } from "./plugins/json-body";
import { requestLog, type RequestObserver } from "./plugins/request-log";
import { methodsByPath, modernPath, servesSpecPath } from "./http/route-table";
import { accountDataRoutes } from "./client/account-data";
import { filterRoutes } from "./client/filter";
import { presenceRoutes } from "./client/presence";
import { pushRulesRoutes } from "./client/push-rules";
import { pushersRoutes } from "./client/pushers";
import { readMarkersRoutes } from "./client/read-markers";
import { receiptsRoutes } from "./client/receipts";
import { syncRoutes } from "./client/sync";
import { slidingSyncRoutes } from "./client/sliding-sync";
import { legacySyncRoutes } from "./client/legacy-sync";
import { typingRoutes } from "./client/typing";
import { tagsRoutes } from "./client/tags";
import { versionsRoutes } from "./client/versions";
import { wellKnownRoutes } from "./client/well-known";
import { accountRoutes } from "./client/account";
import { capabilitiesRoutes } from "./client/capabilities";
import { devicesRoutes } from "./client/devices";
import { loginRoutes } from "./client/login";
import { appservicePingRoutes } from "./client/appservice-ping";
import { profileRoutes } from "./client/profile";
import { registerRoutes } from "./client/register";
import { rateLimit } from "./plugins/rate-limit";
import { serverAuth } from "./plugins/server-auth";
import { keyRoutes } from "./key/server-keys";
import { federationVersionRoutes } from "./federation/version";
import { federationQueryRoutes } from "./federation/query";
import { federationOpenIdRoutes } from "./federation/openid";
import { openIdRoutes } from "./client/openid";
import { threepidRoutes } from "./client/threepid";
import { federationTransactionRoutes } from "./federation/transactions";
import { federationEventRoutes } from "./federation/events";
import { federationMembershipRoutes } from "./federation/membership";
import { federationPublicRoomsRoutes } from "./federation/public-rooms";
import { roomsRoutes } from "./client/rooms";
import { roomEventsRoutes } from "./client/room-events";
import { relationsRoutes } from "./client/relations";
import { roomMembersRoutes } from "./client/room-members";
import { membershipRoutes } from "./client/membership";
import { directoryRoutes } from "./client/directory";
import { thirdPartyRoutes } from "./client/thirdparty";
import { mediaRoutes } from "./client/media";
import { federationMediaRoutes } from "./federation/media";
import { keysRoutes } from "./client/keys";
import { toDeviceRoutes } from "./client/to-device";
import { roomKeysRoutes } from "./client/room-keys";
import { dehydratedDeviceRoutes } from "./client/dehydrated-device";
import { federationUserKeysRoutes } from "./federation/user-keys";
import { reportsRoutes } from "./client/reports";
import { delayedEventsRoutes } from "./client/delayed-events";
import { voipRoutes } from "./client/voip";
import { adminServerRoutes } from "./admin/server";
import { adminUserRoutes } from "./admin/users";
import { accountRestrictionRoutes } from "./admin/account-restrictions";
import { adminRoomRoutes } from "./admin/rooms";
import { adminEventReportRoutes } from "./admin/event-reports";
import { adminRegistrationTokenRoutes } from "./admin/registration-tokens";
import { searchRoutes } from "./client/search";
import { userDirectoryRoutes } from "./client/user-directory";
import { adminMediaRoutes } from "./admin/media";
import { adminNoticeAndHistoryRoutes } from "./admin/notices-and-history";
import { spacesRoutes } from "./client/spaces";
import { federationHierarchyRoutes } from "./federation/hierarchy";

export function createApp(services: Services, observeRequest?: RequestObserver) {
  const { config, log } = services;
  let methodsFor = (_path: string): string[] => [];
  const app = new Elysia()
    .use(requestLog(log, observeRequest))
    .use(cors)
    .use(errors(log, (path) => methodsFor(path)))
    .use(jsonBody(config.max_request_size))
    .use(clientAuth(services.accounts.tokens))
    .use(rateLimit(services.rateLimits))
    .use(serverAuth(services.federation))
    .use(versionsRoutes((method, path) => servesSpecPath(methodsFor, method, path)))
    .use(wellKnownRoutes(config))
    .use(registerRoutes(services))
    .use(loginRoutes(services))
    .use(appservicePingRoutes(services))
    .use(accountRoutes(services))
    .use(devicesRoutes(services))
    .use(profileRoutes(services))
    .use(openIdRoutes(services))
    .use(threepidRoutes(services))
    .use(capabilitiesRoutes(services))
    .use(filterRoutes(services))
    .use(accountDataRoutes(services))
    .use(tagsRoutes(services))
    .use(syncRoutes(services))
    .use(slidingSyncRoutes(services))
    .use(legacySyncRoutes(services))
    .use(typingRoutes(services))
    .use(receiptsRoutes(services))
    .use(readMarkersRoutes(services))
    .use(presenceRoutes(services))
    .use(pushRulesRoutes(services))
    .use(pushersRoutes(services))
    .use(keyRoutes(services))
    .use(federationVersionRoutes())
    .use(federationQueryRoutes(services))
    .use(federationOpenIdRoutes(services))
    .use(federationTransactionRoutes(services))
    .use(federationEventRoutes(services))
    .use(federationMembershipRoutes(services))
    .use(federationPublicRoomsRoutes(services))
    .use(roomsRoutes(services))
    .use(roomEventsRoutes(services))
    .use(relationsRoutes(services))
    .use(roomMembersRoutes(services))
    .use(membershipRoutes(services))
    .use(directoryRoutes(services))
    .use(thirdPartyRoutes(services))
    .use(mediaRoutes(services))
    .use(federationMediaRoutes(services))
    .use(keysRoutes(services))
    .use(toDeviceRoutes(services))
    .use(roomKeysRoutes(services))
    .use(dehydratedDeviceRoutes(services))
    .use(federationUserKeysRoutes(services))
    .use(reportsRoutes(services))
    .use(delayedEventsRoutes(services))
    .use(voipRoutes(services))
    .use(adminServerRoutes())
    .use(adminUserRoutes(services))
    .use(accountRestrictionRoutes(services))
    .use(adminRoomRoutes(services))
    .use(adminEventReportRoutes(services))
    .use(adminRegistrationTokenRoutes(services))
    .use(searchRoutes(services))
    .use(userDirectoryRoutes(services))
    .use(adminMediaRoutes(services))
    .use(adminNoticeAndHistoryRoutes(services))
    .use(spacesRoutes(services))
    .use(federationHierarchyRoutes(services));
  methodsFor = methodsByPath(app.routes);
  return app;
}
export type App = ReturnType<typeof createApp>;

/** Bytes beyond twice the largest body we read before Bun itself cuts a request off. */
const BODY_LIMIT_MARGIN = 16 * 1024 * 1024;

export interface ServeOptions {
  hostname: string;
  port: number;
  maxRequestBodySize: number;
  tls?: { cert: string; key: string };
  /** Peers whose `X-Forwarded-For` names the client (reverse proxies); none when absent. */
  trustedProxies?: readonly string[];
}

/** Starts listening; legacy `r0` paths are rewritten to their `v3` names before routing. */
export function serve(app: App, opts: ServeOptions) {
  const handle = app.fetch;
  let addresses: AddressSource | undefined;
  return Bun.serve({
    hostname: opts.hostname,
    port: opts.port,
    // Bun answers an oversized body with a bare 413; a margin lets json-body and the upload routes
    // answer first with M_TOO_LARGE (they check the declared length and count bytes as they read,
    // while Bun counts what has arrived, which can run ahead of what was read).
    maxRequestBodySize: opts.maxRequestBodySize * 2 + BODY_LIMIT_MARGIN,
    tls: opts.tls,
    development: false,
    fetch(request, server) {
      addresses ??= addressSource(server, opts.trustedProxies ?? []);
      if (request.url.includes("/r0/")) {
        const url = new URL(request.url);
        const modern = modernPath(url.pathname);
        if (modern !== undefined) {
          url.pathname = modern;
          // Only the request Bun received knows its socket: take the address before rebuilding.
          const address = addresses.addressOf(request);
          const rebuilt = new Request(url.href, request);
          rememberClientAddress(rebuilt, address);
          rememberSocket(rebuilt, server, request);
          return handle(rebuilt);
        }
      }
      rememberClientAddress(request, addresses);
      rememberSocket(request, server);
      return handle(request);
    },
  });
}
