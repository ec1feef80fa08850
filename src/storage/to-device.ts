/**
 * Send-to-device inboxes: messages waiting for each local device, numbered by the to-device
 * stream in arrival order. Delivery never deletes; acknowledgement (a later sync whose token is
 * past a message) does. Also remembers the message ids of m.direct_to_device EDUs received, so a
 * message resent in a new transaction is delivered once.
 */
import type { Database } from "bun:sqlite";
import type { StreamPositions } from "./stream-positions";

export interface NewToDeviceMessage {
  userId: string;
  deviceId: string;
  sender: string;
  type: string;
  /** The content as JSON text. */
  content: string;
}

export interface ToDeviceRow {
  stream_id: number;
  sender: string;
  type: string;
  content: string;
}

const INSERT = "INSERT INTO to_device_messages (stream_id, user_id, device_id, sender, type, content) VALUES (?, ?, ?, ?, ?, ?)";
const SELECT_PENDING = `
  SELECT stream_id, sender, type, content FROM to_device_messages
  WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id LIMIT ?`;
const OLDEST = "SELECT MIN(stream_id) AS oldest FROM to_device_messages WHERE user_id = ? AND device_id = ?";
const DELETE_UP_TO = "DELETE FROM to_device_messages WHERE user_id = ? AND device_id = ? AND stream_id <= ?";
const INSERT_INBOUND = "INSERT INTO to_device_inbound (origin, message_id, received_ts) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
const DELETE_INBOUND_BEFORE = "DELETE FROM to_device_inbound WHERE received_ts < ?";

export function createToDeviceRepo(db: Database, streams: StreamPositions) {
  return {
    /**
     * Queues messages (each recipient device must exist) and returns the stream position of the
     * last one, or undefined when there were none.
     */
    enqueue(messages: readonly NewToDeviceMessage[]): number | undefined {
      if (messages.length === 0) return undefined;
      return db.transaction(() => {
        const last = streams.nextMany("to_device", messages.length);
        const insert = db.query(INSERT);
        let id = last - messages.length;
        for (const m of messages) insert.run(++id, m.userId, m.deviceId, m.sender, m.type, m.content);
        return last;
      })();
    },
    /** Up to `limit` messages for the device in (after, upTo], oldest first. */
    pending(userId: string, deviceId: string, after: number, upTo: number, limit: number): ToDeviceRow[] {
      return db.query<ToDeviceRow, [string, string, number, number, number]>(SELECT_PENDING).all(userId, deviceId, after, upTo, limit);
    },
    /** The position of the device's oldest waiting message, or null when its inbox is empty. */
    oldest(userId: string, deviceId: string): number | null {
      return db.query<{ oldest: number | null }, [string, string]>(OLDEST).get(userId, deviceId)?.oldest ?? null;
    },
    /** The device has received everything up to `upTo`: those messages are deleted. */
    acknowledge(userId: string, deviceId: string, upTo: number): number {
      return db.query(DELETE_UP_TO).run(userId, deviceId, upTo).changes;
    },
    position(): number {
      return streams.current("to_device");
    },
    /** Records an inbound EDU's message id; false when it was already received. */
    rememberInbound(origin: string, messageId: string, now: number): boolean {
      return db.query(INSERT_INBOUND).run(origin, messageId, now).changes > 0;
    },
    forgetInboundBefore(ts: number): void {
      db.query(DELETE_INBOUND_BEFORE).run(ts);
    },
  };
}
export type ToDeviceRepo = ReturnType<typeof createToDeviceRepo>;
