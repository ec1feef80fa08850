/**
 * GET /_matrix/federation/v1/openid/userinfo — https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1openiduserinfo
 * Not signed with X-Matrix: the caller is any third party holding an OpenID token.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";

export const federationOpenIdRoutes = ({ accounts: { openId } }: Services) =>
  new Elysia().get("/_matrix/federation/v1/openid/userinfo", ({ query }) => openId.userInfo(query.access_token), {
    query: t.Object({ access_token: t.Optional(t.String()) }),
  });
