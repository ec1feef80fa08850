/**
 * Dehydrated devices (MSC3814, as matrix-js-sdk and Element use it):
 * GET/PUT/DELETE /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device
 * GET  /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/{deviceId}/events?from=
 * POST /_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device/{deviceId}/events ({next_batch}, the proposal's earlier form)
 * https://github.com/matrix-org/matrix-spec-proposals/pull/3814
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

const BASE = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device";

export const dehydratedDeviceRoutes = ({ accounts: { tokens }, e2ee: { dehydrated, toDevice } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(BASE, ({ requester }) => dehydrated.get(requester.userId), { auth: true })
    .put(BASE, ({ requester, body }) => dehydrated.put(requester.userId, body), { auth: true })
    .delete(BASE, ({ requester }) => dehydrated.delete(requester.userId), { auth: true })
    .get(`${BASE}/:deviceId/events`, ({ requester, params, query }) => toDevice.dehydratedEvents(requester.userId, params.deviceId, query.from), {
      auth: true,
      query: t.Object({ from: t.Optional(t.String()) }),
    })
    .post(
      `${BASE}/:deviceId/events`,
      ({ requester, params, body }) => {
        const from = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).next_batch : undefined;
        return toDevice.dehydratedEvents(requester.userId, params.deviceId, from);
      },
      { auth: true },
    );
