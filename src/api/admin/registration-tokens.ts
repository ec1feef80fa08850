/**
 * Registration tokens of Synapse's admin API (https://element-hq.github.io/synapse/latest/usage/administration/admin_api/registration_tokens.html):
 * GET    /_synapse/admin/v1/registration_tokens          — `valid=true|false` narrows the list
 * POST   /_synapse/admin/v1/registration_tokens/new
 * GET    /_synapse/admin/v1/registration_tokens/{token}
 * PUT    /_synapse/admin/v1/registration_tokens/{token}
 * DELETE /_synapse/admin/v1/registration_tokens/{token}
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";
import { boolParam } from "./query";

const TOKENS = "/_synapse/admin/v1/registration_tokens";
const TOKEN = "/_synapse/admin/v1/registration_tokens/:token";
const Nullable = (s: ReturnType<typeof t.Number>) => t.Optional(t.Union([s, t.Null()]));

export const adminRegistrationTokenRoutes = ({ accounts: { tokens }, admin: { guard, registrationTokens } }: Services) =>
  new Elysia()
    .use(clientAuth(tokens))
    .get(
      TOKENS,
      ({ requester, query }) => {
        guard.authorize(requester, "list registration tokens");
        return registrationTokens.list(boolParam(query.valid, "valid"));
      },
      { auth: true, query: t.Object({ valid: t.Optional(t.String()) }) },
    )
    .post(
      `${TOKENS}/new`,
      ({ requester, body }) => {
        guard.authorize(requester, "create registration token", { uses_allowed: body.uses_allowed ?? null, expiry_time: body.expiry_time ?? null });
        return registrationTokens.create(body);
      },
      {
        auth: true,
        body: t.Object({ token: t.Optional(t.String()), uses_allowed: Nullable(t.Number()), expiry_time: Nullable(t.Number()), length: t.Optional(t.Number()) }),
      },
    )
    .get(
      TOKEN,
      ({ requester, params }) => {
        guard.authorize(requester, "query registration token");
        return registrationTokens.get(params.token);
      },
      { auth: true },
    )
    .put(
      TOKEN,
      ({ requester, params, body }) => {
        guard.authorize(requester, "update registration token", { changes: Object.keys(body) });
        return registrationTokens.update(params.token, body);
      },
      { auth: true, body: t.Object({ uses_allowed: Nullable(t.Number()), expiry_time: Nullable(t.Number()) }) },
    )
    .delete(
      TOKEN,
      ({ requester, params }) => {
        guard.authorize(requester, "delete registration token");
        registrationTokens.delete(params.token);
        return {};
      },
      { auth: true },
    );
