/**
 * Event relationships (spec "Forming relationships between events"): the parent an event names in
 * `content["m.relates_to"]` and the type of that relationship. Rich replies (`m.in_reply_to`
 * alone) carry no `rel_type` and so are no relationship here.
 */
import { isJsonObject, type JsonObject } from "../types";

export interface Relation {
  relType: string;
  parentId: string;
}

export const THREAD = "m.thread";
export const REPLACE = "m.replace";
export const REFERENCE = "m.reference";

export function relationOf(content: JsonObject): Relation | undefined {
  const relatesTo = content["m.relates_to"];
  if (!isJsonObject(relatesTo)) return undefined;
  const { rel_type: relType, event_id: parentId } = relatesTo;
  if (typeof relType !== "string" || typeof parentId !== "string" || relType === "" || parentId === "") return undefined;
  return { relType, parentId };
}
