/**
 * Server-side aggregations (spec "Aggregations of child events"): what `unsigned["m.relations"]`
 * bundles for served events. `m.thread`: the latest reply (with its own aggregations), the reply
 * count and whether the reader took part; `m.reference`: the referencing events' ids;
 * `m.replace` (since v1.7): the most recent valid edit as a whole event, the original content left
 * as it is. Computed for a whole page at once: a fixed number of queries however long the page.
 */
import { REFERENCE, REPLACE, relationOf } from "../../core";
import { isJsonObject, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { EventRow } from "../../storage/events";

/** Formats one event, with `relations` as its `unsigned["m.relations"]` when given. */
export type FormatWithRelations = (row: EventRow, relations: JsonObject | undefined) => JsonObject;

const byOrder = (a: EventRow, b: EventRow) => a.depth - b.depth || a.stream_ordering - b.stream_ordering;

/** Edits compare by origin_server_ts, then by the lexicographically larger event id (spec). */
const newerEdit = (a: EventRow, b: EventRow) =>
  a.origin_server_ts !== b.origin_server_ts ? a.origin_server_ts > b.origin_server_ts : a.event_id > b.event_id;

export function createAggregations(deps: { storage: Storage; contentOf: (row: EventRow) => JsonObject }) {
  const { storage, contentOf } = deps;

  /** Spec "Validity of replacement events"; the original's sender, type and state key rule it. */
  function validEdit(original: EventRow, edit: EventRow): boolean {
    if (edit.sender !== original.sender || edit.type !== original.type) return false;
    if (original.state_key !== null || edit.state_key !== null || edit.redacted_by !== null) return false;
    if (relationOf(contentOf(original))?.relType === REPLACE) return false;
    // An encrypted edit carries m.new_content inside its ciphertext.
    return edit.type === "m.room.encrypted" || isJsonObject(contentOf(edit)["m.new_content"]);
  }

  return {
    /** `unsigned["m.relations"]` for each of `rows` that has any, by event id. */
    bundle(rows: readonly EventRow[], userId: string | undefined, format: FormatWithRelations): Map<string, JsonObject> {
      const out = new Map<string, JsonObject>();
      if (rows.length === 0) return out;
      const ids = rows.map((r) => r.event_id);
      const threads = new Map(storage.relations.threadSummaries(ids).map((t) => [t.root_id, t]));
      const participated = userId !== undefined && threads.size > 0 ? storage.relations.repliedTo([...threads.keys()], userId) : new Set<string>();
      const latest = [...threads.values()];

      const edits = new Map<string, EventRow[]>();
      const references = new Map<string, EventRow[]>();
      for (const child of storage.relations.childrenOf([...ids, ...latest.map((t) => t.event_id)], [REPLACE, REFERENCE])) {
        const into = child.rel_type === REPLACE ? edits : references;
        const list = into.get(child.relates_to);
        if (list) list.push(child);
        else into.set(child.relates_to, [child]);
      }

      /** m.replace and m.reference of one event. */
      const ownRelations = (row: EventRow): JsonObject | undefined => {
        const relations: JsonObject = {};
        // A redacted original bundles no edit (spec "Server-side aggregation of m.replace").
        if (row.redacted_by === null) {
          let edit: EventRow | undefined;
          for (const candidate of edits.get(row.event_id) ?? []) {
            if (validEdit(row, candidate) && (edit === undefined || newerEdit(candidate, edit))) edit = candidate;
          }
          if (edit) relations[REPLACE] = format(edit, undefined);
        }
        const refs = references.get(row.event_id);
        if (refs) relations[REFERENCE] = { chunk: refs.sort(byOrder).map((r) => ({ event_id: r.event_id })) };
        return Object.keys(relations).length > 0 ? relations : undefined;
      };

      for (const row of rows) {
        const relations = ownRelations(row) ?? {};
        const thread = threads.get(row.event_id);
        if (thread) {
          relations["m.thread"] = {
            latest_event: format(thread, ownRelations(thread)),
            count: thread.reply_count,
            current_user_participated: row.sender === userId || participated.has(row.event_id),
          };
        }
        if (Object.keys(relations).length > 0) out.set(row.event_id, relations);
      }
      return out;
    },
  };
}
export type Aggregations = ReturnType<typeof createAggregations>;
