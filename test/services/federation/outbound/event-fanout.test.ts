// Local events are queued for the room's other servers, read from the head's per-server counts;
// a room of local members only queues nothing.
import { expect, test } from "bun:test";
import { rulesFor, type Pdu } from "../../../../src/core";
import type { JsonObject } from "../../../../src/core/types";
import { createOutboundEvents } from "../../../../src/services/federation/outbound/event-fanout";
import type { OutboundQueue } from "../../../../src/services/federation/outbound/queue";
import { setJoined, type RoomHead } from "../../../../src/services/rooms/heads";

function headWith(members: string[]): RoomHead {
  const head: RoomHead = {
    roomId: "!r:ours.example",
    version: "11",
    rules: rulesFor("11"),
    extremities: [],
    depth: 1,
    stateGroup: null,
    joined: new Set(),
    joinedServers: new Map(),
  };
  for (const m of members) setJoined(head, m, true);
  return head;
}

function recordingQueue(): { queue: OutboundQueue; queued: string[][] } {
  const queued: string[][] = [];
  const queue: OutboundQueue = {
    queuePdu: (destinations: Iterable<string>, _pdu: JsonObject) => void queued.push([...destinations].sort()),
    queueEdu: () => {},
    contact: () => {},
  };
  return { queue, queued };
}

const pdu = (fields: Partial<Pdu>): Pdu =>
  ({ type: "m.room.message", room_id: "!r:ours.example", sender: "@a:ours.example", content: {}, depth: 2, prev_events: [], auth_events: [], origin_server_ts: 1, hashes: { sha256: "" }, ...fields }) as Pdu;

test("a room of local members only queues nothing", () => {
  const { queue, queued } = recordingQueue();
  createOutboundEvents(queue, "ours.example")(headWith(["@a:ours.example", "@b:ours.example"]), pdu({}));
  expect(queued).toEqual([]);
});

test("an event goes to every server with a joined member", () => {
  const { queue, queued } = recordingQueue();
  const head = headWith(["@a:ours.example", "@b:theirs.example", "@c:theirs.example", "@d:other.example"]);
  createOutboundEvents(queue, "ours.example")(head, pdu({}));
  expect(queued).toEqual([["other.example", "ours.example", "theirs.example"]]);
});

test("a membership event of a remote user in a local room reaches the target's server", () => {
  const { queue, queued } = recordingQueue();
  const head = headWith(["@a:ours.example"]);
  createOutboundEvents(queue, "ours.example")(head, pdu({ type: "m.room.member", state_key: "@x:theirs.example", content: { membership: "ban" } }));
  expect(queued).toEqual([["ours.example", "theirs.example"]]);
});

test("an invite does not go to the invitee's server by /send: it came there through /invite, for a room it may not hold", () => {
  const { queue, queued } = recordingQueue();
  const invite = pdu({ type: "m.room.member", state_key: "@x:theirs.example", content: { membership: "invite" } });
  createOutboundEvents(queue, "ours.example")(headWith(["@a:ours.example"]), invite);
  expect(queued).toEqual([]);
  // With another server in the room, it goes there, and to the invitee's server only if one of its users is joined.
  createOutboundEvents(queue, "ours.example")(headWith(["@a:ours.example", "@b:other.example"]), invite);
  createOutboundEvents(queue, "ours.example")(headWith(["@a:ours.example", "@y:theirs.example"]), invite);
  expect(queued).toEqual([["other.example", "ours.example"], ["ours.example", "theirs.example"]]);
});
