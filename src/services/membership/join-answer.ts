/**
 * Storing a room we join through another server, from its `send_join` answer: every event of the
 * state and auth chain is checked (format, signatures, hashes: in the check workers for a large
 * room) and judged by the auth rules against its own auth events, oldest first; they are kept as
 * outliers (refused ones as rejected); our join goes on top of the state, which becomes the
 * room's current state.
 */
import {
  authCheck,
  belongsTo,
  checkStateDependentAuthRules,
  isJsonObject,
  refId,
  stateKeyOf,
  type CheckedPdu,
  type JsonObject,
  type Pdu,
  type RoomVersionRules,
  type StateKey,
} from "../../core";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import { forbidden, MatrixError } from "../matrix-error";
import type { RoomWrites } from "../federation/inbound/room-pipeline";
import type { PduChecker } from "../federation/inbound/pdu-checker";

export function createJoinAnswers(deps: RoomWrites & { storage: Storage; clock: Clock; checker: PduChecker }) {
  const { storage, checker, roomQueue, roomHeads, eventStore } = deps;

  /**
   * Checks a `send_join` answer and stores the room: state and auth chain as outliers (each
   * checked, and refused events kept as rejected), then our join on top of that state.
   */
  async function apply(pdu: CheckedPdu, rules: RoomVersionRules, answer: JsonObject, server: string): Promise<void> {
    const roomId = pdu.room_id;
    let join = pdu;
    // A restricted join comes back co-signed by the authorising server; it must still be ours.
    if (isJsonObject(answer.event)) {
      const returned = await checker.check(answer.event, rules);
      if (returned.ok && returned.pdu.event_id === pdu.event_id) join = returned.pdu;
    }
    const raws = [...(Array.isArray(answer.state) ? answer.state : []), ...(Array.isArray(answer.auth_chain) ? answer.auth_chain : [])];
    const verdicts = await checker.checkMany(raws, rules);
    const events = new Map<string, CheckedPdu>();
    for (const v of verdicts) if (v.ok && belongsTo(v.pdu, roomId, rules)) events.set(v.pdu.event_id, v.pdu);
    const stateIds = new Set(
      (Array.isArray(answer.state) ? answer.state : []).flatMap((_, i) => {
        const v = verdicts[i];
        return v?.ok ? [v.pdu.event_id] : [];
      }),
    );
    const ordered = [...events.values()].sort((a, b) => a.depth - b.depth);
    const rejected = new Map<string, string>();
    const byId = (id: string) => events.get(id) ?? eventStore.getPdu(id);
    const create = ordered.find((e) => e.type === "m.room.create" && e.state_key === "");
    if (!create) throw new MatrixError(502, "M_UNKNOWN", `${server} sent a join answer without the room's create event`);
    // Each event against its own auth events, oldest first; a rejected auth event grants nothing.
    for (const event of ordered) {
      const auth = event.auth_events.map((r) => byId(refId(r))).filter((e): e is Pdu => e !== null && e !== undefined);
      if (rules.roomIdIsCreateEventHash && event !== create) auth.push(create);
      const verdict = authCheck(event, auth, rules.id, { isRejected: (id) => rejected.has(id) });
      if (!verdict.allowed) rejected.set(event.event_id, verdict.reason);
    }
    const state = new Map<StateKey, string>();
    for (const id of stateIds) {
      const event = events.get(id)!;
      if (typeof event.state_key === "string" && !rejected.has(id)) state.set(stateKeyOf(event.type, event.state_key), id);
    }
    const stateEvents = new Map<StateKey, Pdu>([...state].map(([key, id]) => [key, events.get(id)!]));
    const verdict = checkStateDependentAuthRules(join, stateEvents, rules);
    if (!verdict.allowed) throw forbidden(`The room's state does not allow the join: ${verdict.reason}`);

    await roomQueue.run(roomId, (ctx) => {
      if (!storage.rooms.get(roomId)) storage.rooms.insert(roomId, rules.id, create.sender, deps.clock.now());
      const head = roomHeads.get(roomId) ?? roomHeads.start(roomId, rules.id);
      for (const event of ordered) {
        if (storage.events.get(event.event_id)) continue;
        deps.persister.persist(head, { pdu: event, stateBefore: null, outlier: true, rejectedReason: rejected.get(event.event_id) });
      }
      const group = deps.roomState.groupForState(roomId, state, head.stateGroup);
      const persisted = deps.persister.persist(head, { pdu: join, stateBefore: group });
      // After a rejoin, what we held from before is history: the room goes on from our join.
      const stale = head.extremities.filter((id) => id !== join.event_id);
      if (stale.length > 0) {
        storage.events.replaceExtremities(roomId, stale, join.event_id);
        head.extremities = [join.event_id];
      }
      ctx.afterCommit(() => deps.notifier.wakeUsers(persisted.wake));
    });
  }

  return { apply };
}
export type JoinAnswers = ReturnType<typeof createJoinAnswers>;
