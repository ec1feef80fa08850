/**
 * Authorization rules on m.room.create (rule 1), on the room id since v12 (rule 2), on the
 * `auth_events` list (rule 2; 3 since v12), on `m.federate` and on v1-v5 m.room.aliases.
 */
import type { JsonObject, Pdu } from "../../../src/core/types.ts";
import type { RuleCase, Scenario, TestRoom } from "./fixtures.ts";
import { BOB, CAROL, DAVE, ERIN, TestRoom as Room, everywhere, only, sub, testRules } from "./fixtures.ts";

const OLD: readonly ["1", "3"] = ["1", "3"];
const UNTIL_V10 = ["1", "3", "8", "10"] as const;
const UNTIL_V11 = ["1", "3", "8", "10", "11"] as const;

function createScenario(room: TestRoom, change: (create: Pdu) => void = () => {}): Scenario {
  const create = structuredClone(room.create);
  change(create);
  return { pdu: create, authEvents: [] };
}

function message(room: TestRoom, sender = CAROL): Pdu {
  return room.event({ type: "m.room.message", sender, content: { body: "hi" } });
}

/** A message with the auth events a correct sender cites, altered by `change`. */
function withAuthEvents(room: TestRoom, change: (authEvents: Pdu[], pdu: Pdu) => Pdu[]): Scenario {
  const pdu = message(room);
  const authEvents = room.authEventsFrom(pdu, room.state());
  return { pdu, authEvents: change(authEvents, pdu) };
}

const AUTH_EVENTS_RULE = { ...only(UNTIL_V11, "2"), 12: "3" };

const createCases: RuleCase[] = [
  {
    rule: everywhere("1.1"),
    text: "m.room.create with prev_events is rejected",
    accept: (room) => createScenario(room),
    reject: (room) => createScenario(room, (create) => (create.prev_events = [room.ref(room.eventId("earlier"))])),
    reason: /prev_events/,
  },
  {
    rule: only(UNTIL_V11, "1.2"),
    text: "the room id's domain must match the sender's",
    accept: (room) => createScenario(room),
    reject: (room) => createScenario(room, (create) => (create.room_id = "!room:other.org")),
    reason: /domain of room_id/,
  },
  {
    rule: only(["12"], "1.2"),
    text: "m.room.create must not have a room_id",
    accept: (room) => createScenario(room),
    reject: (room) => createScenario(room, (create) => (create.room_id = "!room:example.com")),
    reason: /since v12: m.room.create must not have a room_id/,
  },
  {
    rule: everywhere("1.3"),
    text: "content.room_version must be a recognised version",
    accept: (room) => createScenario(room, (create) => delete create.content.room_version),
    reject: (room) => createScenario(room, (create) => (create.content.room_version = "99")),
    reason: /unrecognised room_version/,
  },
  {
    rule: only(UNTIL_V10, "1.4"),
    text: "content must have a creator",
    accept: (room) => createScenario(room),
    reject: (room) => createScenario(room, (create) => delete create.content.creator),
    reason: /no creator/,
  },
  {
    rule: only(["12"], "1.4"),
    text: "additional_creators must be an array of valid user ids",
    accept: (room) => createScenario(room, (create) => (create.content.additional_creators = [BOB])),
    reject: (room) => createScenario(room, (create) => (create.content.additional_creators = [BOB, "bob"])),
    reason: /since v12: additional_creators/,
  },
  {
    rule: { ...only(UNTIL_V10, "1.5"), 11: "1.4", 12: "1.5" },
    text: "otherwise m.room.create is allowed (v11+: without creator)",
    accept: (room) => createScenario(room, (create) => room.rules.useCreatorFromSender && delete create.content.creator),
    reject: (room) => createScenario(room, (create) => (create.content.room_version = "0")),
    reason: /unrecognised room_version/,
  },
];

const roomIdCases: RuleCase[] = [
  {
    rule: only(["12"], "2"),
    text: "the room id must be the create event's id with the ! sigil",
    accept: (room) => ({ pdu: message(room) }),
    reject: (room) => {
      const pdu = message(room);
      pdu.room_id = "!someone-elses-create";
      const authEvents = room.authEventsFrom(pdu, room.state()).map((event) => ({ ...event, room_id: pdu.room_id }));
      return { pdu, authEvents };
    },
    reason: /since v12: room_id is not the event id/,
  },
  {
    rule: only(["12"], "2"),
    text: "the create event the room id names must not have been rejected",
    accept: (room) => ({ pdu: message(room), isRejected: () => false }),
    reject: (room) => ({ pdu: message(room), isRejected: (id) => id === room.create.event_id }),
    reason: /since v12: the room's m.room.create event was rejected/,
  },
];

