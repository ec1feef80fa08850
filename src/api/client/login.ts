/**
 * GET  /_matrix/client/v3/login — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3login
 * POST /_matrix/client/v3/login — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3login
 * POST /_matrix/client/v3/logout — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logout
 * POST /_matrix/client/v3/logout/all — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3logoutall
 * Password login (rate limited per client address), application services' login, and logout.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { LOGIN_FLOWS } from "../../services/accounts/users";
import { accessToken, clientAuth } from "../plugins/client-auth";
import { rateLimit } from "../plugins/rate-limit";
import { clientAddress } from "../http/request-context";

const LoginBody = t.Object({
  type: t.String(),
  identifier: t.Optional(t.Object({ type: t.String() }, { additionalProperties: true })),
  user: t.Optional(t.String()),
  password: t.Optional(t.String()),
  device_id: t.Optional(t.String()),
  initial_device_display_name: t.Optional(t.String()),
  refresh_token: t.Optional(t.Boolean()),
});

export const loginRoutes = ({ accounts: { users: accounts, tokens: auth }, config, rateLimits }: Services) => {
  // Sent only when the operator configured a client base URL: clients then reconfigure themselves.
  const wellKnown = config.well_known.client === undefined ? {} : { well_known: { "m.homeserver": { base_url: config.well_known.client } } };
  return new Elysia()
    .use(rateLimit(rateLimits))
    .use(clientAuth(auth))
    .get("/_matrix/client/v3/login", () => ({ flows: LOGIN_FLOWS }))
    .post(
      "/_matrix/client/v3/login",
      async ({ body, request, headers }) => ({
        ...(await accounts.login(
          {
            type: body.type,
            appserviceToken: accessToken(headers.authorization, request.url),
            identifier: body.identifier,
            user: body.user,
            password: body.password,
            deviceId: body.device_id,
            initialDeviceDisplayName: body.initial_device_display_name,
          },
          clientAddress(request),
        )),
        ...wellKnown,
      }),
      { body: LoginBody, rateLimit: "login" },
    )
    .post("/_matrix/client/v3/logout", ({ requester }) => {
      accounts.logout(requester);
      return {};
    }, { auth: true })
    .post("/_matrix/client/v3/logout/all", ({ requester }) => {
      accounts.logoutAll(requester);
      return {};
    }, { auth: true });
};
