/**
 * The receipts stream (spec "Receipts"): `m.receipt` in the ephemeral events of joined rooms:
 * what changed since the token, or every receipt of a room new to the client.
 */
import type { ReceiptRow } from "../../../storage/receipts";
import { receiptEvent, type ReceiptsService } from "../../edus/receipts";
import type { SyncStream } from "./stream";

export function receiptsStream(receipts: ReceiptsService): SyncStream {
  return {
    key: "receipts",
    position: () => receipts.position(),
    section(req, since, to) {
      const byRoom = new Map<string, ReceiptRow[]>();
      if (since !== undefined) {
        for (const row of receipts.changedSince(since, to)) {
          const list = byRoom.get(row.room_id) ?? [];
          list.push(row);
          byRoom.set(row.room_id, list);
        }
      }
      const matcher = req.filter.room.ephemeral;
      return {
        news: false,
        inRoom(roomId, full) {
          if (!matcher.allowsRoom(roomId) || !matcher.matches({ type: "m.receipt", room_id: roomId })) return undefined;
          const rows = full ? receipts.inRoom(roomId, to) : byRoom.get(roomId);
          const event = rows ? receiptEvent(rows, req.userId) : undefined;
          return event ? { ephemeral: [event] } : undefined;
        },
      };
    },
  };
}
