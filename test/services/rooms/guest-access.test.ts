// Spec "Guest access": who must leave a room once its m.room.guest_access stops letting guests join,
// and the server making them leave when a change of the room's state does so.
import { expect, test } from "bun:test";
import type { Requester } from "../../../src/services/accounts/access-tokens";
import { testServices } from "../../helpers/services";
import type { JsonObject } from "../../../src/core/types";
import { guestsCanJoin, guestsToRemove } from "../../../src/services/rooms/guest-access";

const members = [
  { userId: "@guest-joined:hs", membership: "join" },
  { userId: "@guest-invited:hs", membership: "invite" },
  { userId: "@guest-left:hs", membership: "leave" },
  { userId: "@guest-banned:hs", membership: "ban" },
  { userId: "@guest-knocking:hs", membership: "knock" },
  { userId: "@user:hs", membership: "join" },
  { userId: "@remote-guest:elsewhere", membership: "join" },
];
const isLocalGuest = (userId: string) => userId.startsWith("@guest-");

test("only `can_join` lets guests join; absent, forbidden, unknown or malformed content does not", () => {
  expect(guestsCanJoin({ guest_access: "can_join" })).toBe(true);
  const others: Array<JsonObject | undefined> = [undefined, {}, { guest_access: "forbidden" }, { guest_access: "CAN_JOIN" }, { guest_access: ["can_join"] }];
  for (const content of others) {
    expect(guestsCanJoin(content)).toBe(false);
  }
});

test("while guests can join, nobody is removed", () => {
  expect(guestsToRemove({ guest_access: "can_join" }, members, isLocalGuest)).toEqual([]);
});

test("once guests cannot join, local guests who are joined or invited are removed; nobody else is", () => {
  const expected = ["@guest-joined:hs", "@guest-invited:hs"];
  expect(guestsToRemove({ guest_access: "forbidden" }, members, isLocalGuest)).toEqual(expected);
  // A removed event or an unknown value means the same as `forbidden`.
  expect(guestsToRemove(undefined, members, isLocalGuest)).toEqual(expected);
  expect(guestsToRemove({ guest_access: "sometimes" }, members, isLocalGuest)).toEqual(expected);
});

test("a change to `forbidden` makes joined and invited local guests leave, by their own leave", async () => {
  const { services, storage } = await testServices();
  const user = (name: string, isGuest: boolean): Requester => {
    storage.accounts.insertUser({ userId: `@${name}:localhost`, passwordHash: null, displayname: null, isGuest, createdTs: 0 });
    return { userId: `@${name}:localhost`, deviceId: "DEV", isGuest };
  };
  const admin = user("admin", false);
  const member = user("member", false);
  const [joined, invited] = [user("g1", true), user("g2", true)];
  // A private room: guests may join (preset `private_chat`), and the members invite.
  const { room_id: roomId } = await services.rooms.creation.createRoom(admin, { preset: "private_chat", invite: [member.userId, joined.userId, invited.userId] });
  for (const who of [member, joined]) await services.membership.join(who, roomId);
  const membershipOf = (u: Requester) => storage.memberships.get(roomId, u.userId)?.membership;

  // Another state change, or guest access set to what it already allows, removes nobody.
  await services.rooms.actions.setState(admin, roomId, "m.room.topic", "", { topic: "t" });
  await services.rooms.actions.setState(admin, roomId, "m.room.guest_access", "", { guest_access: "can_join" });
  await services.rooms.actions.sendMessage(admin, roomId, "m.room.message", "after-1", { body: "x" });
  expect([membershipOf(joined), membershipOf(invited)]).toEqual(["join", "invite"]);

  await services.rooms.actions.setState(admin, roomId, "m.room.guest_access", "", { guest_access: "forbidden" });
  // The removal is queued behind the change; a later write to the room runs after it.
  await services.rooms.actions.sendMessage(admin, roomId, "m.room.message", "after-2", { body: "x" });
  expect([membershipOf(joined), membershipOf(invited), membershipOf(member), membershipOf(admin)]).toEqual(["leave", "leave", "join", "join"]);
  for (const guest of [joined, invited]) {
    expect(storage.events.get(storage.memberships.get(roomId, guest.userId)!.event_id)!.sender).toBe(guest.userId);
  }
  // And the guest cannot come back while guests are barred.
  await expect(services.membership.join(joined, roomId)).rejects.toMatchObject({ errcode: "M_GUEST_ACCESS_FORBIDDEN" });
});
