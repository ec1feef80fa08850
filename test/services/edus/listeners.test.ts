// The change listeners the federation sender subscribes to: typing starts and stops (by request and
// by expiry) and stored receipts, each told once, with room, user and what changed.
import { beforeAll, expect, test } from "bun:test";
import type { Requester } from "../../../src/services/accounts/access-tokens";
import type { ReceiptChange } from "../../../src/services/edus/receipts";
import type { TypingChange } from "../../../src/services/edus/typing";
import { testServices } from "../../helpers/services";

const alice: Requester = { userId: "@alice:localhost", deviceId: "ADEV", isGuest: false };
const bob: Requester = { userId: "@bob:localhost", deviceId: "BDEV", isGuest: false };
let services: Awaited<ReturnType<typeof testServices>>["services"];
let storage: Awaited<ReturnType<typeof testServices>>["storage"];
let advance: (ms: number) => void;
let roomId: string;

beforeAll(async () => {
  ({ services, storage, advance } = await testServices());
  roomId = (await services.rooms.creation.createRoom(alice, { preset: "public_chat" })).room_id;
  await services.membership.join(bob, roomId);
});

test("typing: start, refresh (silent), expiry, start again and explicit stop", async () => {
  const changes: TypingChange[] = [];
  const unsubscribe = services.edus.typing.onChange((c) => changes.push(c));
  services.edus.typing.setTyping(alice, roomId, alice.userId, true, 40);
  services.edus.typing.setTyping(alice, roomId, alice.userId, true, 40);
  advance(39);
  expect(changes).toHaveLength(1);
  advance(1); // the expiry
  services.edus.typing.setTyping(bob, roomId, bob.userId, true, 30_000);
  services.edus.typing.setTyping(bob, roomId, bob.userId, false);
  services.edus.typing.setTyping(bob, roomId, bob.userId, false);
  unsubscribe();
  services.edus.typing.setTyping(alice, roomId, alice.userId, true, 30_000);
  services.edus.typing.setTyping(alice, roomId, alice.userId, false);
  expect(changes).toEqual([
    { roomId, userId: alice.userId, typing: true },
    { roomId, userId: alice.userId, typing: false },
    { roomId, userId: bob.userId, typing: true },
    { roomId, userId: bob.userId, typing: false },
  ]);
});

test("receipts: each stored receipt is told with its type and thread; ignored ones are not", async () => {
  const changes: ReceiptChange[] = [];
  services.edus.receipts.onChange((c) => changes.push(c));
  const eventId = storage.memberships.get(roomId, bob.userId)!.event_id;
  const earlier = storage.memberships.get(roomId, alice.userId)!.event_id;
  services.edus.receipts.postReceipt(bob, roomId, "m.read", eventId, {});
  services.edus.receipts.postReceipt(bob, roomId, "m.read", earlier, {});
  services.edus.receipts.postReceipt(bob, roomId, "m.read.private", eventId, { thread_id: "main" });
  expect(changes).toEqual([
    { roomId, userId: bob.userId, receiptType: "m.read", eventId, threadId: undefined, ts: expect.any(Number) },
    { roomId, userId: bob.userId, receiptType: "m.read.private", eventId, threadId: "main", ts: expect.any(Number) },
  ]);
});
