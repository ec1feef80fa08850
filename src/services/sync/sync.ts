/**
 * `GET /sync` (spec "Syncing"): reads every stream from the `since` token to the current positions
 * and assembles the response; when there is nothing new and the client asked to wait, parks on the
 * notifier until one of the user's streams changes or the timeout passes (no polling).
 * The computation itself never awaits, so it sees one consistent database and no wake-up can slip
 * between reading the streams and starting to wait.
 */
import { randomBytes } from "node:crypto";
import type { CompiledFilter } from "../../core/filter";
import { formatSyncToken, parseSyncToken, type SyncToken } from "../../core/sync-token";
import type { JsonObject } from "../../core/types";
import type { Requester } from "../accounts/access-tokens";
import type { FiltersService } from "../accounts/filters";
import type { PresenceService, PresenceState } from "../edus/presence";
import { invalidParam } from "../matrix-error";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { LazyMembersCache } from "./lazy-members";
import type { Notifier } from "./notifier";
import type { RoomsSection } from "./rooms-section";
import type { RoomsStream } from "./streams/rooms";
import type { RoomShare, StateAfterName, SyncRequest, SyncStream } from "./streams/stream";

/** Long-polls are capped so a proxy or client timeout never cuts one off mid-wait. */
export const maxSyncTimeoutMs = 60_000;

export interface SyncParams {
  since?: string;
  filter?: string;
  fullState: boolean;
  /** Since v1.16: state at the end of each timeline, in `state_after` (or its unstable name). */
  useStateAfter: StateAfterName | false;
  setPresence?: PresenceState;
  timeoutMs: number;
}

/** `next_batch`, `rooms`, and the top-level fields the streams fill in. */
export type SyncResponse = JsonObject & { next_batch: string; rooms: RoomsSection };

export interface SyncDeps {
  clock: Clock;
  log: Logger;
  notifier: Notifier;
  filters: FiltersService;
  presence: PresenceService;
  lazyMembers: LazyMembersCache;
  /** The room events stream, first in the token and built last (it holds the other streams' room shares). */
  rooms: RoomsStream;
  /** Every other stream, in token order. */
  streams: readonly SyncStream[];
  /**
   * The account-data position at which the user last stopped ignoring someone (0: never). A token
   * from before it gets the rooms as a full resync (spec "Ignoring Users": what the user sent while
   * ignored is then sent too).
   */
  resyncPoint(userId: string): number;
}

