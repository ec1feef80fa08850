/**
 * Step 1 of state res v2: the power events of the full conflicted set, with the parts of their
 * auth chains inside that set, in reverse topological power ordering (Kahn's algorithm, picking
 * the highest-powered sender, then the earliest `origin_server_ts`, then the smallest event id).
 */
import { powerLevelFrom } from "../auth/power-levels.ts";
import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu } from "../types.ts";
import type { EventIndex } from "./event-index.ts";
import { MinHeap } from "./min-heap.ts";
import { roomCreateEventOf } from "./room-create.ts";

/**
 * Events that may take rights away: power levels, join rules, kicks and bans (and, as Synapse and
 * ruma count it, the create event).
 */
export function isPowerEvent(event: Pdu): boolean {
  if (event.state_key === "") {
    return event.type === "m.room.power_levels" || event.type === "m.room.join_rules" || event.type === "m.room.create";
  }
  if (event.type !== "m.room.member") return false;
  const membership = event.content.membership;
  return (membership === "leave" || membership === "ban") && event.sender !== event.state_key;
}

/**
 * Kahn's algorithm from the events with no auth events among `nodes` up: at each step the
 * smallest ready node under `less`. `childrenOf` gives a node's auth events within `nodes`.
 */
export function lexicographicalTopologicalSort(
  nodes: readonly number[],
  childrenOf: (node: number) => readonly number[],
  less: (a: number, b: number) => boolean,
): number[] {
  const pendingChildren = new Map<number, number>();
  const parents = new Map<number, number[]>();
  const ready = new MinHeap<number>(less);
  for (const node of nodes) {
    const children = childrenOf(node);
    pendingChildren.set(node, children.length);
    if (children.length === 0) ready.push(node);
    for (const child of children) {
      const list = parents.get(child);
      if (list) list.push(node);
      else parents.set(child, [node]);
    }
  }
  const sorted: number[] = [];
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    sorted.push(node);
    for (const parent of parents.get(node) ?? []) {
      const left = pendingChildren.get(parent)! - 1;
      pendingChildren.set(parent, left);
      if (left === 0) ready.push(parent);
    }
  }
  return sorted;
}

export function sortPowerEvents(
  index: EventIndex,
  inFullConflictedSet: readonly boolean[],
  powerEvents: readonly number[],
  rules: RoomVersionRules,
): number[] {
  // The power events and their auth ancestry within the full conflicted set.
  const inGraph: boolean[] = [];
  const nodes: number[] = [];
  const stack = [...powerEvents];
  while (stack.length > 0) {
    const event = stack.pop()!;
    if (inGraph[event]) continue;
    inGraph[event] = true;
    nodes.push(event);
    for (const authEvent of index.authOf(event)) if (inFullConflictedSet[authEvent] && !inGraph[authEvent]) stack.push(authEvent);
  }
  const childrenOf = (event: number) => index.authOf(event).filter((authEvent) => inFullConflictedSet[authEvent] === true);

  // The sender's power as the event's own auth events grant it.
  const senderPower = new Map<number, number>();
  for (const event of nodes) {
    const powerLevels = index.authEventOfType(event, "m.room.power_levels");
    const create = roomCreateEventOf(index, event, rules);
    senderPower.set(
      event,
      powerLevelFrom(index.events[event]!.sender, index.eventAt(powerLevels), index.eventAt(create), rules),
    );
  }
  return lexicographicalTopologicalSort(nodes, childrenOf, (a, b) => {
    const powerA = senderPower.get(a)!;
    const powerB = senderPower.get(b)!;
    if (powerA !== powerB) return powerA > powerB;
    return comesFirstByTimeAndId(index, a, b);
  });
}

/** The shared tie-break: earlier `origin_server_ts`, then the smaller event id. */
export function comesFirstByTimeAndId(index: EventIndex, a: number, b: number): boolean {
  const tsA = index.events[a]!.origin_server_ts;
  const tsB = index.events[b]!.origin_server_ts;
  if (tsA !== tsB) return tsA < tsB;
  return index.eventIds[a]! < index.eventIds[b]!;
}