const authEventsCases: RuleCase[] = [
  {
    rule: sub(AUTH_EVENTS_RULE, 1),
    text: "duplicate (type, state_key) entries are rejected",
    accept: (room) => withAuthEvents(room, (authEvents) => authEvents),
    reject: (room) => withAuthEvents(room, (authEvents) => [...authEvents, room.powerLevels({ ban: 60 })]),
    reason: /duplicate entries for \(m.room.power_levels, \)/,
  },
  {
    rule: sub(AUTH_EVENTS_RULE, 2),
    text: "entries the auth events selection does not ask for are rejected",
    accept: (room) => withAuthEvents(room, (authEvents) => authEvents),
    reject: (room) => withAuthEvents(room, (authEvents) => [...authEvents, room.joinRules("public")]),
    reason: /unexpected entry \(m.room.join_rules, \)/,
  },
  {
    rule: only(["12"], "3.2"),
    text: "citing the m.room.create event is rejected",
    accept: (room) => withAuthEvents(room, (authEvents) => authEvents),
    reject: (room) =>
      withAuthEvents(room, (authEvents, pdu) => {
        pdu.auth_events.push(room.create.event_id!);
        return authEvents;
      }),
    reason: /since v12: auth_events must not include the m.room.create event/,
  },
  {
    rule: sub(AUTH_EVENTS_RULE, 3),
    text: "entries that were themselves rejected are rejected",
    accept: (room) => ({ ...withAuthEvents(room, (authEvents) => authEvents), isRejected: () => false }),
    reject: (room) => {
      const scenario = withAuthEvents(room, (authEvents) => authEvents);
      const powerLevels = scenario.authEvents!.find((event) => event.type === "m.room.power_levels")!;
      return { ...scenario, isRejected: (id) => id === powerLevels.event_id };
    },
    reason: /was itself rejected/,
  },
  {
    rule: only(UNTIL_V11, "2.4"),
    text: "no m.room.create among the entries is rejected",
    accept: (room) => withAuthEvents(room, (authEvents) => authEvents),
    reject: (room) => withAuthEvents(room, (authEvents) => authEvents.filter((event) => event.type !== "m.room.create")),
    reason: /no m.room.create event/,
  },
  {
    rule: { ...only(UNTIL_V11, "2.5"), 12: "3.5" },
    text: "an entry from another room is rejected",
    accept: (room) => withAuthEvents(room, (authEvents) => authEvents),
    reject: (room) =>
      withAuthEvents(room, (authEvents) =>
        authEvents.map((event) => (event.type === "m.room.member" ? { ...event, room_id: "!elsewhere:example.com" } : event)),
      ),
    reason: /belongs to another room/,
  },
];

function unfederatedRoom(version: TestRoom["version"]): TestRoom {
  return new Room(version, { "m.federate": false } satisfies JsonObject);
}

const federateCases: RuleCase[] = [
  {
    rule: { ...only(UNTIL_V11, "3"), 12: "4" },
    text: "m.federate false keeps out senders from other servers",
    accept: (room) => {
      const local = unfederatedRoom(room.version);
      return { room: local, pdu: message(local, CAROL), state: local.state() };
    },
    reject: (room) => {
      const local = unfederatedRoom(room.version);
      return { room: local, pdu: message(local, ERIN), state: local.state() };
    },
    reason: /does not federate/,
  },
];

function aliases(room: TestRoom, sender: string, stateKey: string | undefined): Pdu {
  return room.event({ type: "m.room.aliases", sender, state_key: stateKey, content: { aliases: ["#a:example.com"] } });
}

const aliasesCases: RuleCase[] = [
  {
    rule: only(OLD, "4.1"),
    text: "m.room.aliases without a state_key is rejected",
    accept: (room) => ({ pdu: aliases(room, CAROL, "example.com") }),
    reject: (room) => ({ pdu: aliases(room, CAROL, undefined) }),
    reason: /until v6: m.room.aliases needs a state_key/,
  },
  {
    rule: only(OLD, "4.2"),
    text: "the state_key must be the sender's domain",
    accept: (room) => ({ pdu: aliases(room, ERIN, "other.org") }),
    reject: (room) => ({ pdu: aliases(room, CAROL, "other.org") }),
    reason: /state_key must be the sender's domain/,
  },
  {
    rule: only(OLD, "4.3"),
    text: "otherwise m.room.aliases is allowed, even from a non-member",
    accept: (room) => ({ pdu: aliases(room, DAVE, "example.com") }),
    reject: (room) => ({ pdu: aliases(room, DAVE, "elsewhere.org") }),
    reason: /state_key must be the sender's domain/,
  },
];

testRules("m.room.create", createCases);
testRules("room id", roomIdCases);
testRules("auth_events", authEventsCases);
testRules("m.federate", federateCases);
testRules("m.room.aliases", aliasesCases);



