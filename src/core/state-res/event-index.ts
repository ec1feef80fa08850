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
  /**
   * Each distinct `(type, state_key)` gets a small number when its first event is indexed: state
   * maps are keyed by these, since string-keyed maps of 100k entries cost far more.
   */
  private readonly keyOfEvent: number[] = [];
  /** type -> state_key -> key number: no joined string is built per event. */
  private readonly keyNumbers = new Map<string, Map<string, number>>();
  private readonly keyParts: Array<[type: string, stateKey: string]> = [];
  private readonly keyNames: Array<StateKey | undefined> = [];

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
    this.keyOfEvent.push(typeof event.state_key === "string" ? this.numberKey(event.type, event.state_key) : MISSING);
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

  /** The number of an event's `(type, state_key)`, or -1 for a non-state event. */
  keyOf(index: number): number {
    return this.keyOfEvent[index]!;
  }

  /** The number of a state key, if any indexed event has it. */
  keyNumber(stateKey: StateKey): number | undefined {
    const separator = stateKey.indexOf("\u0000");
    return this.keyNumbers.get(stateKey.slice(0, separator))?.get(stateKey.slice(separator + 1));
  }

  /** The `(type, state_key)` of a key number, joined the way the auth rules look state up. */
  keyName(key: number): StateKey {
    let name = this.keyNames[key];
    if (name === undefined) {
      const [type, stateKey] = this.keyParts[key]!;
      this.keyNames[key] = name = stateKeyOf(type, stateKey);
    }
    return name;
  }

  get keyCount(): number {
    return this.keyParts.length;
  }

  private numberKey(type: string, stateKey: string): number {
    let byStateKey = this.keyNumbers.get(type);
    if (!byStateKey) this.keyNumbers.set(type, (byStateKey = new Map()));
    let key = byStateKey.get(stateKey);
    if (key === undefined) {
      key = this.keyParts.push([type, stateKey]) - 1;
      byStateKey.set(stateKey, key);
    }
    return key;
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
