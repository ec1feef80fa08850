/**
 * The events a state resolution touches, fetched once each and numbered, so the graph walks work
 * on small integers and arrays instead of strings and maps. Auth references that cannot be
 * fetched are left out of the graph (an event we cannot see cannot vouch for anything).
 */
import type { Pdu, StateKey } from "../types.ts";
import { refId, stateKeyOf } from "../types.ts";

export type FetchEvent = (eventId: string) => Pdu | undefined;

const MISSING = -1;

export class EventIndex {
  private readonly indices = new Map<string, number>();
  readonly events: Pdu[] = [];
  readonly eventIds: string[] = [];
  private readonly authIndices: Array<number[] | undefined> = [];
  private readonly roomCreates = new Map<string, number>();
  /** Each event's `(type, state_key)`, built once so map lookups reuse one hashed string. */
  private readonly stateKeys: Array<StateKey | undefined> = [];

  constructor(private readonly fetchEvent: FetchEvent) {}

  get size(): number {
    return this.events.length;
  }

  /** The number of an event, or -1 if it cannot be fetched. */
  indexOf(eventId: string): number {
    const known = this.indices.get(eventId);
    if (known !== undefined) return known;
    const event = this.fetchEvent(eventId);
    if (!event) {
      this.indices.set(eventId, MISSING);
      return MISSING;
    }
    const index = this.events.length;
    this.events.push(event);
    this.eventIds.push(eventId);
    this.authIndices.push(undefined);
    this.stateKeys.push(typeof event.state_key === "string" ? stateKeyOf(event.type, event.state_key) : undefined);
    this.indices.set(eventId, index);
    return index;
  }

  /** The event with this number, or undefined for -1. */
  eventAt(index: number): Pdu | undefined {
    return index < 0 ? undefined : this.events[index];
  }

  /** The numbers of an event's fetchable auth events. */
  authOf(index: number): number[] {
    let auth = this.authIndices[index];
    if (!auth) {
      auth = [];
      for (const ref of this.events[index]!.auth_events) {
        const authIndex = this.indexOf(refId(ref));
        if (authIndex !== MISSING) auth.push(authIndex);
      }
      this.authIndices[index] = auth;
    }
    return auth;
  }

  stateKeyOf(index: number): StateKey | undefined {
    return this.stateKeys[index];
  }

  /** since v12: the create event named by a room id (`!x` is the room of `$x`), or -1. */
  createEventOfRoom(roomId: string): number {
    let create = this.roomCreates.get(roomId);
    if (create === undefined) {
      create = this.indexOf(`$${roomId.slice(1)}`);
      this.roomCreates.set(roomId, create);
    }
    return create;
  }

  /** The first auth event of the given type with an empty state key (power levels, create). */
  authEventOfType(index: number, type: string): number {
    for (const authIndex of this.authOf(index)) {
      const event = this.events[authIndex]!;
      if (event.type === type && event.state_key === "") return authIndex;
    }
    return MISSING;
  }
}
