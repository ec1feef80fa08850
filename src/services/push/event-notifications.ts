/**
 * Push rules at work on every event this server persists in a room's timeline, local or from
 * federation (spec "Push Notifications", "Server behaviour"): evaluated once per event for each
 * local member but the sender, inside the room's write transaction, so the counts a /sync returns
 * always include the events it returns. For each event it
 *   - adds to the unread counters of the members it notifies (per thread),
 *   - records what it notified, compactly (the outcome members share, plus the exceptions),
 *   - queues pushes for notified members who have pushers,
 *   - counts as read, for its sender, everything before it in its thread (spec "Marking
 *     notifications as read": sending an event marks notifications read),
 *   - and drops the counters of a local member who leaves.
 */
import {
  DEFAULT_PUSH_RULES,
  evaluatePushRules,
  parsePowerLevels,
  powerLevelFrom,
  pushEventContext,
  threadOf,
  type JsonObject,
  type Pdu,
  type PushOutcome,
  type PushRoomFacts,
  usersNamedByEvent,
} from "../../core";
import { stateKeyOf } from "../../core/types";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { EventStore } from "../rooms/event-store";
import type { TimelineEvent } from "../rooms/persister";
import type { StateMap, StateService } from "../rooms/state";
import type { PushersService } from "./pushers";
import { sameNotification } from "./records";
import type { PushRulesService } from "./rules";

/** The content of a room state event, by type and state key. */
type StateLookup = (type: string, stateKey: string) => JsonObject | undefined;

/** Stands for "a member who changed no rule and is not named by the event": never a user id. */
const ANY_MEMBER = "@\u0000:\u0000";

