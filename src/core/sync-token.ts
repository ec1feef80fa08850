/**
 * The `/sync` token: the position of every sync stream, in the order `/sync` lists them (room
 * events first), and the epoch of the process that issued it: in-memory streams (typing) restart
 * at zero with each process, so their positions count only within the epoch that wrote them.
 * `s<position>_<position>_..._<epoch>`. Pagination endpoints (`/messages`) accept these tokens
 * too and read the room events position.
 */

export interface SyncToken {
  positions: number[];
  epoch: string;
}

/** At most this many streams: a bound on what a client can make us parse. */
const MAX_POSITIONS = 32;
const pattern = /^s((?:\d{1,15}_){1,32})([0-9a-z]{1,16})$/;

export function formatSyncToken(t: SyncToken): string {
  return `s${t.positions.join("_")}_${t.epoch}`;
}

/** Returns the token a string encodes, or undefined when it is not one of ours. */
export function parseSyncToken(raw: string): SyncToken | undefined {
  const m = pattern.exec(raw);
  if (!m) return undefined;
  const positions = m[1]!.slice(0, -1).split("_").map(Number);
  if (positions.length > MAX_POSITIONS) return undefined;
  return { positions, epoch: m[2]! };
}

/** The room events position of a token (the first stream). */
export function roomEventsPosition(t: SyncToken): number {
  return t.positions[0]!;
}
