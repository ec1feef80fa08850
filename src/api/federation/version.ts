/**
 * GET /_matrix/federation/v1/version — the implementation's name and version (no authentication).
 * https://spec.matrix.org/v1.19/server-server-api/#get_matrixfederationv1version
 */
import { Elysia } from "elysia";
import pkg from "../../../package.json" with { type: "json" };

export const federationVersionRoutes = () =>
  new Elysia().get("/_matrix/federation/v1/version", () => ({ server: { name: "conduit", version: pkg.version } }));
