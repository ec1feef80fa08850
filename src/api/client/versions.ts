/**
 * GET /_matrix/client/versions — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions
 * The spec versions whose endpoints this server implements, and the unstable features it offers.
 */
import { Elysia } from "elysia";

/** Each version is listed once the endpoints it introduced exist here. */
export const supportedVersions = [
  "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
  "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19",
];

/**
 * Unstable features that exist here: dehydrated devices (MSC3814), cross-signing for clients older
 * than v1.1, and for Element Call delayed events (MSC4140), MatrixRTC transports (MSC4143) and
 * `state_after` under its unstable names (MSC4222).
 */
const unstableFeatures = {
  "org.matrix.msc3814": true, "org.matrix.e2e_cross_signing": true,
  "org.matrix.msc4140": true, "org.matrix.msc4143": true, "org.matrix.msc4222": true,
};

const body = JSON.stringify({ versions: supportedVersions, unstable_features: unstableFeatures });

export const versionsRoutes = () =>
  new Elysia().get("/_matrix/client/versions", ({ set }) => {
    set.headers["content-type"] = "application/json";
    return body;
  });
