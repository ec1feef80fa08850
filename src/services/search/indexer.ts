/**
 * Keeps the full-text index in the write path: every event entering a timeline is indexed in the
 * persisting transaction when it carries searchable text (spec "Server Side Search": the keys
 * `content.body` of m.room.message, `content.name` of m.room.name, `content.topic` of
 * m.room.topic). Encrypted rooms send m.room.encrypted, so nothing of them is indexed.
 */
import { indexableText } from "../../core/search/text";
import type { Pdu } from "../../core/types";
import type { Storage } from "../../storage";
import type { SearchText } from "../../storage/search";
import type { EventPersister } from "../rooms/persister";

/** What of an event the index holds, or undefined when nothing of it is searchable. */
export function searchableText(pdu: Pdu): SearchText | undefined {
  const text = (key: "body" | "name" | "topic") => {
    const value = pdu.content[key];
    return typeof value === "string" && value.trim() !== "" ? indexableText(value) : undefined;
  };
  const state = pdu.state_key === "";
  if (pdu.type === "m.room.message" && pdu.state_key === undefined) return wrap({ body: text("body") });
  if (pdu.type === "m.room.name" && state) return wrap({ name: text("name") });
  if (pdu.type === "m.room.topic" && state) return wrap({ topic: text("topic") });
  return undefined;
}

const wrap = (t: SearchText): SearchText | undefined => (t.body ?? t.name ?? t.topic ? t : undefined);

export function indexTimelineEvents(storage: Storage, persister: EventPersister): void {
  persister.onTimelineEvent(({ head, pdu, stream }) => {
    const text = searchableText(pdu);
    if (text) storage.search.index(stream, head.roomId, text);
  });
}
