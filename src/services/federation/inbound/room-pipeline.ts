/**
 * The room pipeline for events from other servers (spec "Checks performed on receipt of a PDU").
 * After the PDU checks (format, signatures, content hash), an event must pass the auth rules
 * against its own auth events, then against the state before it (resolved across its
 * prev_events), else it is stored as rejected; against the current state, else it is stored
 * soft-failed (counted for state, never shown). Missing prev events are fetched: a short gap
 * with `get_missing_events`, a long one by asking for the state at the missing event
 * (`/state_ids`, then `/event` for what we lack), whose events are kept as outliers.
 */
import {
  errorMessage,
  belongsTo,
  isJsonObject,
  refId,
  roomIdOf,
  type CheckedPdu,
  type JsonObject,
  type Pdu,
  type RoomVersionRules,
  type StateKey,
} from "../../../core";
import type { Storage } from "../../../storage";
import { redactsOf } from "../../rooms/redactions";
import type { Logger } from "../../../runtime/logger";
import type { EventPersister } from "../../rooms/persister";
import type { EventStore } from "../../rooms/event-store";
import type { Notifier } from "../../sync/notifier";
import type { RoomHead, RoomHeads } from "../../rooms/heads";
import type { RoomQueue, TaskContext } from "../../rooms/queue";
import type { StateMap, StateService } from "../../rooms/state";
import type { StateResolver } from "../../../core";
import type { FederationClient } from "../../../net/federation-client";
import type { PduChecker } from "./pdu-checker";
import { createRoomAuth, POOL_STATE_SIZE, stateKeyOfPdu, withEvent } from "./room-auth";
import type { RoomView } from "../room-view";

/** Events asked for in one `get_missing_events` call (a short gap). */
const MISSING_EVENTS_LIMIT = 10;
/** How deep a chain of unknown auth events we follow before giving up on an event. */
const MAX_AUTH_FETCH_DEPTH = 32;

export interface Outcome {
  eventId: string;
  /** Why the event was not accepted (dropped or rejected); absent when it was stored as valid. */
  error?: string;
  /** `error` is an auth rejection: the event is stored, as rejected (not dropped). */
  rejected?: boolean;
  softFailed?: boolean;
}

export interface ProcessOptions {
  gapFill?: boolean;
  backfilled?: boolean;
  afterPersist?: (head: RoomHead) => void;
}

/** What storing events from other servers takes from the rooms area. */
export interface RoomWrites {
  roomQueue: RoomQueue;
  roomHeads: RoomHeads;
  roomState: StateService;
  eventStore: EventStore;
  persister: EventPersister;
  notifier: Notifier;
}

export interface InboundDeps extends RoomWrites {
  storage: Storage;
  log: Logger;
  client: FederationClient;
  checker: PduChecker;
  view: RoomView;
  /** Resolves large states off the main thread; small ones are resolved inline either way. */
  stateResolver?: StateResolver;
}

