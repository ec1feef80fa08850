/**
 * The account data stream (spec "Client Config"): global account data in `account_data`, a
 * room's account data in that room's section. `m.push_rules` is account data the push area
 * keeps (spec "Push Rules: Events"): in every initial sync, and whenever the rules change.
 */
import { projectEventFields } from "../../../core/filter";
import type { JsonObject } from "../../../core/types";
import { GLOBAL_ROOM } from "../../../storage/account-data";
import type { AccountDataService } from "../../accounts/account-data";
import type { PushRulesService } from "../../push/rules";
import type { SyncStream } from "./stream";

export function accountDataStream(accountData: AccountDataService, pushRules: Pick<PushRulesService, "accountDataEvent">): SyncStream {
  return {
    key: "account_data",
    position: () => accountData.position(),
    section(req, since, to) {
      const { filter } = req;
      const project = (e: JsonObject) => (filter.eventFields ? projectEventFields(e, filter.eventFields) : e);
      const global: JsonObject[] = [];
      const byRoom = new Map<string, JsonObject[]>();
      for (const row of accountData.changedSince(req.userId, since ?? 0, to)) {
        const event = { type: row.type, content: JSON.parse(row.content) as JsonObject };
        if (row.room_id === GLOBAL_ROOM) {
          if (filter.accountData.matches(event)) global.push(project(event));
        } else if (filter.room.accountData.matches({ ...event, room_id: row.room_id })) {
          const list = byRoom.get(row.room_id) ?? [];
          list.push(project(event));
          byRoom.set(row.room_id, list);
        }
      }
      const rules = pushRules.accountDataEvent(req.userId, since, to);
      if (rules && filter.accountData.matches(rules)) global.push(project(rules));
      return {
        fields: { account_data: { events: global } },
        news: global.length > 0,
        inRoom: (roomId) => ({ accountData: byRoom.get(roomId) }),
      };
    },
  };
}
