/**
 * POST /_matrix/client/v3/register — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3register
 * GET  /_matrix/client/v3/register/available — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3registeravailable
 * GET  /_matrix/client/v1/register/m.login.registration_token/validity — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1registermloginregistration_tokenvalidity
 * Account registration behind User-Interactive Authentication; application services register
 * their users with `type: m.login.application_service` and their as_token instead.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { accessToken } from "../plugins/client-auth";
import { rateLimit } from "../plugins/rate-limit";
import { clientAddress, requestContext } from "../http/request-context";
import { AuthDict } from "../schemas/auth-dict";

const RegisterBody = t.Object({
  auth: t.Optional(AuthDict),
  type: t.Optional(t.String()),
  username: t.Optional(t.String()),
  password: t.Optional(t.String()),
  device_id: t.Optional(t.String()),
  initial_device_display_name: t.Optional(t.String()),
  inhibit_login: t.Optional(t.Boolean()),
  guest_access_token: t.Optional(t.String()),
  // Refresh tokens are not issued: access tokens do not expire, which the spec allows.
  refresh_token: t.Optional(t.Boolean()),
});

export const registerRoutes = ({ accounts: { users: accounts }, rateLimits }: Services) =>
  new Elysia()
    .use(rateLimit(rateLimits))
    .post(
      "/_matrix/client/v3/register",
      ({ body, query, request, headers }) =>
        accounts.register(
          {
            kind: query.kind ?? "user",
            type: body.type,
            appserviceToken: accessToken(headers.authorization, request.url),
            username: body.username,
            password: body.password,
            deviceId: body.device_id,
            initialDeviceDisplayName: body.initial_device_display_name,
            inhibitLogin: body.inhibit_login,
            auth: body.auth,
            guestAccessToken: body.guest_access_token,
          },
          requestContext(request),
        ),
      {
        body: RegisterBody,
        query: t.Object({ kind: t.Optional(t.Union([t.Literal("user"), t.Literal("guest")])) }),
      },
    )
    .get("/_matrix/client/v3/register/available", ({ query }) => accounts.usernameAvailable(query.username), {
      query: t.Object({ username: t.String() }),
    })
    .get(
      "/_matrix/client/v1/register/m.login.registration_token/validity",
      ({ query, request }) => accounts.registrationTokenValidity(query.token, clientAddress(request)),
      { query: t.Object({ token: t.String() }) },
    );