export function createInboundEvents(deps: InboundDeps) {
  const { storage, log, client, checker, view, roomQueue, roomHeads, roomState, eventStore, persister, notifier } = deps;
  const auth = createRoomAuth({ storage, view, eventStore, stateResolver: deps.stateResolver });
  const { isRejected, hasState, createEventFor, authEventsOf, authAgainst, checkAgainstAuthEvents, resolve, resolveAsync } = auth;

  function headOf(roomId: string): RoomHead {
    const head = roomHeads.get(roomId);
    if (!head) throw new Error(`room ${roomId} has no head`);
    return head;
  }

  /** Stores an event outside the timeline (an auth or state event we had to fetch). */
  function storeOutlier(pdu: CheckedPdu, rejectedReason: string | undefined): Promise<void> {
    const roomId = roomIdOf(pdu);
    return roomQueue.run(roomId, () => {
      if (storage.events.get(pdu.event_id)) return;
      persister.persist(headOf(roomId), { pdu, stateBefore: null, outlier: true, rejectedReason });
    });
  }

  /** Fetches an event from `server` and runs the PDU checks on it. */
  async function fetchEvent(server: string, eventId: string, rules: RoomVersionRules): Promise<CheckedPdu | null> {
    try {
      const res = await client.request<{ pdus?: unknown[] }>(server, {
        method: "GET",
        path: `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`,
      });
      const verdict = await checker.check(res.pdus?.[0], rules);
      if (!verdict.ok || verdict.pdu.event_id !== eventId) return null;
      return verdict.pdu;
    } catch (e) {
      log.debug("could not fetch event", { server, eventId, error: errorMessage(e) });
      return null;
    }
  }

  /**
   * Makes sure every auth event of `pdu` is stored, fetching unknown ones from `server` and
   * storing each as an outlier once it has passed the checks and the auth rules against its own
   * auth events (a failure stores it as rejected). False when one cannot be obtained.
   */
  async function ensureAuthEvents(pdu: Pdu, server: string, rules: RoomVersionRules, depth = 0): Promise<boolean> {
    const { missing } = authEventsOf(pdu, rules);
    if (missing.length === 0) return true;
    if (depth >= MAX_AUTH_FETCH_DEPTH) return false;
    for (const id of missing) {
      if (storage.events.get(id)) continue;
      const event = await fetchEvent(server, id, rules);
      if (!event || !belongsTo(event, pdu.room_id, rules)) return false;
      if (!(await ensureAuthEvents(event, server, rules, depth + 1))) return false;
      await storeOutlier(event, checkAgainstAuthEvents(event, rules) ?? undefined);
    }
    return true;
  }

  /**
   * The state after a prev event we do not hold in the graph: asked from `server` as the state
   * before it, plus the event itself; every event involved is stored (as an outlier) first.
   */
  async function remoteStateAfter(roomId: string, eventId: string, server: string, rules: RoomVersionRules): Promise<StateMap | null> {
    let ids: { pdu_ids?: unknown; auth_chain_ids?: unknown };
    try {
      ids = await client.request(server, {
        method: "GET",
        path: `/_matrix/federation/v1/state_ids/${encodeURIComponent(roomId)}?event_id=${encodeURIComponent(eventId)}`,
      });
    } catch (e) {
      log.debug("could not fetch state ids", { server, roomId, eventId, error: errorMessage(e) });
      return null;
    }
    const stateIds = Array.isArray(ids.pdu_ids) ? ids.pdu_ids.filter((x): x is string => typeof x === "string") : [];
    const chainIds = Array.isArray(ids.auth_chain_ids) ? ids.auth_chain_ids.filter((x): x is string => typeof x === "string") : [];
    const wanted = [...new Set([...chainIds, ...stateIds, eventId])].filter((id) => !storage.events.get(id));
    const fetched = (await Promise.all(wanted.map((id) => fetchEvent(server, id, rules)))).filter((e): e is CheckedPdu => e !== null);
    // Oldest first, so each event's auth events are stored before it.
    fetched.sort((a, b) => a.depth - b.depth);
    for (const event of fetched) {
      if (!belongsTo(event, roomId, rules)) continue;
      if (!(await ensureAuthEvents(event, server, rules))) continue;
      await storeOutlier(event, checkAgainstAuthEvents(event, rules) ?? undefined);
    }
    const s = new Map<StateKey, string>();
    for (const id of stateIds) {
      const pdu = eventStore.getPdu(id);
      const key = pdu ? stateKeyOfPdu(pdu) : undefined;
      if (pdu && key && !isRejected(id)) s.set(key, id);
    }
    const prev = eventStore.getPdu(eventId);
    if (!prev) return null;
    const key = stateKeyOfPdu(prev);
    if (key && !isRejected(eventId)) s.set(key, eventId);
    return s;
  }

  /** A short gap: asks `server` for the events between our forward extremities and `pdu`. */
  async function fillGap(pdu: CheckedPdu, server: string, rules: RoomVersionRules): Promise<void> {
    const head = headOf(pdu.room_id);
    let minDepth = Number.MAX_SAFE_INTEGER;
    for (const id of head.extremities) minDepth = Math.min(minDepth, storage.events.get(id)?.depth ?? 0);
    let res: { events?: unknown[] };
    try {
      res = await client.request(server, {
        method: "POST",
        path: `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(pdu.room_id)}`,
        body: {
          earliest_events: head.extremities,
          latest_events: [pdu.event_id],
          limit: MISSING_EVENTS_LIMIT,
          min_depth: minDepth === Number.MAX_SAFE_INTEGER ? 0 : minDepth,
        },
      });
    } catch (e) {
      log.debug("get_missing_events failed", { server, roomId: pdu.room_id, error: errorMessage(e) });
      return;
    }
    const verdicts = await checker.checkMany(Array.isArray(res.events) ? res.events : [], rules);
    const events = verdicts.flatMap((v) => (v.ok && belongsTo(v.pdu, pdu.room_id, rules) ? [v.pdu] : []));
    events.sort((a, b) => a.depth - b.depth);
    for (const event of events) {
      if (event.event_id !== pdu.event_id) await process(event, server, rules, { gapFill: false });
    }
  }

  /** The state before `pdu`: the states after its prev events, resolved. */
  async function stateBeforeOf(pdu: CheckedPdu, server: string, rules: RoomVersionRules, gapFill: boolean): Promise<StateMap | null> {
    const prevIds = pdu.prev_events.map(refId);
    if (gapFill && prevIds.some((id) => !hasState(id))) await fillGap(pdu, server, rules);
    const states: StateMap[] = [];
    for (const id of prevIds) {
      const known = view.stateAfter(id);
      const s = known ?? (await remoteStateAfter(pdu.room_id, id, server, rules));
      if (!s) return null;
      states.push(s);
    }
    // Only the create event has no predecessors: nothing comes before it.
    if (states.length === 0) return pdu.type === "m.room.create" ? new Map() : null;
    return resolveAsync(rules, states);
  }

  /** Steps 4-5 given the state before: the reason to reject the event, or null. */
  function judge(pdu: CheckedPdu, rules: RoomVersionRules, stateBefore: StateMap | null): string | null {
    const rejected = checkAgainstAuthEvents(pdu, rules);
    if (rejected !== null) return rejected;
    if (!stateBefore) return "the state before it could not be obtained";
    const reason = authAgainst(pdu, stateBefore, rules);
    if (reason !== null) return `not allowed by the state before it: ${reason}`;
    return pointsIntoAnotherRoom(pdu, rules);
  }

  /** A redaction names an event of its own room; one known to be in another room is rejected (as Synapse does). */
  function pointsIntoAnotherRoom(pdu: CheckedPdu, rules: RoomVersionRules): string | null {
    if (pdu.type !== "m.room.redaction") return null;
    const target = redactsOf(pdu, rules);
    const row = target === undefined ? null : storage.events.get(target);
    return row && row.room_id !== pdu.room_id ? "it redacts an event of another room" : null;
  }

  /**
   * Step 6 and storage, inside the room's queue task: soft failure against the current state,
   * the new current state (resolved when the event forks the room), and the persist itself.
   */
  function store(pdu: CheckedPdu, rules: RoomVersionRules, stateBefore: StateMap | null, rejected: string | null, opts: ProcessOptions, ctx: TaskContext): Outcome {
    const { backfilled = false, afterPersist } = opts;
    const eventId = pdu.event_id;
    const roomId = roomIdOf(pdu);
    if (hasState(eventId)) return { eventId };
    const head = headOf(roomId);
    // Fetched earlier only as an outlier: it now takes its place in the graph.
    storage.events.deleteOutlier(eventId);
    const current = view.currentState(roomId);
    const before = stateBefore ?? current;
    const group = roomState.groupForState(roomId, before, head.stateGroup);
    // Step 6: fine by its own history but not by the room as it is now -> soft-failed.
    const softFailed = !backfilled && rejected === null && authAgainst(pdu, current, rules) !== null;
    let currentStateGroup: number | undefined;
    if (!backfilled && rejected === null && !softFailed) {
      const prevIds = new Set(pdu.prev_events.map(refId));
      const extendsHead = head.extremities.every((id) => prevIds.has(id));
      // A fork: the new current state resolves the old one with the state after this event.
      if (!extendsHead) {
        const resolved = resolve(rules, [current, withEvent(before, pdu)], pdu);
        currentStateGroup = roomState.groupForState(roomId, resolved, head.stateGroup);
      }
    }
    const persisted = persister.persist(head, {
      pdu,
      stateBefore: group,
      rejectedReason: rejected ?? undefined,
      softFailed,
      currentStateGroup,
      backfilled,
    });
    ctx.afterCommit(() => notifier.wakeUsers(persisted.wake));
    if (rejected === null && !softFailed) afterPersist?.(head);
    if (rejected !== null) {
      log.info("rejected an event", { eventId, roomId, reason: rejected });
      return { eventId, error: rejected, rejected: true };
    }
    return softFailed ? { eventId, softFailed } : { eventId };
  }

  /** A room has one create event; it comes again only as backfilled history. */
  function misplacedCreate(pdu: CheckedPdu, rules: RoomVersionRules, backfilled: boolean): boolean {
    return pdu.type === "m.room.create" && !(backfilled && createEventFor(roomIdOf(pdu), rules)?.event_id === pdu.event_id);
  }

  /**
   * Everything the event needs is here (its auth events, the state after each prev event) and
   * its state before is cheap to work out: not a resolution large enough for the worker pool.
   */
  function quick(pdu: CheckedPdu, rules: RoomVersionRules): boolean {
    if (authEventsOf(pdu, rules).missing.length > 0 || !pdu.prev_events.every((ref) => hasState(refId(ref)))) return false;
    if (!deps.stateResolver || pdu.prev_events.length < 2) return true;
    const size = pdu.prev_events.reduce((n, ref) => n + (view.stateAfter(refId(ref))?.size ?? 0), 0);
    return size < POOL_STATE_SIZE;
  }

  /** The state before an event whose predecessors are all here, resolved. */
  function localStateBefore(pdu: CheckedPdu, rules: RoomVersionRules): StateMap | null {
    const states = pdu.prev_events.map((ref) => view.stateAfter(refId(ref)));
    if (states.some((s) => s === null)) return null;
    if (states.length === 0) return pdu.type === "m.room.create" ? new Map() : null;
    return resolve(rules, states as StateMap[]);
  }

  /**
   * Runs one checked event through the pipeline and stores it; `server` is asked for whatever is
   * missing. Options: `gapFill: false` skips `get_missing_events` (for events that came from it);
   * `backfilled` stores history from before what we held, judged by its own past only (no soft
   * failure, no change to the current state); `afterPersist` runs in the storing transaction when
   * the event was accepted (to queue it for the room's other servers).
   */
  async function process(pdu: CheckedPdu, server: string, rules: RoomVersionRules, opts: ProcessOptions = {}): Promise<Outcome> {
    const eventId = pdu.event_id;
    if (hasState(eventId)) return { eventId };
    if (misplacedCreate(pdu, rules, opts.backfilled ?? false)) return { eventId, error: "a room has one create event" };
    if (!(await ensureAuthEvents(pdu, server, rules))) {
      return { eventId, error: "its auth events could not be obtained" };
    }
    let stateBefore: StateMap | null = null;
    // The state before is worth fetching only for an event its own auth events allow.
    if (checkAgainstAuthEvents(pdu, rules) === null) {
      stateBefore = await stateBeforeOf(pdu, server, rules, opts.gapFill ?? true);
      if (!stateBefore) return { eventId, error: "the state before it could not be obtained" };
    }
    const rejected = judge(pdu, rules, stateBefore);
    return roomQueue.run(roomIdOf(pdu), (ctx) => store(pdu, rules, stateBefore, rejected, opts, ctx));
  }

  /**
   * The events of one room from one transaction, oldest first. A run of quick events (nothing to
   * fetch, no large resolution) is judged and stored in one task, one commit for all of them; any
   * other event goes through `process` on its own.
   */
  async function processAll(pdus: readonly CheckedPdu[], server: string, rules: RoomVersionRules): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let i = 0;
    while (i < pdus.length) {
      const roomId = roomIdOf(pdus[i]!);
      const batch = await roomQueue.run(roomId, (ctx) => {
        const done: Outcome[] = [];
        // Each event reads the state its predecessors left, stored earlier in this same task.
        for (let j = i; j < pdus.length; j++) {
          const pdu = pdus[j]!;
          if (hasState(pdu.event_id)) done.push({ eventId: pdu.event_id });
          else if (misplacedCreate(pdu, rules, false)) done.push({ eventId: pdu.event_id, error: "a room has one create event" });
          else if (!quick(pdu, rules)) break;
          else {
            const stateBefore = localStateBefore(pdu, rules);
            done.push(store(pdu, rules, stateBefore, judge(pdu, rules, stateBefore), {}, ctx));
          }
        }
        return done;
      });
      outcomes.push(...batch);
      i += batch.length;
      if (i < pdus.length) outcomes.push(await process(pdus[i++]!, server, rules));
    }
    return outcomes;
  }

  return {
    process,
    storeOutlier,
    checkAgainstAuthEvents,
    ensureAuthEvents,

    /**
     * The PDUs of a transaction from `origin`: each is checked and processed on its own, oldest
     * first per room; the answer maps event ids to errors. PDUs for rooms we are not in, or that
     * the room's ACL bars `origin` from, get an error and go no further.
     */
    async receivePdus(origin: string, raws: readonly unknown[]): Promise<Record<string, { error?: string }>> {
      const results: Record<string, { error?: string }> = {};
      const byRoom = new Map<string, JsonObject[]>();
      for (const raw of raws) {
        if (!isJsonObject(raw) || typeof raw.room_id !== "string") continue;
        const roomId = raw.room_id;
        byRoom.set(roomId, [...(byRoom.get(roomId) ?? []), raw]);
      }
      for (const [roomId, pdus] of byRoom) {
        const rules = view.rules(roomId);
        if (!rules) {
          // Without the room's version an event id cannot be computed: only a claimed one is answered.
          for (const raw of pdus) {
            const claimed = raw.event_id;
            if (typeof claimed === "string") results[claimed] = { error: `this server is not in ${roomId}` };
          }
          continue;
        }
        const allowed = view.serverAllowed(roomId, origin);
        const checked: CheckedPdu[] = [];
        for (const raw of pdus) {
          const verdict = await checker.check(raw, rules);
          if (!verdict.ok) {
            if (verdict.eventId) results[verdict.eventId] = { error: verdict.reason };
            continue;
          }
          if (!allowed) results[verdict.pdu.event_id] = { error: `${origin} is barred from ${roomId} by its ACL` };
          else checked.push(verdict.pdu);
        }
        checked.sort((a, b) => a.depth - b.depth);
        let outcomes: Outcome[];
        try {
          outcomes = await processAll(checked, origin, rules);
        } catch (e) {
          // One of the batch failed unexpectedly: take them one at a time, so only it fails.
          log.error("failed to process a batch of events", { roomId, error: e });
          outcomes = [];
          for (const pdu of checked) {
            outcomes.push(
              await process(pdu, origin, rules).catch((err: unknown) => {
                log.error("failed to process an event", { eventId: pdu.event_id, error: err });
                return { eventId: pdu.event_id, error: "internal error while processing the event" };
              }),
            );
          }
        }
        // A rejected event was processed (stored as rejected): no error, as Synapse answers; only
        // events dropped unprocessed carry one. The rejection's reason is in this server's log.
        for (const outcome of outcomes) results[outcome.eventId] = outcome.error && !outcome.rejected ? { error: outcome.error } : {};
      }
      return results;
    },
  };
}
export type InboundEvents = ReturnType<typeof createInboundEvents>;
