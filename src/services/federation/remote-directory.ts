/**
 * Room aliases and public room lists across servers: an alias of another server is resolved by
 * asking that server (`/query/directory`), and another server's published rooms by asking it
 * (`/publicRooms`); we answer the same questions about our own aliases and published rooms.
 */
import type { JsonObject } from "../../core";
import { MatrixError, notFound } from "../matrix-error";
import type { DirectoryService, PublicRoomsQuery } from "../rooms/directory";
import type { FederationClient } from "../../net/federation-client";
import { RemoteError } from "../../net/federation-client";
import { serverOf, type RoomView } from "./room-view";
import { errorMessage } from "../../core";

export function createFederatedDirectory(deps: {
  serverName: string;
  client: FederationClient;
  directory: DirectoryService;
  view: RoomView;
  /** Asks the appservices of an unknown local alias's namespace (they may create it). */
  aliasQuery?: (alias: string) => Promise<boolean>;
}) {
  const { serverName, client, directory, view } = deps;

  /** Remote failures become the client's errors: the remote's own 404, else 502. */
  function remoteFailure(e: unknown, what: string): never {
    if (e instanceof MatrixError) throw e;
    if (e instanceof RemoteError && e.status === 404) throw notFound(`${what} not found on ${e.destination}`);
    throw new MatrixError(502, "M_UNKNOWN", `${what}: ${errorMessage(e)}`);
  }

  return {
    /** An alias's room and the servers to reach it through, wherever the alias lives. */
    async resolveAlias(alias: string): Promise<{ room_id: string; servers: string[] }> {
      if (serverOf(alias) === serverName) return this.answerAlias(alias);
      try {
        const res = await client.request<{ room_id?: unknown; servers?: unknown }>(serverOf(alias), {
          method: "GET",
          path: `/_matrix/federation/v1/query/directory?room_alias=${encodeURIComponent(alias)}`,
        });
        if (typeof res.room_id !== "string") throw notFound(`Room alias ${alias} not found`);
        const servers = Array.isArray(res.servers) ? res.servers.filter((s): s is string => typeof s === "string") : [];
        return { room_id: res.room_id, servers };
      } catch (e) {
        return remoteFailure(e, `Room alias ${alias}`);
      }
    },

    /**
     * `GET /query/directory`: one of our aliases, with every server in the room (ours first). An
     * unknown one is first asked of the appservices of its namespace.
     */
    async answerAlias(alias: string): Promise<{ room_id: string; servers: string[] }> {
      await deps.aliasQuery?.(alias);
      const { room_id } = directory.resolveAlias(alias);
      return { room_id, servers: [serverName, ...view.joinedServers(room_id).filter((s) => s !== serverName)] };
    },

    /** Public rooms of `server` (ours when it is us or absent). */
    async publicRooms(server: string | undefined, query: PublicRoomsQuery): Promise<JsonObject> {
      if (server === undefined || server === serverName) return directory.publicRooms(query);
      try {
        return await client.request<JsonObject>(server, {
          method: "POST",
          path: "/_matrix/federation/v1/publicRooms",
          // Only the criteria given: canonical JSON (what the request signature covers) has no undefined.
          body: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as JsonObject,
        });
      } catch (e) {
        return remoteFailure(e, `The room directory of ${server}`);
      }
    },
  };
}
export type FederatedDirectory = ReturnType<typeof createFederatedDirectory>;
