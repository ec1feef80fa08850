/**
 * Other servers asking for this server's users' devices and keys:
 * GET  /_matrix/federation/v1/user/devices/{userId} — https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1userdevicesuserid
 * POST /_matrix/federation/v1/user/keys/query — https://spec.matrix.org/v1.19/server-server-api/#post_matrixfederationv1userkeysquery
 * POST /_matrix/federation/v1/user/keys/claim — https://spec.matrix.org/v1.19/server-server-api/#post_matrixfederationv1userkeysclaim
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { serverAuth } from "../plugins/server-auth";

export const federationUserKeysRoutes = ({ federation, e2ee: { queries } }: Services) =>
  new Elysia()
    .use(serverAuth(federation))
    .get("/_matrix/federation/v1/user/devices/:userId", ({ params }) => queries.userDevices(params.userId), { federation: true })
    .post("/_matrix/federation/v1/user/keys/query", ({ body }) => queries.federationQuery(body), { federation: true })
    .post("/_matrix/federation/v1/user/keys/claim", ({ body }) => queries.federationClaim(body), { federation: true });
