/**
 * GET    /_matrix/client/v3/profile/{userId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuserid
 * GET    /_matrix/client/v3/profile/{userId}/{keyName} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3profileuseridkeyname
 * PUT    /_matrix/client/v3/profile/{userId}/{keyName} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv3profileuseridkeyname
 * DELETE /_matrix/client/v3/profile/{userId}/{keyName} — https://spec.matrix.org/v1.19/client-server-api/#delete_matrixclientv3profileuseridkeyname
 * Profiles: readable by anyone, writable by their owner (`displayname`, `avatar_url`, `m.tz`, custom keys).
 * A user of another server is looked up on that server; an unknown local user in an appservice's
 * namespace is first asked of that appservice.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

const FIELD = "/_matrix/client/v3/profile/:userId/:keyName";

export const profileRoutes = ({ accounts: { profile, tokens: auth }, appservices, config, federation }: Services) => {
  /** Another server's user: their server is asked. */
  const remote = (userId: string) => federation.enabled && !userId.endsWith(`:${config.server_name}`);
  return new Elysia()
    .use(clientAuth(auth))
    .get("/_matrix/client/v3/profile/:userId", async ({ params }) => {
      if (remote(params.userId)) return federation.profiles.getProfile(params.userId);
      await appservices.queries.userExists(params.userId); // an appservice may create its user now
      return profile.getProfile(params.userId);
    })
    .get(FIELD, async ({ params }) => {
      if (remote(params.userId)) return federation.profiles.getProfile(params.userId, params.keyName);
      await appservices.queries.userExists(params.userId);
      return profile.getField(params.userId, params.keyName);
    })
    .put(
      FIELD,
      async ({ requester, params, body }) => {
        await profile.setField(requester, params.userId, params.keyName, body);
        return {};
      },
      { auth: true, body: t.Record(t.String(), t.Unknown()) },
    )
    .delete(
      FIELD,
      async ({ requester, params }) => {
        await profile.deleteField(requester, params.userId, params.keyName);
        return {};
      },
      { auth: true },
    );
};
