// Namespace matching and interest: regexes match from the start of an id, exclusivity and the
// sender user, local users only, rooms by id, alias or member, and private receipts.
import { expect, test } from "bun:test";
import {
  checkRegistration,
  compileAppservice,
  isExclusive,
  isInNamespace,
  isInterestedInEvent,
  isInterestedInRoom,
  isInterestedInUser,
  mayActAs,
  receiptsForAppservice,
  type Appservice,
  type RoomFacts,
} from "../../../src/core";

function appservice(namespaces: Record<string, { regex: string; exclusive: boolean }[]>): Appservice {
  const check = checkRegistration(
    { id: "irc", url: null, as_token: "as", hs_token: "hs", sender_localpart: "_irc_bot", namespaces },
    "example.org",
  );
  if (!check.ok) throw new Error(check.problem);
  return compileAppservice(check.registration, "example.org");
}

const irc = appservice({
  users: [
    { regex: "@_irc_.*:example\\.org", exclusive: true },
    { regex: "@shared_.*", exclusive: false },
  ],
  aliases: [{ regex: "#_irc_.*", exclusive: true }],
  rooms: [{ regex: "!bridged.*", exclusive: false }],
});

const room = (aliases: string[], localMembers: string[]): RoomFacts => ({ aliases: () => aliases, localMembers: () => localMembers });
const noRoom = room([], []);

test("a regex matches from the start of the id and need not reach its end", () => {
  expect(isInNamespace(irc, "users", "@_irc_alice:example.org")).toBe(true);
  expect(isInNamespace(irc, "users", "@x_irc_alice:example.org")).toBe(false);
  expect(isInNamespace(irc, "aliases", "#_irc_chan:example.org")).toBe(true);
  expect(isInNamespace(irc, "aliases", "#other:example.org")).toBe(false);
  // An alternation is anchored as a whole.
  const alt = appservice({ users: [{ regex: "@a_.*|@b_.*", exclusive: true }] });
  expect(isInNamespace(alt, "users", "@b_x:example.org")).toBe(true);
  expect(isInNamespace(alt, "users", "@cb_x:example.org")).toBe(false);
});

test("exclusive names: exclusive namespaces and the sender user, not the shared ones", () => {
  expect(isExclusive(irc, "users", "@_irc_alice:example.org")).toBe(true);
  expect(isExclusive(irc, "users", "@_irc_bot:example.org")).toBe(true);
  expect(isExclusive(irc, "users", "@shared_bob:example.org")).toBe(false);
  expect(isExclusive(irc, "aliases", "#_irc_chan:example.org")).toBe(true);
  expect(isExclusive(irc, "rooms", "!bridged1:example.org")).toBe(false);
});

test("the appservice acts as and is interested in local users of its namespace and its sender only", () => {
  expect(mayActAs(irc, "@_irc_bot:example.org")).toBe(true);
  expect(mayActAs(irc, "@shared_bob:example.org")).toBe(true);
  expect(mayActAs(irc, "@alice:example.org")).toBe(false);
  // `@shared_.*` has no server part, yet a remote user in it is not the appservice's.
  expect(mayActAs(irc, "@shared_bob:other.org")).toBe(false);
  expect(isInterestedInUser(irc, "@shared_bob:other.org")).toBe(false);
  expect(isInterestedInUser(irc, "@shared_bob:example.org.evil")).toBe(false);
});

test("interest in a room: by id, by alias, or by a local member in the users namespace", () => {
  expect(isInterestedInRoom(irc, "!bridged42:example.org", noRoom)).toBe(true);
  expect(isInterestedInRoom(irc, "!r:example.org", room(["#_irc_chan:example.org"], []))).toBe(true);
  expect(isInterestedInRoom(irc, "!r:example.org", room([], ["@alice:example.org", "@_irc_bob:example.org"]))).toBe(true);
  expect(isInterestedInRoom(irc, "!r:example.org", room(["#x:example.org"], ["@alice:example.org"]))).toBe(false);
});

test("room facts are read only as far as needed", () => {
  let membersRead = false;
  const lazy: RoomFacts = {
    aliases: () => ["#_irc_chan:example.org"],
    localMembers: () => {
      membersRead = true;
      return [];
    },
  };
  expect(isInterestedInRoom(irc, "!r:example.org", lazy)).toBe(true);
  expect(membersRead).toBe(false);
});

test("interest in an event: its sender, a membership's target, else its room", () => {
  const base = { room_id: "!r:example.org", type: "m.room.message", sender: "@alice:example.org" };
  expect(isInterestedInEvent(irc, base, noRoom)).toBe(false);
  expect(isInterestedInEvent(irc, { ...base, sender: "@_irc_bob:example.org" }, noRoom)).toBe(true);
  expect(isInterestedInEvent(irc, { ...base, type: "m.room.member", state_key: "@_irc_bob:example.org" }, noRoom)).toBe(true);
  // A state_key naming a user only counts for memberships.
  expect(isInterestedInEvent(irc, { ...base, type: "m.room.name", state_key: "@_irc_bob:example.org" }, noRoom)).toBe(false);
  expect(isInterestedInEvent(irc, base, room([], ["@_irc_bob:example.org"]))).toBe(true);
});

test("private read receipts only of the appservice's users; the others always", () => {
  const content = {
    $e1: {
      "m.read": { "@alice:example.org": { ts: 1 } },
      "m.read.private": { "@alice:example.org": { ts: 2 }, "@_irc_bob:example.org": { ts: 3 } },
    },
    $e2: { "m.read.private": { "@alice:example.org": { ts: 4 } } },
  };
  expect(receiptsForAppservice(irc, content)).toEqual({
    $e1: { "m.read": { "@alice:example.org": { ts: 1 } }, "m.read.private": { "@_irc_bob:example.org": { ts: 3 } } },
  });
  expect(receiptsForAppservice(irc, { $e2: content.$e2 })).toBeNull();
});