export function createEventNotifications(deps: {
  serverName: string;
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  rules: PushRulesService;
  pushers: PushersService;
  clock: Clock;
}) {
  const { storage, eventStore } = deps;
  const localSuffix = `:${deps.serverName}`;
  const lowerLocalSuffix = localSuffix.toLowerCase();
  const isLocal = (userId: string) => userId.endsWith(localSuffix);

  const contentOf = (eventId: string) => eventStore.getPdu(eventId)?.content;

  function stateEventContent(state: StateMap, type: string, stateKey = ""): JsonObject | undefined {
    const id = state.get(stateKeyOf(type, stateKey));
    return id === undefined ? undefined : contentOf(id);
  }

  function roomFacts(ev: TimelineEvent, state: StateMap): PushRoomFacts {
    const { head, pdu } = ev;
    const plId = state.get(stateKeyOf("m.room.power_levels", ""));
    const createId = state.get(stateKeyOf("m.room.create", ""));
    const powerLevels = plId === undefined ? undefined : (eventStore.getPdu(plId) ?? undefined);
    const create = createId === undefined ? undefined : (eventStore.getPdu(createId) ?? undefined);
    return {
      memberCount: ev.joinedBefore.size,
      senderPowerLevel: powerLevelFrom(pdu.sender, powerLevels, create, head.rules),
      notificationLevels: powerLevels ? parsePowerLevels(powerLevels.content, head.rules).levels.notifications : new Map(),
    };
  }

  /**
   * Local users the event may notify: members joined before it but the sender, and a local
   * invitee; never those who ignore the sender (spec "Ignoring Users"). With `own`, only those who
   * changed a rule or whom the event names (the others are known to get nothing), found without a
   * walk over a big room's members when few users changed a rule.
   */
  function candidates(ev: TimelineEvent, own?: { customised: ReadonlySet<string>; named: ReadonlySet<string> }): { userId: string; joined: boolean }[] {
    const { pdu, joinedBefore } = ev;
    const ignorers = new Set(storage.ignoredUsers.ignorersOf(pdu.sender));
    const out: { userId: string; joined: boolean }[] = [];
    const consider = (userId: string, joined: boolean) => {
      if (userId !== pdu.sender && isLocal(userId) && !ignorers.has(userId)) out.push({ userId, joined });
    };
    const isOwn = (userId: string) => own === undefined || own.customised.has(userId) || own.named.has(userId);
    if (own !== undefined && own.customised.size < joinedBefore.size) {
      for (const userId of own.customised) if (joinedBefore.has(userId)) consider(userId, true);
      for (const userId of own.named) if (joinedBefore.has(userId) && !own.customised.has(userId)) consider(userId, true);
    } else {
      joinedBefore.forEach((userId) => {
        if (isOwn(userId)) consider(userId, true);
      });
    }
    const target = pdu.type === "m.room.member" ? pdu.state_key : undefined;
    if (target !== undefined && !joinedBefore.has(target) && isOwn(target)) consider(target, false);
    return out;
  }

  /**
   * The local users among user ids an event names, lowercased: local accounts have lowercase
   * localparts (the current grammar), so only the server name may differ in case.
   */
  function localSpellings(named: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    for (const userId of named) if (userId.endsWith(lowerLocalSuffix)) out.add(userId.slice(0, -lowerLocalSuffix.length) + localSuffix);
    return out;
  }

  /**
   * The `notification` of a push for one user (spec "POST /_matrix/push/v1/notify"), without
   * `devices`; `stateOf` gives the content of the room state the names come from.
   */
  function pushNotification(pdu: Pdu & { event_id: string }, stateOf: StateLookup, userId: string, outcome: PushOutcome): JsonObject {
    // `id` too: the event id's name before the push gateway API, which Synapse still sends and
    // older gateways read.
    const n: JsonObject = { id: pdu.event_id, event_id: pdu.event_id, room_id: pdu.room_id, type: pdu.type, sender: pdu.sender };
    const senderName = stateOf("m.room.member", pdu.sender)?.displayname;
    if (typeof senderName === "string") n.sender_display_name = senderName;
    const roomName = stateOf("m.room.name", "")?.name;
    const alias = stateOf("m.room.canonical_alias", "")?.alias;
    if (typeof alias === "string") n.room_alias = alias;
    // A room without a name is shown by its alias, as its members' clients name it.
    if (typeof roomName === "string" && roomName !== "") n.room_name = roomName;
    else if (typeof alias === "string") n.room_name = alias;
    if (pdu.type === "m.room.member") {
      n.user_is_target = pdu.state_key === userId;
      // Not in the push gateway API, but Synapse sends it and gateways tell invites apart by it.
      if (typeof pdu.content.membership === "string") n.membership = pdu.content.membership;
    }
    // Encrypted events may hide anything, so they are urgent; otherwise urgency follows the rule.
    const urgent = pdu.type === "m.room.encrypted" || outcome.highlight || outcome.tweaks.sound !== undefined;
    n.prio = urgent ? "high" : "low";
    n.content = pdu.content;
    n.counts = { unread: storage.pushNotifications.unreadTotal(userId) };
    return n;
  }

  return {
    /** Runs inside the transaction that persisted `ev` as a timeline event of its room. */
    onTimelineEvent(ev: TimelineEvent): void {
      const { head, pdu, stream } = ev;
      const roomId = head.roomId;
      const membership = pdu.type === "m.room.member" ? pdu.content.membership : undefined;
      // A local user who left (or was kicked or banned) has no unread counts there any more.
      if ((membership === "leave" || membership === "ban") && isLocal(pdu.state_key!)) {
        storage.pushNotifications.deleteRoomCounts(roomId, pdu.state_key!);
      }
      const senderReads = isLocal(pdu.sender) && ev.joinedBefore.has(pdu.sender);
      const thread = threadOf(pdu.content, contentOf);
      if (senderReads) storage.pushNotifications.readBySending(roomId, thread, pdu.sender, stream);

      const state = ev.stateBefore === null ? new Map() : deps.state.stateOfGroup(ev.stateBefore);
      const ctx = pushEventContext(pdu as unknown as JsonObject, roomFacts(ev, state));
      const shared = evaluatePushRules(DEFAULT_PUSH_RULES, ctx, { userId: ANY_MEMBER });
      // A member who changed no rule and whom the event does not name gets `shared` without an
      // evaluation of their own; when that is nothing, such members are not even listed.
      const byEvent = usersNamedByEvent(ctx);
      const customised = deps.rules.customised();
      const named = byEvent === undefined ? undefined : localSpellings(byEvent);
      const ownRules = (userId: string) => named === undefined || customised.has(userId) || named.has(userId);
      const targets = candidates(ev, shared?.notify || named === undefined ? undefined : { customised, named });
      const exceptions: JsonObject = {};
      let differs = false;
      const notified: { userId: string; outcome: PushOutcome }[] = [];
      // Members whose count goes up, by whether it is a highlight: one write per group.
      const counted: [string[], string[]] = [[], []];
      for (const { userId, joined } of targets) {
        const outcome = !ownRules(userId)
          ? shared
          : evaluatePushRules(deps.rules.compiledFor(userId), ctx, {
              userId,
              displayName: () => {
                const name = stateEventContent(state, "m.room.member", userId)?.displayname;
                return typeof name === "string" ? name : undefined;
              },
            });
        if (outcome !== shared && !sameNotification(outcome, shared)) {
          exceptions[userId] = outcome?.notify ? outcome.actions : null;
          differs = true;
        }
        if (!outcome?.notify) continue;
        if (joined) counted[outcome.highlight ? 1 : 0].push(userId);
        notified.push({ userId, outcome });
      }
      if (notified.length === 0) return;
      storage.pushNotifications.addNotification(roomId, thread, counted[0], false);
      storage.pushNotifications.addNotification(roomId, thread, counted[1], true);

      storage.pushNotifications.recordEvent({
        stream_ordering: stream,
        room_id: roomId,
        thread_id: thread,
        event_id: pdu.event_id,
        sender: pdu.sender,
        actions: shared?.notify ? JSON.stringify(shared.actions) : null,
        highlight: shared?.highlight ? 1 : 0,
        exceptions: differs ? JSON.stringify(exceptions) : null,
        ts: deps.clock.now(),
      });
      const stateOf: StateLookup = (type, stateKey) => stateEventContent(state, type, stateKey);
      for (const { userId, outcome } of notified) {
        deps.pushers.queue(userId, () => pushNotification(pdu, stateOf, userId, outcome), outcome.tweaks);
      }
    },

    /**
     * An invite of a local user to a room this server is not in (received over federation):
     * pushed as the invitee's rules say, with names from the invite's stripped state; nothing to
     * count, since the invitee has not joined.
     */
    onOutOfRoomInvite(pdu: Pdu & { event_id: string }, strippedState: readonly JsonObject[]): void {
      const userId = pdu.state_key;
      if (userId === undefined || !isLocal(userId) || pdu.content.membership !== "invite") return;
      const stateOf: StateLookup = (type, stateKey) => {
        const found = strippedState.find((e) => e.type === type && e.state_key === stateKey)?.content;
        return found !== undefined && typeof found === "object" && !Array.isArray(found) && found !== null ? found : undefined;
      };
      const joined = strippedState.filter((e) => e.type === "m.room.member" && stateOf("m.room.member", String(e.state_key))?.membership === "join");
      const ctx = pushEventContext(pdu as unknown as JsonObject, { memberCount: joined.length, senderPowerLevel: 0, notificationLevels: new Map() });
      const outcome = evaluatePushRules(deps.rules.compiledFor(userId), ctx, { userId });
      if (outcome?.notify) deps.pushers.queue(userId, () => pushNotification(pdu, stateOf, userId, outcome), outcome.tweaks);
    },

  };
}
export type EventNotifications = ReturnType<typeof createEventNotifications>;
