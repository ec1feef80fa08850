/**
 * Bridges stored state (event ids) to the auth rules, which look at PDUs: picks the entries of a
 * state map that the rules need and loads their PDUs.
 */
import type { Pdu, StateKey } from "../../core/types";
import type { EventStore } from "./event-store";
import type { StateMap } from "./state";

export function authMapOf(state: StateMap, store: EventStore, keys: Iterable<StateKey>): Map<StateKey, Pdu> {
  const out = new Map<StateKey, Pdu>();
  for (const key of keys) {
    const id = state.get(key);
    const pdu = id === undefined ? null : store.getPdu(id);
    if (pdu) out.set(key, pdu);
  }
  return out;
}
