/**
 * GET  /_matrix/client/v3/account/whoami — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3accountwhoami
 * POST /_matrix/client/v3/account/password — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountpassword
 * POST /_matrix/client/v3/account/deactivate — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3accountdeactivate
 * The requester's own account; changing the password and deactivating need the password again (UIA),
 * except when an appservice deactivates a user of its namespace.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";
import { requestContext } from "../http/request-context";
import { AuthDict } from "../schemas/auth-dict";

export const accountRoutes = ({ accounts: { users: accounts, tokens: auth } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get(
      "/_matrix/client/v3/account/whoami",
      // An appservice acting as a user without naming a device has none to report.
      ({ requester }) => ({ user_id: requester.userId, ...(requester.deviceId === "" ? {} : { device_id: requester.deviceId }), is_guest: requester.isGuest }),
      { auth: true },
    )
    .post(
      "/_matrix/client/v3/account/password",
      async ({ body, requester, request }) => {
        const params = { newPassword: body.new_password, logoutDevices: body.logout_devices, auth: body.auth };
        await accounts.changePassword(requester, params, requestContext(request));
        return {};
      },
      {
        auth: true,
        body: t.Object({ new_password: t.String(), logout_devices: t.Optional(t.Boolean()), auth: t.Optional(AuthDict) }),
      },
    )
    .post(
      "/_matrix/client/v3/account/deactivate",
      ({ body, requester, request }) => accounts.deactivate(requester, body.auth, requestContext(request)),
      {
        auth: true,
        // `erase` is accepted: the profile, devices and tokens go either way; serving the user's past
        // events redacted to later joiners and servers is not done yet (docs/sytest.md lists it).
        body: t.Object({ auth: t.Optional(AuthDict), id_server: t.Optional(t.String()), erase: t.Optional(t.Boolean()) }),
      },
    );
