/**
 * Sliding sync connections (MSC4186 "Connections"): per user, device and `conn_id`, what each
 * response sent, so the next request with its `pos` gets only what changed, after a restart too.
 * A `pos` names a connection and a response (`<id>_<seq>`); coming back with one acknowledges it
 * and drops what was sent after it (a retried or cancelled request). Unknown, foreign or expired
 * positions are `M_UNKNOWN_POS`, and the client starts over.
 */
import { MatrixError } from "../../matrix-error";
import { createLruMap } from "../../../runtime/lru-map";
import type { Clock } from "../../../runtime/clock";
import type { Storage } from "../../../storage";
import type { RequiredState } from "./request";

/** What the client holds of one room, as of the response that last sent it. */
export interface SentRoom {
  membership: string;
  /** The room event position the client has the room up to. */
  at: number;
  timelineLimit: number;
  requiredState: RequiredState[];
  bump?: number;
  name?: string | null;
  avatar?: string | null;
  /** The heroes sent, as JSON. */
  heroes?: string;
  joined?: number;
  invited?: number;
  counts?: [notifications: number, highlights: number];
  dm?: boolean;
}

export interface ConnectionState {
  id: number;
  /** The response the client acknowledged (0: none yet). */
  seq: number;
  /** Where that response ended (a sync token); undefined before the first response. */
  token?: string;
  /** The list counts it reported. */
  lists: Record<string, number>;
  rooms: Map<string, SentRoom>;
}

/** A device keeps at most this many connections; the least recently used go first. */
const maxConnectionsPerDevice = 10;
/** Connections unused this long expire. */
const connectionTtlMs = 30 * 24 * 3600 * 1000;
/** The cache of connection states holds at most this many connections and rooms in all. */
const cachedConnections = 1_000;
const cachedRooms = 200_000;

export const unknownPos = (why: string) => new MatrixError(400, "M_UNKNOWN_POS", why);

export function formatPos(id: number, seq: number): string {
  return `${id}_${seq}`;
}

function parsePos(pos: string): { id: number; seq: number } | undefined {
  const m = /^(\d{1,15})_(\d{1,15})$/.exec(pos);
  return m ? { id: Number(m[1]), seq: Number(m[2]) } : undefined;
}

export function createConnections(deps: { storage: Storage; clock: Clock }) {
  const { storage, clock } = deps;
  const repo = storage.slidingSync;
  // The newest state of recently used connections: a request with the latest `pos` reads no rows.
  const cache = createLruMap<number, ConnectionState>({ maxEntries: cachedConnections, maxWeight: cachedRooms, weigh: (state) => state.rooms.size + 1 });

  function open(userId: string, deviceId: string, connId: string): ConnectionState {
    const now = clock.now();
    const id = storage.transaction(() => {
      const old = repo.connectionNamed(userId, deviceId, connId);
      if (old) {
        repo.deleteConnection(old.id);
        cache.delete(old.id);
      }
      repo.deleteUnused(now - connectionTtlMs);
      const created = repo.createConnection(userId, deviceId, connId, now);
      for (const extra of repo.deviceConnections(userId, deviceId).slice(maxConnectionsPerDevice)) {
        repo.deleteConnection(extra);
        cache.delete(extra);
      }
      return created;
    });
    return { id, seq: 0, lists: {}, rooms: new Map() };
  }

  function resume(userId: string, deviceId: string, connId: string, pos: string): ConnectionState {
    const parsed = parsePos(pos);
    if (!parsed) throw unknownPos(`'${pos}' is not a sliding sync position of this server`);
    const conn = repo.connection(parsed.id);
    if (!conn || conn.user_id !== userId || conn.device_id !== deviceId || conn.conn_id !== connId) {
      throw unknownPos("Unknown or expired position: start a new connection");
    }
    const cached = cache.get(parsed.id);
    if (cached && cached.seq === parsed.seq) return cached;
    const position = repo.position(parsed.id, parsed.seq);
    if (!position) throw unknownPos("Unknown or expired position: start a new connection");
    const rooms = new Map<string, SentRoom>();
    for (const row of repo.rooms(parsed.id, parsed.seq)) rooms.set(row.room_id, JSON.parse(row.sent) as SentRoom);
    return { id: parsed.id, seq: parsed.seq, token: position.token, lists: JSON.parse(position.lists) as Record<string, number>, rooms };
  }

  return {
    /** The connection state a request starts from: a new connection without `pos`. */
    load(userId: string, deviceId: string, connId: string, pos: string | undefined): ConnectionState {
      return pos === undefined ? open(userId, deviceId, connId) : resume(userId, deviceId, connId, pos);
    },

    /** Records the response computed from `state`; returns its `pos`. */
    save(state: ConnectionState, token: string, lists: Record<string, number>, sent: ReadonlyMap<string, SentRoom>): string {
      const seq = state.seq + 1;
      // Unsynced: lost only to a power failure, after which the client's pos is unknown and it starts over.
      storage.unsyncedTransaction(() => {
        repo.acknowledge(state.id, state.seq);
        repo.recordResponse(state.id, seq, token, JSON.stringify(lists), [...sent].map(([roomId, room]) => [roomId, JSON.stringify(room)]));
        repo.touchConnection(state.id, clock.now());
      });
      const rooms = new Map(state.rooms);
      for (const [roomId, room] of sent) rooms.set(roomId, room);
      cache.set(state.id, { id: state.id, seq, token, lists, rooms });
      return formatPos(state.id, seq);
    },
  };
}
export type Connections = ReturnType<typeof createConnections>;
