// Room heads are an LRU cache of at most `room_cache_capacity` rooms: with a capacity of 2 and five
// busy rooms, heads are evicted and reloaded all the time, and every room still grows one linear
// DAG with the right joined members and current state.
import { expect, test } from "bun:test";
import { refId, stateKeyOf } from "../../../src/core/types";
import type { Requester } from "../../../src/services/accounts/access-tokens";
import { setJoined, type RoomHead } from "../../../src/services/rooms/heads";
import { testServices } from "../../helpers/services";

const alice: Requester = { userId: "@alice:localhost", deviceId: "ADEV", isGuest: false };
const bob: Requester = { userId: "@bob:localhost", deviceId: "BDEV", isGuest: false };

test("with room_cache_capacity = 2, five rooms written in turn keep linear DAGs, members and state", async () => {
  const { services, storage, advance } = await testServices({ CONDUIT_ROOM_CACHE_CAPACITY: "2" });
  const rooms: string[] = [];
  for (let i = 0; i < 5; i++) {
    advance(1);
    const { room_id } = await services.rooms.creation.createRoom(alice, { preset: "public_chat" });
    await services.membership.join(bob, room_id);
    rooms.push(room_id);
  }
  expect(services.rooms.heads.size).toBe(2);

  // Rounds of concurrent sends into every room: each round touches five rooms through two slots.
  let bobLeft = false;
  for (let round = 0; round < 4; round++) {
    await Promise.all(
      rooms.flatMap((roomId, i) => [
        services.rooms.actions.sendMessage(alice, roomId, "m.room.message", `a${round}-${i}`, { msgtype: "m.text", body: `${round}` }),
        ...(bobLeft && i === 2 ? [] : [services.rooms.actions.sendMessage(bob, roomId, "m.room.message", `b${round}-${i}`, { body: `${round}` })]),
      ]),
    );
    // Membership and state change while the room's head is out of memory.
    if (round === 1) {
      await services.membership.leave(bob, rooms[2]!);
      bobLeft = true;
    }
    if (round === 2) await services.rooms.actions.setState(alice, rooms[3]!, "m.room.name", "", { name: "renamed" });
  }
  expect(services.rooms.heads.size).toBeLessThanOrEqual(2);

  for (const roomId of rooms) {
    const rows = storage.events.streamRangeDesc(roomId, 0, Number.MAX_SAFE_INTEGER, 1000).reverse();
    // One linear chain: every event cites exactly the one before it, one deeper.
    for (let i = 1; i < rows.length; i++) {
      const pdu = services.rooms.eventStore.getPdu(rows[i]!.event_id)!;
      expect(pdu.prev_events.map(refId)).toEqual([rows[i - 1]!.event_id]);
      expect(pdu.depth).toBe(rows[i - 1]!.depth + 1);
    }
    expect(storage.events.forwardExtremities(roomId)).toEqual([rows.at(-1)!.event_id]);

    // A head reloaded from storage agrees with what was written through the evicted ones.
    const head = services.rooms.heads.get(roomId)!;
    expect(head.extremities).toEqual([rows.at(-1)!.event_id]);
    expect(head.depth).toBe(rows.at(-1)!.depth);
    expect(head.stateGroup).toBe(storage.rooms.get(roomId)!.state_group);
    expect([...head.joined].sort()).toEqual(roomId === rooms[2] ? [alice.userId] : [alice.userId, bob.userId]);
    expect([...head.joinedServers]).toEqual([["localhost", head.joined.size]]);
  }
  // The rename was built on the reloaded current state and is in it.
  const nameId = services.rooms.state.stateOfGroup(storage.rooms.get(rooms[3]!)!.state_group!).get(stateKeyOf("m.room.name", ""))!;
  expect(services.rooms.eventStore.getPdu(nameId)!.content).toEqual({ name: "renamed" });
  // Bob left room 2 while its head was evicted: the server no longer lets him send there.
  await expect(services.rooms.actions.sendMessage(bob, rooms[2]!, "m.room.message", "late", { body: "x" })).rejects.toMatchObject({ errcode: "M_FORBIDDEN" });
});

test("a head evicted while still held is the one handed out again, so two copies never diverge", async () => {
  const { services, advance } = await testServices({ CONDUIT_ROOM_CACHE_CAPACITY: "1" });
  const { room_id: a } = await services.rooms.creation.createRoom(alice, {});
  advance(1);
  const { room_id: b } = await services.rooms.creation.createRoom(alice, {});
  const held = services.rooms.heads.get(a)!;
  services.rooms.heads.get(b);
  expect(services.rooms.heads.size).toBe(1);
  // A write through the held head (as a task between fetching it and persisting would make)...
  await services.rooms.actions.sendMessage(alice, a, "m.room.message", "t1", { body: "x" });
  expect(services.rooms.heads.get(a)).toBe(held);
  // ...is what the next fetch sees.
  services.rooms.heads.get(b);
  expect(services.rooms.heads.get(a)!.extremities).toEqual(held.extremities);
});

test("setJoined keeps the per-server counts in step with the members", () => {
  const head = { joined: new Set<string>(), joinedServers: new Map<string, number>() } as unknown as RoomHead;
  setJoined(head, "@a:one.example", true);
  setJoined(head, "@b:one.example", true);
  setJoined(head, "@b:one.example", true); // already joined: counted once
  setJoined(head, "@c:two.example", true);
  expect([...head.joinedServers]).toEqual([["one.example", 2], ["two.example", 1]]);
  setJoined(head, "@c:two.example", false);
  setJoined(head, "@a:one.example", false);
  setJoined(head, "@z:three.example", false); // never joined: nothing changes
  expect([...head.joinedServers]).toEqual([["one.example", 1]]);
  expect([...head.joined]).toEqual(["@b:one.example"]);
});
