/**
 * Backfill (spec "Backfilling and retrieving missing events"): when a client pages back past the
 * start of what this server holds of a room (it joined later, or lost a gap), the events before
 * our earliest ones are asked of a server in the room (`/backfill`), checked like any other PDU,
 * and stored as history: in place for /messages, invisible to /sync as news.
 */
import { belongsTo, errorMessage, refId } from "../../core";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import type { EventStore } from "../rooms/event-store";
import type { Logger } from "../../runtime/logger";
import { END, parseToken, START } from "../rooms/pagination";
import type { Visibility } from "../rooms/visibility";
import type { FederationClient } from "../../net/federation-client";
import type { InboundEvents } from "./inbound/room-pipeline";
import type { PduChecker } from "./inbound/pdu-checker";
import type { RoomView } from "./room-view";

/** The oldest events looked at for missing predecessors. */
const EARLIEST_EVENTS = 20;
/** A point we could not backfill from is not asked about again for this long. */
const RETRY_AFTER_MS = 60_000;
/** Events asked for per /backfill. */
const BACKFILL_BATCH = 100;

export function createBackfill(deps: {
  serverName: string;
  storage: Storage;
  clock: Clock;
  log: Logger;
  client: FederationClient;
  checker: PduChecker;
  inbound: InboundEvents;
  view: RoomView;
  eventStore: EventStore;
  visibility: Visibility;
}) {
  const { storage, view, eventStore } = deps;
  const attempted = new Map<string, number>();

  /** Events our earliest timeline events cite but we do not hold in the graph. */
  function backwardExtremities(roomId: string): string[] {
    const missing = new Set<string>();
    for (const row of storage.events.forwards(roomId, START, END, EARLIEST_EVENTS)) {
      for (const ref of eventStore.pduOf(row).prev_events) {
        const id = refId(ref);
        const prev = storage.events.get(id);
        if (!prev || prev.outlier) missing.add(id);
      }
    }
    return [...missing];
  }

  async function backfillFrom(roomId: string, from: string[], limit: number): Promise<void> {
    const rules = view.rules(roomId)!;
    const query = [...from.map((id) => `v=${encodeURIComponent(id)}`), `limit=${limit}`].join("&");
    for (const server of view.joinedServers(roomId).filter((s) => s !== deps.serverName)) {
      let answer: { pdus?: unknown };
      try {
        answer = await deps.client.request(server, { method: "GET", path: `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${query}` });
      } catch (e) {
        deps.log.debug("backfill failed", { server, roomId, error: errorMessage(e) });
        continue;
      }
      const verdicts = await deps.checker.checkMany(Array.isArray(answer.pdus) ? answer.pdus : [], rules);
      const events = verdicts.flatMap((v) => (v.ok && belongsTo(v.pdu, roomId, rules) ? [v.pdu] : []));
      // Oldest first: each event's predecessors are in place before it.
      events.sort((a, b) => a.depth - b.depth);
      for (const event of events) {
        const known = storage.events.get(event.event_id);
        if (known && !known.outlier) continue;
        await deps.inbound.process(event, server, rules, { gapFill: false, backfilled: true });
      }
      return;
    }
  }

  return {
    /**
     * Before `/messages` pages backwards from `fromToken`: fetches history from another server
     * when fewer than `limit` events are left before that point and our history has a start
     * that is not the room's beginning.
     */
    async beforeMessages(requester: Requester, roomId: string, fromToken: string | undefined, limit: number): Promise<void> {
      if (!view.rules(roomId)) return;
      deps.visibility.readableState(requester.userId, roomId);
      const from = fromToken === undefined ? END : parseToken(storage, roomId, fromToken);
      if (storage.events.backwards(roomId, from, START, limit).length >= limit) return;
      const now = deps.clock.now();
      const points = backwardExtremities(roomId).filter((id) => (attempted.get(id) ?? 0) < now - RETRY_AFTER_MS);
      if (points.length === 0) return;
      for (const id of points) attempted.set(id, now);
      // A full batch whatever the page size (as Synapse asks): a short one may stop before events
      // whose state we can work out, and fewer round trips page through history.
      await backfillFrom(roomId, points, BACKFILL_BATCH);
    },
  };
}
export type Backfill = ReturnType<typeof createBackfill>;
