/**
 * Profiles of other servers' users, for our clients: asked of the user's server
 * (`/query/profile`). A 404 there is a 404 here; an unreachable server is 502.
 */
import type { JsonObject } from "../../core";
import { MatrixError, notFound } from "../matrix-error";
import { RemoteError, type FederationClient } from "../../net/federation-client";

export function createRemoteProfiles(client: FederationClient) {
  return {
    /** The whole profile, or one field of it (`{field: value}`). */
    async getProfile(userId: string, field?: string): Promise<JsonObject> {
      const server = userId.slice(userId.indexOf(":") + 1);
      const query = `user_id=${encodeURIComponent(userId)}${field === undefined ? "" : `&field=${encodeURIComponent(field)}`}`;
      try {
        const profile = await client.request<JsonObject>(server, { method: "GET", path: `/_matrix/federation/v1/query/profile?${query}` });
        if (field !== undefined && !Object.hasOwn(profile, field)) throw notFound("Profile field not found");
        return field === undefined ? profile : { [field]: profile[field]! };
      } catch (e) {
        if (e instanceof MatrixError) throw e;
        if (e instanceof RemoteError && e.status === 404) throw notFound("Profile not found");
        throw new MatrixError(502, "M_UNKNOWN", `The profile could not be fetched from ${server}`);
      }
    },
  };
}
export type RemoteProfiles = ReturnType<typeof createRemoteProfiles>;
