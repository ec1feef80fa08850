/**
 * GET /_matrix/client/v1/admin/lock/{userId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1adminlockuserid
 * PUT /_matrix/client/v1/admin/lock/{userId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv1adminlockuserid
 * GET /_matrix/client/v1/admin/suspend/{userId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv1adminsuspenduserid
 * PUT /_matrix/client/v1/admin/suspend/{userId} — https://spec.matrix.org/v1.19/client-server-api/#put_matrixclientv1adminsuspenduserid
 * GET /_matrix/client/v3/admin/whois/{userId} — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3adminwhoisuserid
 * The spec's server administration endpoints (since v1.18 for locking and suspension, MSC4323):
 * server admins only, local users only; whois also answers users about themselves.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const accountRestrictionRoutes = ({ accounts: { tokens }, admin: { guard, users } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      "/_matrix/client/v1/admin/lock/:userId",
      ({ requester, params }) => {
        guard.authorize(requester, "query lock", { user_id: params.userId });
        return { locked: users.restriction(params.userId, "locked") };
      },
      { auth: true },
    )
    .put(
      "/_matrix/client/v1/admin/lock/:userId",
      ({ requester, params, body }) => {
        guard.authorize(requester, body.locked ? "lock" : "unlock", { user_id: params.userId });
        users.setRestriction(params.userId, "locked", body.locked);
        return { locked: body.locked };
      },
      { auth: true, body: t.Object({ locked: t.Boolean() }) },
    )
    .get(
      "/_matrix/client/v1/admin/suspend/:userId",
      ({ requester, params }) => {
        guard.authorize(requester, "query suspension", { user_id: params.userId });
        return { suspended: users.restriction(params.userId, "suspended") };
      },
      { auth: true },
    )
    .put(
      "/_matrix/client/v1/admin/suspend/:userId",
      ({ requester, params, body }) => {
        guard.authorize(requester, body.suspended ? "suspend" : "unsuspend", { user_id: params.userId });
        users.setRestriction(params.userId, "suspended", body.suspended);
        return { suspended: body.suspended };
      },
      { auth: true, body: t.Object({ suspended: t.Boolean() }) },
    )
    .get(
      "/_matrix/client/v3/admin/whois/:userId",
      ({ requester, params }) => {
        if (params.userId !== requester.userId) guard.authorize(requester, "whois", { user_id: params.userId });
        return users.whois(params.userId);
      },
      { auth: true },
    );
