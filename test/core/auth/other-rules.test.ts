/**
 * The authorization rules after the membership rules, in room versions 1, 3, 8, 10, 11 and 12:
 * the sender must be joined, m.room.third_party_invite needs the invite level, the event type's
 * required power level, user-owned state keys, the v1-v2 redaction rule and the final "allow".
 */
import type { Pdu } from "../../../src/core/types.ts";
import type { RuleCase, Scenario, TestRoom } from "./fixtures.ts";
import { BOB, CAROL, DAVE, numbered, only, testRules } from "./fixtures.ts";


function send(room: TestRoom, sender: string, type: string, stateKey?: string, ...replacements: Pdu[]): Scenario {
  return { pdu: room.event({ type, sender, state_key: stateKey, content: { body: "x" } }), state: room.state(...replacements) };
}

function redaction(room: TestRoom, sender: string, redactedDomain: string): Scenario {
  const pdu = room.event({ type: "m.room.redaction", sender, redacts: room.eventId("redacted", redactedDomain) });
  return { pdu, state: room.state() };
}

const cases: RuleCase[] = [
  {
    rule: numbered("6", "5", "6"),
    text: "the sender must be joined",
    accept: (room) => send(room, CAROL, "m.room.message"),
    reject: (room) => send(room, DAVE, "m.room.message"),
    reason: /the sender is not joined to the room/,
  },
  {
    rule: { 8: "5", 10: "5", 11: "5", 12: "6" },
    text: "since v6 m.room.aliases is an ordinary state event (non-members are rejected)",
    accept: (room) => send(room, BOB, "m.room.aliases", "example.com"),
    reject: (room) => send(room, DAVE, "m.room.aliases", "example.com"),
    reason: /the sender is not joined to the room/,
  },
  {
    rule: numbered("7", "6", "7"),
    text: "m.room.third_party_invite needs only the invite level",
    accept: (room) => send(room, CAROL, "m.room.third_party_invite", "token"),
    reject: (room) => send(room, CAROL, "m.room.third_party_invite", "token", room.powerLevels({ invite: 10 })),
    reason: /m.room.third_party_invite: the sender's power level is below the invite level/,
  },
  {
    rule: numbered("8", "7", "8"),
    text: "the event type's required power level",
    accept: (room) => send(room, BOB, "m.room.name", ""),
    reject: (room) => send(room, CAROL, "m.room.name", ""),
    reason: /m.room.name needs power level 50; the sender has 0/,
  },
  {
    rule: numbered("9", "8", "9"),
    text: "a state_key starting with @ must be the sender",
    accept: (room) => send(room, BOB, "m.custom", BOB),
    reject: (room) => send(room, BOB, "m.custom", CAROL),
    reason: /state_key starting with @ must be the sender/,
  },
  {
    rule: only(["1"], "11.1"),
    text: "a redaction by a user at the redact level is allowed",
    accept: (room) => redaction(room, BOB, "other.org"),
    reject: (room) => redaction(room, CAROL, "other.org"),
    reason: /until v3: a redaction needs the redact level/,
  },
  {
    rule: only(["1"], "11.2"),
    text: "a redaction of an event from the redaction's own server is allowed",
    accept: (room) => redaction(room, CAROL, "example.com"),
    reject: (room) => redaction(room, CAROL, "other.org"),
    reason: /until v3: a redaction needs the redact level/,
  },
  {
    rule: only(["1"], "11.3"),
    text: "otherwise the redaction is rejected",
    accept: (room) => redaction(room, BOB, "example.com"),
    reject: (room) => redaction(room, CAROL, "elsewhere.org"),
    reason: /until v3: a redaction needs the redact level/,
  },
  {
    rule: { 3: "11", 8: "10", 10: "10", 11: "10", 12: "11" },
    text: "since v3 redactions are authorised like other events (checked when shown)",
    accept: (room) => redaction(room, CAROL, "other.org"),
    reject: (room) => {
      const state = room.state(room.powerLevels({ events: { "m.room.redaction": 10 } }));
      return { ...redaction(room, CAROL, "other.org"), state };
    },
    reason: /m.room.redaction needs power level 10/,
  },
  {
    rule: { 1: "12", 3: "11", 8: "10", 10: "10", 11: "10", 12: "11" },
    text: "otherwise the event is allowed",
    accept: (room) => send(room, CAROL, "m.room.message"),
    reject: (room) => send(room, CAROL, "m.room.message", undefined, room.powerLevels({ events_default: 10 })),
    reason: /m.room.message needs power level 10/,
  },
];

testRules("remaining rules", cases);
