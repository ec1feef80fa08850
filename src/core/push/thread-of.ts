/**
 * Which thread an event's notification counts in (spec "Receiving notifications", v1.4+): the
 * root of the `m.thread` relation found by following the event's relations, or `main`. Like the
 * spec recommends, at most three relations are followed, so a reaction to a reply in a thread
 * counts in that thread.
 */
import { isJsonObject, type JsonObject } from "../types.ts";

export const MAIN_THREAD = "main";
const MAX_HOPS = 3;

/**
 * `contentOf` gives the content of an event this server holds (undefined if it has none): the
 * parents of relations other than `m.thread` are read through it.
 */
export function threadOf(content: JsonObject, contentOf: (eventId: string) => JsonObject | undefined): string {
  let relation = content["m.relates_to"];
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (!isJsonObject(relation) || typeof relation.event_id !== "string" || typeof relation.rel_type !== "string") return MAIN_THREAD;
    if (relation.rel_type === "m.thread") return relation.event_id;
    const parent = contentOf(relation.event_id);
    if (!parent) return MAIN_THREAD;
    relation = parent["m.relates_to"];
  }
  return MAIN_THREAD;
}
