// Events that arrive with predecessors the receiver never saw: a short gap is filled with
// get_missing_events (the missing events land in the timeline, in order), a long one by asking for
// the state at the oldest missing event (/state_ids, /event). The sender here is an in-process
// server whose outbound queue is stopped, so its events exist only on its side until the test
// hands the newest one to the receiver; what is still missing comes later through backfill.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { wireForm, type JsonObject } from "../../../../src/core";
import { rulesFor } from "../../../../src/core";
import { api, type Session } from "../../../helpers/client";
import { say, texts, timeline } from "../../../helpers/federated-rooms";
import {
  startRoomWithInProcessGuest,
  type FederatedServer,
  type InProcessServer,
  type RoomWithInProcessGuest,
} from "../../../helpers/federation";

let pair: RoomWithInProcessGuest;
let a: FederatedServer;
let c: InProcessServer;
let alice: Session;
let carol: Session;
let roomId: string;

beforeAll(async () => {
  pair = await startRoomWithInProcessGuest({ owner: "alice", guest: "carol" });
  ({ a, c, owner: alice, guest: carol, roomId } = pair);
  // From now on C's events stay in its queue: the receiver learns of them only as the test says.
  await c.sender.stop();
});
afterAll(() => pair?.close());

/** Sends C's messages locally (persisted on C only) and hands the newest to A over /send. */
async function gapOf(count: number, prefix: string): Promise<{ bodies: string[]; newest: string }> {
  const bodies = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  let newest = "";
  for (const body of bodies) newest = await say(c, carol, roomId, body);
  const head = c.services.rooms.heads.get(roomId)!;
  const pdu = c.services.rooms.eventStore.getPdu(newest)!;
  const res = await c.services.federation.client.request<{ pdus: Record<string, JsonObject> }>(a.serverName, {
    method: "PUT",
    path: `/_matrix/federation/v1/send/gap-${prefix}`,
    body: { origin: c.serverName, origin_server_ts: Date.now(), pdus: [wireForm(pdu, rulesFor(head.version))] },
  });
  expect(res.pdus[newest]).toEqual({});
  return { bodies, newest };
}

test("a short gap is filled with get_missing_events: everything lands in order", async () => {
  const { bodies } = await gapOf(5, "short");
  expect(texts(await timeline(a, alice, roomId)).filter((t) => t.startsWith("short"))).toEqual(bodies);
});

test("a long gap: the newest events come through get_missing_events, the state at the rest through /state_ids", async () => {
  // C's display name changes in the part of the gap that is never fetched event by event.
  expect((await api(c.baseUrl, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(carol.user_id)}/displayname`, {
    token: carol.access_token,
    body: { displayname: "Carol in the gap" },
  })).status).toBe(200);
  const { bodies, newest } = await gapOf(15, "long");
  // Before anyone reads: the newest event and the 10 get_missing_events brought are in the graph;
  // the event just before them was fetched for its state only (an outlier).
  const db = new Database(join(a.dataDir, "conduit.db"), { readonly: true });
  const rows = db
    .query<{ body: string; outlier: number }, [string]>(
      "SELECT json_extract(json, '$.content.body') AS body, outlier FROM events WHERE room_id = ? AND type = 'm.room.message'",
    )
    .all(roomId)
    .filter((r) => r.body.startsWith("long"));
  db.close();
  const inGraph = rows.filter((r) => r.outlier === 0).map((r) => r.body).sort((x, y) => Number(x.slice(4)) - Number(y.slice(4)));
  expect(inGraph).toEqual(bodies.slice(4));
  expect(rows.filter((r) => r.outlier === 1).map((r) => r.body)).toEqual(["long3"]);
  // Paging back through /messages fills the rest in (backfill), in order.
  expect(texts(await timeline(a, alice, roomId)).filter((t) => t.startsWith("long"))).toEqual(bodies);
  // The state from the unfetched part is known all the same.
  const member = await api<{ displayname: string }>(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(carol.user_id)}`, {
    token: alice.access_token,
  });
  expect(member.body.displayname).toBe("Carol in the gap");
  const event = await api(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(newest)}`, {
    token: alice.access_token,
  });
  expect(event.status).toBe(200);
});
