/**
 * The presence stream (spec "Presence"): the presence of everyone who shares a room with the
 * user; all of it on an initial sync, what changed since the token otherwise.
 */
import { projectEventFields } from "../../../core/filter";
import type { PresenceService } from "../../edus/presence";
import type { MembershipView } from "../../rooms/membership-view";
import type { SyncStream } from "./stream";

export function presenceStream(presence: PresenceService, members: MembershipView): SyncStream {
  return {
    key: "presence",
    position: () => presence.position(),
    section(req, since, to) {
      let rows;
      if (since === undefined) {
        rows = presence.of([...members.usersSharingRooms(req.userId)], to);
      } else {
        rows = presence.changedSince(since, to);
        if (rows.length > 0) {
          const visible = members.usersSharingRooms(req.userId);
          rows = rows.filter((r) => visible.has(r.user_id));
        }
      }
      const { filter } = req;
      const events = rows
        .map((r) => presence.event(r))
        .filter((e) => filter.presence.matches({ type: "m.presence", sender: e.sender as string }))
        .map((e) => (filter.eventFields ? projectEventFields(e, filter.eventFields) : e));
      return { fields: { presence: { events } }, news: events.length > 0 };
    },
  };
}
