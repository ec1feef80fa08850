/**
 * The presence stream (spec "Presence"): the presence of everyone who shares a room with the
 * user; all of it on an initial sync, otherwise what changed since the token and the presence of
 * whoever started sharing a room with the user meanwhile.
 */
import { projectEventFields } from "../../../core/filter";
import type { PresenceService } from "../../edus/presence";
import type { MembershipView } from "../../rooms/membership-view";
import type { JsonObject } from "../../../core/types";
import type { SyncStream } from "./stream";

export function presenceStream(presence: PresenceService, members: MembershipView): SyncStream {
  return {
    key: "presence",
    position: () => presence.position(),
    section(req, since, to) {
      let all: JsonObject[];
      if (since === undefined) {
        all = presence.of([...members.usersSharingRooms(req.userId)], to).map((r) => presence.event(r));
      } else {
        let rows = presence.changedSince(since, to);
        if (rows.length > 0) {
          const visible = members.usersSharingRooms(req.userId);
          rows = rows.filter((r) => visible.has(r.user_id));
        }
        all = rows.map((r) => presence.event(r));
        // New company (a room joined, someone joining one): their presence as it is, changed or not.
        const { since: from, to: until } = req.roomEvents;
        if (from !== undefined) {
          const listed = new Set(rows.map((r) => r.user_id));
          const joined = [...members.companyChanges(req.userId, from, until).joined].filter((u) => u !== req.userId && !listed.has(u));
          if (joined.length > 0) all.push(...presence.eventsOf(joined, to));
        }
      }
      const { filter } = req;
      const events = all
        .filter((e) => filter.presence.matches({ type: "m.presence", sender: e.sender as string }))
        .map((e) => (filter.eventFields ? projectEventFields(e, filter.eventFields) : e));
      return { fields: { presence: { events } }, news: events.length > 0 };
    },
  };
}
