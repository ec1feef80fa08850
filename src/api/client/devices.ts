/**
 * GET    /_matrix/client/v3/devices — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devices
 * GET    /_matrix/client/v3/devices/{deviceId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3devicesdeviceid
 * PUT    /_matrix/client/v3/devices/{deviceId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3devicesdeviceid
 * DELETE /_matrix/client/v3/devices/{deviceId} — https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3devicesdeviceid
 * POST   /_matrix/client/v3/delete_devices — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3delete_devices
 * The requester's own devices; deleting needs the password again (UIA).
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";
import { requestContext } from "../http/request-context";
import { AuthDict } from "../schemas/auth-dict";

const DEVICE = "/_matrix/client/v3/devices/:deviceId";

export const devicesRoutes = ({ accounts: { devices, tokens: auth } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get("/_matrix/client/v3/devices", ({ requester }) => devices.listDevices(requester), { auth: true })
    .get(DEVICE, ({ requester, params }) => devices.getDevice(requester, params.deviceId), { auth: true })
    .put(
      DEVICE,
      ({ requester, params, body }) => {
        devices.updateDevice(requester, params.deviceId, body.display_name);
        return {};
      },
      { auth: true, body: t.Object({ display_name: t.Optional(t.String()) }) },
    )
    .delete(
      DEVICE,
      async ({ requester, params, body, request }) => {
        await devices.deleteDevice(requester, params.deviceId, body?.auth, requestContext(request));
        return {};
      },
      { auth: true, body: t.Optional(t.Object({ auth: t.Optional(AuthDict) })) },
    )
    .post(
      "/_matrix/client/v3/delete_devices",
      async ({ requester, body, request }) => {
        await devices.deleteDevices(requester, body.devices, body.auth, requestContext(request));
        return {};
      },
      { auth: true, body: t.Object({ devices: t.Array(t.String()), auth: t.Optional(AuthDict) }) },
    );
