/**
 * GET /_matrix/client/v3/thirdparty/protocols — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyprotocols
 * GET /_matrix/client/v3/thirdparty/protocol/{protocol} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyprotocolprotocol
 * GET /_matrix/client/v3/thirdparty/location/{protocol} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartylocationprotocol
 * GET /_matrix/client/v3/thirdparty/user/{protocol} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyuserprotocol
 * GET /_matrix/client/v3/thirdparty/location — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartylocation
 * GET /_matrix/client/v3/thirdparty/user — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3thirdpartyuser
 * Third-party networks as the bridging appservices describe them; the answers are theirs.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

const PREFIX = "/_matrix/client/v3/thirdparty";

/** The query as the client sent it, for the appservices: search fields are free-form, only the token stays here. */
function passedOn(request: Request): URLSearchParams {
  const query = new URL(request.url).searchParams;
  query.delete("access_token");
  return query;
}

export const thirdPartyRoutes = ({ accounts: { tokens }, appservices: { thirdParty } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(`${PREFIX}/protocols`, () => thirdParty.protocols(), { auth: true })
    .get(`${PREFIX}/protocol/:protocol`, ({ params }) => thirdParty.protocol(params.protocol), { auth: true })
    .get(`${PREFIX}/location/:protocol`, ({ params, request }) => thirdParty.lookup("location", params.protocol, passedOn(request)), { auth: true })
    .get(`${PREFIX}/user/:protocol`, ({ params, request }) => thirdParty.lookup("user", params.protocol, passedOn(request)), { auth: true })
    .get(`${PREFIX}/location`, ({ request }) => thirdParty.reverseLookup("location", passedOn(request)), { auth: true, query: t.Object({ alias: t.String() }) })
    .get(`${PREFIX}/user`, ({ request }) => thirdParty.reverseLookup("user", passedOn(request)), { auth: true, query: t.Object({ userid: t.String() }) });