export function createSyncService(deps: SyncDeps) {
  const { clock, log, notifier, filters, presence, rooms, streams, lazyMembers } = deps;
  // Unique per process: two processes never share an epoch, even when started in the same ms.
  const epoch = randomBytes(5).toString("hex");

  /** Where every stream stands now. */
  function currentToken(): SyncToken {
    return { positions: [rooms.position(), ...streams.map((s) => s.position())], epoch };
  }

  function parseSince(raw: string | undefined): SyncToken | undefined {
    if (raw === undefined || raw === "") return undefined;
    const token = parseSyncToken(raw);
    if (!token) throw invalidParam(`'${raw}' is not a sync token of this server`);
    return token;
  }

  /**
   * The token's position for stream `i`: none on an initial sync, none for an in-memory stream of
   * another process, 0 for a stream the token predates.
   */
  function sinceFor(since: SyncToken | undefined, i: number, inMemory = false): number | undefined {
    if (!since) return undefined;
    if (inMemory && since.epoch !== epoch) return undefined;
    return since.positions[i] ?? 0;
  }

  /** What every stream reads of one request between two tokens. */
  function requestFor(requester: Requester, filter: CompiledFilter, params: Pick<SyncParams, "fullState" | "useStateAfter">, since: SyncToken | undefined, to: SyncToken): SyncRequest {
    return {
      userId: requester.userId,
      deviceId: requester.deviceId,
      filter,
      fullState: params.fullState,
      useStateAfter: params.useStateAfter,
      nextBatch: formatSyncToken(to),
      roomEvents: { since: sinceFor(since, 0), to: to.positions[0]! },
    };
  }

  /**
   * Every stream but the room events between two tokens: the fields they fill, their room shares,
   * and the token the response ends at (`to`, but where a stream stopped short, at that point).
   */
  function otherStreams(req: SyncRequest, since: SyncToken | undefined, to: SyncToken) {
    const fields: JsonObject = {};
    const shares: ((roomId: string, full: boolean) => RoomShare | undefined)[] = [];
    const next: SyncToken = { ...to, positions: [...to.positions] };
    let news = false;
    streams.forEach((stream, i) => {
      const section = stream.section(req, sinceFor(since, i + 1, stream.inMemory), to.positions[i + 1]!);
      if (section.fields) Object.assign(fields, section.fields);
      if (section.inRoom) shares.push(section.inRoom);
      if (section.resumeAt !== undefined) next.positions[i + 1] = section.resumeAt;
      news ||= section.news;
    });
    return { fields, shares, news, next };
  }

  const accountDataIndex = streams.findIndex((s) => s.key === "account_data");

  /** Whether the rooms answer as on an initial sync: there was no token, or it predates an un-ignore. */
  function roomsFromScratch(userId: string, since: SyncToken | undefined): boolean {
    return !since || (accountDataIndex >= 0 && deps.resyncPoint(userId) > (sinceFor(since, accountDataIndex + 1) ?? 0));
  }

  function compute(requester: Requester, since: SyncToken | undefined, filter: CompiledFilter, params: SyncParams) {
    const to = currentToken();
    const req = requestFor(requester, filter, params, since, to);
    const fromScratch = roomsFromScratch(requester.userId, since);
    if (fromScratch) lazyMembers.reset(requester.userId, requester.deviceId);
    const { fields, shares, news, next } = otherStreams(req, since, to);
    req.nextBatch = formatSyncToken(next);
    const roomsPart = rooms.section(req, fromScratch ? undefined : sinceFor(since, 0), to.positions[0]!, shares);
    const response: SyncResponse = { next_batch: req.nextBatch, rooms: roomsPart.rooms, ...fields };
    return { response, news: news || roomsPart.news };
  }

  return {
    currentToken,
    /** Parses a token this process handed out (`next_batch`, or the legacy APIs' `end`). */
    parseToken: parseSince,
    /** A token's position in the stream named `key` (undefined when the token predates it, or is of another process for an in-memory stream). */
    positionIn(token: SyncToken, key: string): number | undefined {
      const i = streams.findIndex((s) => s.key === key);
      return i < 0 ? undefined : sinceFor(token, i + 1, streams[i]!.inMemory);
    },
    /** `token` with the position of the stream named `key` taken from `from` (a copy). */
    withPositionOf(token: SyncToken, key: string, from: SyncToken): SyncToken {
      const i = streams.findIndex((s) => s.key === key);
      if (i < 0) return token;
      const positions = [...token.positions];
      positions[i + 1] = from.positions[i + 1] ?? 0;
      return { ...token, positions };
    },
    /**
     * The other streams' part (account data, receipts, presence, to-device, device lists, typing)
     * between two tokens, as `/sync` computes it: for the legacy `/events` and `/initialSync`.
     */
    otherStreams(requester: Requester, since: SyncToken | undefined, to: SyncToken) {
      const req = requestFor(requester, filters.syncFilter(requester.userId, undefined), { fullState: false, useStateAfter: false }, since, to);
      return otherStreams(req, since, to);
    },

    async sync(requester: Requester, params: SyncParams, signal?: AbortSignal): Promise<SyncResponse> {
      const since = parseSince(params.since);
      const filter = filters.syncFilter(requester.userId, params.filter);
      const ended = presence.syncStarted(requester.userId, params.setPresence);
      try {
        let result = compute(requester, since, filter, params);
        // An initial or full-state sync answers at once; so does one with news.
        if (!since || params.fullState || result.news) return result.response;
        const deadline = clock.now() + Math.min(Math.max(params.timeoutMs, 0), maxSyncTimeoutMs);
        while (!result.news) {
          const remaining = deadline - clock.now();
          if (remaining <= 0 || signal?.aborted) break;
          log.debug("sync waits for news", { user_id: requester.userId, timeout_ms: remaining });
          if (!(await notifier.wait(requester.userId, remaining, () => false, signal))) break;
          result = compute(requester, since, filter, params);
        }
        return result.response;
      } finally {
        ended();
      }
    },
  };
}
export type SyncService = ReturnType<typeof createSyncService>;
