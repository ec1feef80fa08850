/**
 * GET  /_matrix/client/v3/account/3pid — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3account3pid
 * POST /_matrix/client/v3/account/3pid (deprecated), /account/3pid/add, /account/3pid/bind
 * POST /_matrix/client/v3/account/3pid/delete, /account/3pid/unbind
 * POST /_matrix/client/v3/{register,account/password,account/3pid}/{email,msisdn}/requestToken
 *   — https://spec.matrix.org/v1.19/client-server-api/#adding-account-administrative-contact-information
 * Third-party identifiers. This server sends no email or SMS and talks to no identity server
 * (capabilities say `m.3pid_changes: false`), so no account has one: the list is empty, no
 * validation session can exist, and each call answers the spec's error for that instead of a 404.
 */
import { Elysia, t } from "elysia";
import type { Services } from "../../services";
import { identityServerNotTrusted, MatrixError } from "../../services/matrix-error";
import { clientAuth } from "../plugins/client-auth";
import { AuthDict } from "../schemas/auth-dict";

const ACCOUNT = "/_matrix/client/v3/account";

const noSession = () =>
  new MatrixError(400, "M_THREEPID_AUTH_FAILED", "No third-party identifier validation session exists: this server validates none");
const mediumNotSupported = (medium: string) =>
  new MatrixError(400, "M_THREEPID_MEDIUM_NOT_SUPPORTED", `This server sends no ${medium === "email" ? "email" : "SMS"}, so it cannot validate a third-party identifier`);

const Session = { client_secret: t.String(), sid: t.String() };
const Identifier = t.Object({ medium: t.String(), address: t.String(), id_server: t.Optional(t.String()) });
const EmailToken = t.Object({ client_secret: t.String(), email: t.String(), send_attempt: t.Integer() }, { additionalProperties: true });
const MsisdnToken = t.Object(
  { client_secret: t.String(), country: t.String(), phone_number: t.String(), send_attempt: t.Integer() },
  { additionalProperties: true },
);

const notFoundForReset = () => new MatrixError(400, "M_THREEPID_NOT_FOUND", "No account has this third-party identifier");

export const threepidRoutes = ({ accounts: { tokens: auth } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get(`${ACCOUNT}/3pid`, () => ({ threepids: [] }), { auth: true })
    .post(`${ACCOUNT}/3pid/add`, () => { throw noSession(); }, {
      auth: true,
      body: t.Object({ ...Session, auth: t.Optional(AuthDict) }),
    })
    .post(`${ACCOUNT}/3pid/bind`, () => { throw identityServerNotTrusted(); }, {
      auth: true,
      body: t.Object({ ...Session, id_server: t.String(), id_access_token: t.String() }),
    })
    .post(`${ACCOUNT}/3pid`, () => { throw noSession(); }, {
      auth: true,
      body: t.Object({ three_pid_creds: t.Object(Session, { additionalProperties: true }), bind: t.Optional(t.Boolean()) }),
    })
    // Nothing is stored or bound, so removing is already done; no identity server was asked.
    .post(`${ACCOUNT}/3pid/delete`, () => ({ id_server_unbind_result: "no-support" }), { auth: true, body: Identifier })
    .post(`${ACCOUNT}/3pid/unbind`, () => ({ id_server_unbind_result: "no-support" }), { auth: true, body: Identifier })
    .post("/_matrix/client/v3/register/email/requestToken", () => { throw mediumNotSupported("email"); }, { body: EmailToken })
    .post("/_matrix/client/v3/register/msisdn/requestToken", () => { throw mediumNotSupported("msisdn"); }, { body: MsisdnToken })
    .post(`${ACCOUNT}/3pid/email/requestToken`, () => { throw mediumNotSupported("email"); }, { body: EmailToken })
    .post(`${ACCOUNT}/3pid/msisdn/requestToken`, () => { throw mediumNotSupported("msisdn"); }, { body: MsisdnToken })
    // A password reset looks the address up first, and no account has one.
    .post(`${ACCOUNT}/password/email/requestToken`, () => { throw notFoundForReset(); }, { body: EmailToken })
    .post(`${ACCOUNT}/password/msisdn/requestToken`, () => { throw notFoundForReset(); }, { body: MsisdnToken });
