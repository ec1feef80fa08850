/**
 * POST /_matrix/client/v3/user_directory/search — https://spec.matrix.org/v1.19/client-server-api/#post_matrixclientv3user_directorysearch
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const userDirectoryRoutes = ({ accounts, search }: Services) =>
  new Elysia()
    .use(clientAuth(accounts.tokens))
    .post("/_matrix/client/v3/user_directory/search", ({ requester, body }) => search.userDirectory.search(requester, body), { auth: true });
