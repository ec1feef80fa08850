/**
 * A `/sync` stream provider: one stream of what can change for a user (room events, account
 * data, receipts, presence, to-device messages, device lists, typing), with a position that only
 * grows and the section of the response between two positions. `/sync` composes the list in
 * `sync/index.ts`; the sync token is the vector of their positions, in that order.
 *
 * Adding a stream: one file here implementing `SyncStream`, and one line appending it to the list
 * (appended, so tokens already in clients' hands keep their meaning: a token without the new
 * stream's position reads it as 0).
 */
import type { CompiledFilter } from "../../../core/filter";
import type { JsonObject } from "../../../core/types";

/** What every stream knows of one `/sync` request. */
export type StateAfterName = "state_after" | "org.matrix.msc4222.state_after";

export interface SyncRequest {
  userId: string;
  deviceId: string;
  filter: CompiledFilter;
  fullState: boolean;
  /**
   * Since v1.16: state at the end of each timeline, under this name (`state_after`, or MSC4222's
   * unstable `org.matrix.msc4222.state_after` for clients asking by its unstable parameter).
   */
  useStateAfter: StateAfterName | false;
  /** The token this response ends at (`next_batch`), positions of every stream. */
  nextBatch: string;
  /**
   * The room events positions of this sync, for streams that follow memberships (device lists:
   * who started or stopped sharing a room); `since` undefined on an initial sync.
   */
  roomEvents: { since: number | undefined; to: number };
}

/** A stream's events in one room of the user, for `rooms.join` (ephemeral) and `rooms.leave`. */
export interface RoomShare {
  /** Only for joined rooms: typing, receipts. */
  ephemeral?: JsonObject[];
  /** Room account data. */
  accountData?: JsonObject[];
}

export interface StreamSection {
  /** Top-level fields of the response this stream fills in (`presence`, `to_device`, ...). */
  fields?: JsonObject;
  /** Whether `fields` hold anything new: an incremental sync with no news waits for some. */
  news: boolean;
  /**
   * Where the next token resumes this stream when the section stopped short of `to` (a full
   * batch of to-device messages): the rest comes with the next sync.
   */
  resumeAt?: number;
  /** This stream's share of a room in the response; `full` when the room is new to the client. */
  inRoom?(roomId: string, full: boolean): RoomShare | undefined;
}

export interface SyncStream {
  /** The stream's name, for logs and tests; its place in the token is its place in the list. */
  readonly key: string;
  /**
   * An in-memory stream starts at 0 with each process: a position from a token of another
   * process (another epoch) means nothing, and the stream is read as for an initial sync.
   */
  readonly inMemory?: boolean;
  /** Where the stream stands now. */
  position(): number;
  /** What changed for the user in (since, to]; since undefined: the client knows nothing yet. */
  section(req: SyncRequest, since: number | undefined, to: number): StreamSection;
}
