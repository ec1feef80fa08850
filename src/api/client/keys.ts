/**
 * POST /_matrix/client/v3/keys/upload — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysupload
 * POST /_matrix/client/v3/keys/query — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysquery
 * POST /_matrix/client/v3/keys/claim — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysclaim
 * GET  /_matrix/client/v3/keys/changes — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3keyschanges
 * POST /_matrix/client/v3/keys/device_signing/upload — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keysdevice_signingupload
 * POST /_matrix/client/v3/keys/signatures/upload — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3keyssignaturesupload
 * (the two cross-signing uploads also under /_matrix/client/unstable/, their MSC1756 home)
 * Bodies are checked field by field by the E2EE services, which name the field they refuse.
 */
import { Elysia, t } from "elysia";
import { roomEventsPosition } from "../../core";
import type { Services } from "../../services";
import { invalidParam } from "../../services/matrix-error";
import { requestContext } from "../http/request-context";
import { clientAuth } from "../plugins/client-auth";
import type { Requester } from "../../services/accounts/access-tokens";

export function keysRoutes({ accounts: { tokens }, e2ee, sync: { sync } }: Services) {
  type Authed = { requester: Requester; body: unknown; request: Request };
  const uploadKeys = ({ requester, body, request }: Authed) => e2ee.crossSigning.uploadKeys(requester, body, requestContext(request));
  const uploadSignatures = ({ requester, body }: Authed) => e2ee.crossSigning.uploadSignatures(requester, body);
  return new Elysia()
    .use(clientAuth(tokens))
    .post("/_matrix/client/v3/keys/upload", ({ requester, body }) => e2ee.deviceKeys.upload(requester.userId, requester.deviceId, body), {
      auth: true,
    })
    .post("/_matrix/client/v3/keys/query", ({ requester, body }) => e2ee.queries.query(requester.userId, body), { auth: true })
    .post("/_matrix/client/v3/keys/claim", ({ body }) => e2ee.queries.claim(body), { auth: true })
    .get(
      "/_matrix/client/v3/keys/changes",
      ({ requester, query }) => {
        // The two sync tokens, read as the positions the device-list section is computed between.
        const positions = (raw: string) => {
          const token = sync.parseToken(raw);
          if (!token) throw invalidParam("from and to must be sync tokens");
          return { events: roomEventsPosition(token), deviceLists: sync.positionIn(token, "device_lists") ?? 0 };
        };
        return e2ee.changes.section(requester.userId, positions(query.from), positions(query.to));
      },
      { auth: true, query: t.Object({ from: t.String(), to: t.String() }) },
    )
    // Both also answer under `unstable`, where MSC1756 put them and older clients still call them.
    .post("/_matrix/client/v3/keys/device_signing/upload", uploadKeys, { auth: true })
    .post("/_matrix/client/unstable/keys/device_signing/upload", uploadKeys, { auth: true })
    .post("/_matrix/client/v3/keys/signatures/upload", uploadSignatures, { auth: true })
    .post("/_matrix/client/unstable/keys/signatures/upload", uploadSignatures, { auth: true });
}
