/**
 * GET /_matrix/client/v3/pushrules/ — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrules
 * GET /_matrix/client/v3/pushrules/global/ — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3pushrulesglobal
 * The server-default ruleset, which clients read before their first /sync (matrix-js-sdk waits
 * for it). Rules of the user's own come with the push-rule write endpoints.
 */
import { Elysia } from "elysia";
import { renderPushRules } from "../../core";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const pushRulesRoutes = (services: Services) =>
  new Elysia()
    .use(clientAuth(services.accounts.tokens))
    .get("/_matrix/client/v3/pushrules/", ({ requester }) => ({ global: renderPushRules(requester.userId) }), { auth: true })
    .get("/_matrix/client/v3/pushrules/global/", ({ requester }) => renderPushRules(requester.userId), { auth: true });
