/**
 * GET /_synapse/admin/v1/server_version — https://element-hq.github.io/synapse/latest/admin_api/version_api.html
 * What admin tools read first to know whom they talk to; no token needed, as in Synapse.
 */
import { Elysia } from "elysia";
import pkg from "../../../package.json" with { type: "json" };

export const adminServerRoutes = () =>
  new Elysia().get("/_synapse/admin/v1/server_version", () => ({ server_version: `conduit ${pkg.version}` }));
