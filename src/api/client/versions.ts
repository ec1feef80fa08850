/**
 * GET /_matrix/client/versions — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientversions
 * The spec versions whose endpoints this server implements, and the unstable features it offers.
 */
import { Elysia } from "elysia";

const allVersions = [
  "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
  "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19",
];

/**
 * Endpoints a version introduced that clients call only because the server lists that version
 * (matrix-js-sdk, for one, reads server-side threads from v1.4 and room summaries from v1.15). A
 * version is listed only while its endpoints here are served, so clients fall back instead of
 * meeting a 404; everything else a version added is picked by capabilities or tried and handled.
 */
const selectedByVersion: Record<string, readonly string[]> = {
  "v1.3": ["GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}"],
  "v1.4": ["GET /_matrix/client/v1/rooms/{roomId}/threads"],
  "v1.15": ["GET /_matrix/client/v1/room_summary/{roomIdOrAlias}"],
};

/**
 * Unstable features that exist here: dehydrated devices (MSC3814), cross-signing for clients older
 * than v1.1, for Element Call delayed events (MSC4140), MatrixRTC transports (MSC4143) and
 * `state_after` under its unstable names (MSC4222), and simplified sliding sync (MSC4186).
 */
const unstableFeatures = {
  "org.matrix.msc3814": true, "org.matrix.e2e_cross_signing": true,
  "org.matrix.msc4140": true, "org.matrix.msc4143": true, "org.matrix.msc4222": true,
  "org.matrix.simplified_msc3575": true,
};

/** Whether a route answers `method` on `path` (a spec path; its parameters match any segment). */
export type Served = (method: string, path: string) => boolean;

export function supportedVersions(served: Served): string[] {
  return allVersions.filter((v) =>
    (selectedByVersion[v] ?? []).every((endpoint) => {
      const [method, path] = endpoint.split(" ") as [string, string];
      return served(method, path);
    }));
}

/** `served` is asked at the first request, when every route is registered. */
export const versionsRoutes = (served: Served) => {
  let body: string | undefined;
  return new Elysia().get("/_matrix/client/versions", ({ set }) => {
    set.headers["content-type"] = "application/json";
    body ??= JSON.stringify({ versions: supportedVersions(served), unstable_features: unstableFeatures });
    return body;
  });
};
