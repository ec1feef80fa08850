// Two real matrix-js-sdk clients (createClient + startClient, the SDK's own /sync loop) in one
// room: each sees the other's messages, typing start and stop, and read receipts within a second.
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  ClientEvent,
  RoomEvent,
  RoomMemberEvent,
  type MatrixClient,
  type MatrixEvent,
  type RoomMember,
} from "matrix-js-sdk";
import { registerUser } from "../helpers/client";
import { startSdkClient } from "../helpers/js-sdk";
import { serverForTests } from "../helpers/server";

const server = serverForTests();
const withinMs = 1_000;

let alice: MatrixClient;
let bob: MatrixClient;
let roomId: string;

async function startedClient(name: string): Promise<MatrixClient> {
  return startSdkClient(server.baseUrl, await registerUser(server.baseUrl, name));
}

/** Resolves with the first value `listen` reports that `accept` takes, and how long it took. */
function within<T>(listen: (report: (value: T) => void) => () => void, accept: (value: T) => boolean): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`not seen within ${withinMs * 5} ms`));
    }, withinMs * 5);
    const stop = listen((value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      stop();
      resolve({ value, ms: performance.now() - started });
    });
  });
}

function timelineOf(client: MatrixClient) {
  return (report: (event: MatrixEvent) => void) => {
    const onEvent = (event: MatrixEvent) => report(event);
    client.on(RoomEvent.Timeline, onEvent);
    return () => void client.off(RoomEvent.Timeline, onEvent);
  };
}

function typingOf(client: MatrixClient) {
  return (report: (member: RoomMember) => void) => {
    const onTyping = (_event: MatrixEvent, member: RoomMember) => report(member);
    client.on(RoomMemberEvent.Typing, onTyping);
    return () => void client.off(RoomMemberEvent.Typing, onTyping);
  };
}

function receiptsOf(client: MatrixClient) {
  return (report: (event: MatrixEvent) => void) => {
    const onReceipt = (event: MatrixEvent) => report(event);
    client.on(RoomEvent.Receipt, onReceipt);
    return () => void client.off(RoomEvent.Receipt, onReceipt);
  };
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([startedClient("alice"), startedClient("bob")]);
  const bobSeesRoom = within(
    (report: (id: string) => void) => {
      const onRoom = (room: { roomId: string }) => report(room.roomId);
      bob.on(ClientEvent.Room, onRoom);
      return () => void bob.off(ClientEvent.Room, onRoom);
    },
    () => true,
  );
  roomId = (await alice.createRoom({ preset: "public_chat" as never, name: "js-sdk" })).room_id;
  await bob.joinRoom(roomId);
  await bobSeesRoom;
});

afterAll(() => {
  alice?.stopClient();
  bob?.stopClient();
});

test("each client sees the other's messages", async () => {
  const toBob = within(timelineOf(bob), (e) => e.getType() === "m.room.message" && e.getContent().body === "hello bob");
  await alice.sendTextMessage(roomId, "hello bob");
  const seenByBob = await toBob;
  expect(seenByBob.ms).toBeLessThan(withinMs);
  expect(seenByBob.value.getSender()).toBe(alice.getUserId()!);

  const toAlice = within(timelineOf(alice), (e) => e.getType() === "m.room.message" && e.getContent().body === "hello alice");
  await bob.sendTextMessage(roomId, "hello alice");
  const seenByAlice = await toAlice;
  expect(seenByAlice.ms).toBeLessThan(withinMs);
  expect(bob.getRoom(roomId)!.timeline.map((e) => e.getContent().body).filter(Boolean)).toContain("hello bob");
});

test("typing starts and stops on the other client", async () => {
  const bobId = bob.getUserId()!;
  const starts = within(typingOf(alice), (m) => m.userId === bobId && m.typing);
  await bob.sendTyping(roomId, true, 30_000);
  expect((await starts).ms).toBeLessThan(withinMs);
  expect(alice.getRoom(roomId)!.getMember(bobId)!.typing).toBe(true);

  const stops = within(typingOf(alice), (m) => m.userId === bobId && !m.typing);
  await bob.sendTyping(roomId, false, 0);
  expect((await stops).ms).toBeLessThan(withinMs);
  expect(alice.getRoom(roomId)!.getMember(bobId)!.typing).toBe(false);
});

test("read receipts reach the other client", async () => {
  const toBob = within(timelineOf(bob), (e) => e.getContent().body === "read me");
  await alice.sendTextMessage(roomId, "read me");
  const event = (await toBob).value;
  const bobId = bob.getUserId()!;
  const seen = within(receiptsOf(alice), () => alice.getRoom(roomId)!.getUsersReadUpTo(event).includes(bobId));
  await bob.sendReadReceipt(event);
  expect((await seen).ms).toBeLessThan(withinMs);
  expect(alice.getRoom(roomId)!.getEventReadUpTo(bobId)).toBe(event.getId()!);
});
