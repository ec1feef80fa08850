/**
 * Server-side key backups:
 * POST   /_matrix/client/v3/room_keys/version — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3room_keysversion
 * GET    /_matrix/client/v3/room_keys/version — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keysversion
 * GET    /_matrix/client/v3/room_keys/version/{version} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3room_keysversionversion
 * PUT    /_matrix/client/v3/room_keys/version/{version} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keysversionversion
 * DELETE /_matrix/client/v3/room_keys/version/{version} — https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3room_keysversionversion
 * PUT/GET/DELETE /_matrix/client/v3/room_keys/keys — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeys
 * PUT/GET/DELETE /_matrix/client/v3/room_keys/keys/{roomId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeysroomid
 * PUT/GET/DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3room_keyskeysroomidsessionid
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import type { BackupScope } from "../../services/e2ee/key-backup";
import { clientAuth } from "../plugins/client-auth";

const VERSION = "/_matrix/client/v3/room_keys/version/:version";
const KEYS = ["/_matrix/client/v3/room_keys/keys", "/_matrix/client/v3/room_keys/keys/:roomId", "/_matrix/client/v3/room_keys/keys/:roomId/:sessionId"] as const;
const versionQuery = { query: t.Object({ version: t.String() }) };

/** The keys a path names: all of them (a path without parameters), a room's, or one session's. */
const scopeOf = (params: { roomId?: string; sessionId?: string } | undefined): BackupScope => ({ roomId: params?.roomId, sessionId: params?.sessionId });

export const roomKeysRoutes = ({ accounts: { tokens }, e2ee: { backup } }: Services) => {
  let app = new Elysia()
    .use(clientAuth(tokens))
    .post("/_matrix/client/v3/room_keys/version", ({ requester, body }) => backup.createVersion(requester.userId, body), { auth: true })
    .get("/_matrix/client/v3/room_keys/version", ({ requester }) => backup.getVersion(requester.userId), { auth: true })
    .get(VERSION, ({ requester, params }) => backup.getVersion(requester.userId, params.version), { auth: true })
    .put(VERSION, ({ requester, params, body }) => backup.updateVersion(requester.userId, params.version, body), { auth: true })
    .delete(VERSION, ({ requester, params }) => backup.deleteVersion(requester.userId, params.version), { auth: true });
  for (const path of KEYS) {
    app = app
      .put(path, ({ requester, params, query, body }) => backup.putKeys(requester.userId, query.version, { body, ...scopeOf(params) }), { auth: true, ...versionQuery })
      .get(path, ({ requester, params, query }) => backup.getKeys(requester.userId, query.version, scopeOf(params)), { auth: true, ...versionQuery })
      .delete(path, ({ requester, params, query }) => backup.deleteKeys(requester.userId, query.version, scopeOf(params)), { auth: true, ...versionQuery });
  }
  return app;
};
