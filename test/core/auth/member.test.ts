/**
 * Authorization rules for m.room.member in room versions 1, 3, 8, 10, 11 and 12: joins
 * (creator's first join, invite/knock rooms, restricted and knock_restricted rooms), invites
 * (including signed third-party invites), leaves and kicks, bans, knocks and unknown memberships.
 */
import { describe, expect, test } from "bun:test";
import { generateSigningSeed, publicKeyFromSeed } from "../../../src/core/crypto/ed25519.ts";
import { encodeBase64, encodeBase64Url } from "../../../src/core/encoding/base64.ts";
import { signJson } from "../../../src/core/signing/json-signatures.ts";
import type { JsonObject, Pdu } from "../../../src/core/types.ts";
import type { RuleCase, Scenario, TestRoom } from "./fixtures.ts";
import { ALICE, BOB, CAROL, DAVE, ERIN, TestRoom as Room, numbered, runScenario, sub, testRules, within } from "./fixtures.ts";

const SINCE_V8 = ["8", "10", "11", "12"] as const;
const SINCE_V10 = ["10", "11", "12"] as const;
const MEMBER = numbered("5", "4", "5");
const JOIN = numbered("5.2", "4.3", "5.3");
const INVITE = numbered("5.3", "4.4", "5.4");
const LEAVE = numbered("5.4", "4.5", "5.5");
const BAN = numbered("5.5", "4.6", "5.6");
const KNOCK = { 8: "4.7", 10: "4.7", 11: "4.7", 12: "5.7" };
const JOIN_SINCE_V8 = within(SINCE_V8, JOIN);
const THIRD_PARTY = sub(INVITE, 1);

/** `room.state()` plus the given replacements. */
function given(room: TestRoom, pdu: Pdu, ...replacements: Pdu[]): Scenario {
  return { pdu, state: room.state(...replacements) };
}

function join(room: TestRoom, user = DAVE, extra: JsonObject = {}, signatures?: Record<string, Record<string, string>>): Pdu {
  return room.event({
    type: "m.room.member",
    sender: user,
    state_key: user,
    content: { membership: "join", ...extra },
    signatures,
  });
}

/** The creator's join with the given prev_events. */
function creatorJoin(room: TestRoom, prevEvents: string[]): Pdu {
  return room.event({ type: "m.room.member", sender: ALICE, state_key: ALICE, content: { membership: "join" }, prev_events: prevEvents });
}

function restrictedJoin(room: TestRoom, authoriser: string, joinRule = "restricted", ...replacements: Pdu[]): Scenario {
  const server = authoriser.slice(authoriser.indexOf(":") + 1);
  const signatures = { "example.com": { "ed25519:1": "c2ln" }, [server]: { "ed25519:1": "c2ln" } };
  const pdu = join(room, DAVE, { join_authorised_via_users_server: authoriser }, signatures);
  return given(room, pdu, room.joinRules(joinRule), ...replacements);
}

// ---- third-party invites: a real ed25519 key signs the `signed` block ----

const identityServerSeed = generateSigningSeed();
const otherSeed = generateSigningSeed();
const publicKeyBase64 = encodeBase64(publicKeyFromSeed(identityServerSeed));

function signedBlock(fields: JsonObject, seed = identityServerSeed): JsonObject {
  return signJson(fields, "id.example.org", "ed25519:0", seed);
}

function thirdPartyInviteEvent(room: TestRoom, sender = BOB, token = "tok", keys: JsonObject = { public_key: publicKeyBase64 }): Pdu {
  return room.event({
    type: "m.room.third_party_invite",
    sender,
    state_key: token,
    content: { display_name: "d...@example.org", key_validity_url: "https://id.example.org/isvalid", ...keys },
  });
}

function thirdPartyInvite(room: TestRoom, thirdParty: JsonObject, opts: { sender?: string; target?: string } = {}): Pdu {
  return room.event({
    type: "m.room.member",
    sender: opts.sender ?? BOB,
    state_key: opts.target ?? DAVE,
    content: { membership: "invite", third_party_invite: { display_name: "d...@example.org", ...thirdParty } },
  });
}

function validThirdPartyInvite(room: TestRoom, ...replacements: Pdu[]): Scenario {
  const pdu = thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }) });
  return given(room, pdu, thirdPartyInviteEvent(room), ...replacements);
}

const memberCases: RuleCase[] = [
  {
    rule: sub(MEMBER, 1),
    text: "m.room.member needs a state_key and content.membership",
    accept: (room) => given(room, join(room)),
    reject: (room) => given(room, room.event({ type: "m.room.member", sender: DAVE, state_key: DAVE, content: {} })),
    reason: /needs a state_key and a content.membership/,
  },
  {
    rule: { 8: "4.2", 10: "4.2", 11: "4.2", 12: "5.2" },
    text: "join_authorised_via_users_server requires a signature from that user's server",
    accept: (room) => restrictedJoin(room, ERIN),
    reject: (room) => {
      const scenario = restrictedJoin(room, ERIN);
      delete scenario.pdu.signatures["other.org"];
      return scenario;
    },
    reason: /since v8: the event is not signed by the server of join_authorised_via_users_server/,
  },
];

const joinCases: RuleCase[] = [
  {
    rule: sub(JOIN, 1),
    text: "the creator's join right after m.room.create is allowed",
    accept: (room) => ({ pdu: creatorJoin(room, [room.create.event_id!]), state: [room.create] }),
    reject: (room) => ({ pdu: creatorJoin(room, [room.create.event_id!, room.eventId("other")]), state: [room.create] }),
    reason: /join rule is invite and the sender is not invited/,
  },
  {
    rule: sub(JOIN, 2),
    text: "a join whose sender is not the state_key is rejected",
    accept: (room) => given(room, join(room)),
    reject: (room) => given(room, room.member(DAVE, "join", ALICE)),
    reason: /join: sender does not match state_key/,
  },
  {
    rule: sub(JOIN, 3),
    text: "a banned sender cannot join",
    accept: (room) => given(room, join(room)),
    reject: (room) => given(room, join(room), room.member(DAVE, "ban", BOB)),
    reason: /join: the sender is banned/,
  },
  {
    rule: sub(JOIN, 4),
    text: "join rule invite: allowed only if invited or joined",
    accept: (room) => given(room, join(room), room.joinRules("invite"), room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, join(room), room.joinRules("invite")),
    reason: /join rule is invite and the sender is not invited/,
  },
  {
    rule: sub(JOIN_SINCE_V8, 4),
    text: "since v7 join rule knock: allowed only if invited or joined",
    accept: (room) => given(room, join(room), room.joinRules("knock"), room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, join(room), room.joinRules("knock"), room.member(DAVE, "knock")),
    reason: /join rule is knock and the sender is not invited/,
  },
  {
    rule: sub(JOIN_SINCE_V8, "5.1"),
    text: "restricted: an invited user may join",
    accept: (room) => given(room, join(room), room.joinRules("restricted"), room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, join(room), room.joinRules("restricted")),
    reason: /since v8: a restricted join needs join_authorised_via_users_server/,
  },
  {
    rule: sub(JOIN_SINCE_V8, "5.2"),
    text: "restricted: the authorising user must be able to invite",
    accept: (room) => restrictedJoin(room, BOB),
    reject: (room) => restrictedJoin(room, CAROL, "restricted", room.powerLevels({ invite: 10 })),
    reason: /since v8: join_authorised_via_users_server may not invite users/,
  },
  {
    rule: sub(JOIN_SINCE_V8, "5.3"),
    text: "restricted: otherwise (authorised by a joined member) the join is allowed",
    accept: (room) => restrictedJoin(room, BOB),
    reject: (room) => restrictedJoin(room, "@frank:example.com"),
    reason: /since v8: join_authorised_via_users_server is not a joined member/,
  },
  {
    rule: sub(within(SINCE_V10, JOIN), 5),
    text: "since v10 knock_restricted admits authorised joins like restricted",
    accept: (room) => restrictedJoin(room, BOB, "knock_restricted"),
    reject: (room) => given(room, join(room), room.joinRules("knock_restricted")),
    reason: /since v8: a restricted join needs join_authorised_via_users_server/,
  },
  {
    rule: { 1: "5.2.5", 3: "5.2.5", 8: "4.3.6", 10: "4.3.6", 11: "4.3.6", 12: "5.3.6" },
    text: "join rule public: anyone may join",
    accept: (room) => given(room, join(room)),
    reject: (room) => given(room, join(room), room.joinRules("private")),
    reason: /join rule "private" does not allow joining/,
  },
  {
    rule: { 1: "5.2.6", 3: "5.2.6", 8: "4.3.7", 10: "4.3.7", 11: "4.3.7", 12: "5.3.7" },
    text: "otherwise the join is rejected (restricted before v8, knock_restricted before v10, unknown rules)",
    accept: (room) => given(room, join(room)),
    reject: (room) => {
      const joinRule = room.rules.restrictedJoins ? (room.rules.knockRestrictedJoins ? "secret" : "knock_restricted") : "restricted";
      return given(room, join(room, DAVE, { join_authorised_via_users_server: BOB }), room.joinRules(joinRule));
    },
    reason: /does not allow joining/,
  },
];

const thirdPartyCases: RuleCase[] = [
  {
    rule: sub(THIRD_PARTY, 1),
    text: "third-party invite: a banned target is rejected",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => validThirdPartyInvite(room, room.member(DAVE, "ban", BOB)),
    reason: /invite: the target user is banned/,
  },
  {
    rule: sub(THIRD_PARTY, 2),
    text: "third-party invite: content.third_party_invite must have signed",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => given(room, thirdPartyInvite(room, {}), thirdPartyInviteEvent(room)),
    reason: /has no signed object/,
  },
  {
    rule: sub(THIRD_PARTY, 3),
    text: "third-party invite: signed must have mxid and token",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => given(room, thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE }) }), thirdPartyInviteEvent(room)),
    reason: /signed needs mxid and token/,
  },
  {
    rule: sub(THIRD_PARTY, 4),
    text: "third-party invite: mxid must match state_key",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => {
      const pdu = thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }) }, { target: "@frank:example.com" });
      return given(room, pdu, thirdPartyInviteEvent(room));
    },
    reason: /signed.mxid does not match state_key/,
  },
  {
    rule: sub(THIRD_PARTY, 5),
    text: "third-party invite: an m.room.third_party_invite with the token must be in the state",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => given(room, thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }) })),
    reason: /no m.room.third_party_invite with a matching token/,
  },
  {
    rule: sub(THIRD_PARTY, 6),
    text: "third-party invite: the sender must be the sender of m.room.third_party_invite",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => {
      const pdu = thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }) }, { sender: CAROL });
      return given(room, pdu, thirdPartyInviteEvent(room));
    },
    reason: /sender differs from the sender of m.room.third_party_invite/,
  },
  {
    rule: sub(THIRD_PARTY, 7),
    text: "third-party invite: a signature by a key listed in public_keys allows",
    accept: (room) => {
      const pdu = thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }) });
      // An identity server may publish its key in the URL-safe alphabet.
      const keys = { public_key: "AAAA", public_keys: [{ public_key: encodeBase64Url(publicKeyFromSeed(identityServerSeed)) }] };
      return given(room, pdu, thirdPartyInviteEvent(room, BOB, "tok", keys));
    },
    reject: (room) => {
      const pdu = thirdPartyInvite(room, { signed: signedBlock({ mxid: DAVE, token: "tok" }, otherSeed) });
      return given(room, pdu, thirdPartyInviteEvent(room));
    },
    reason: /no signature in signed matches a public key/,
  },
  {
    rule: sub(THIRD_PARTY, 8),
    text: "third-party invite: otherwise (signature over other content) rejected",
    accept: (room) => validThirdPartyInvite(room),
    reject: (room) => {
      const signed = { ...signedBlock({ mxid: DAVE, token: "other" }), token: "tok" };
      return given(room, thirdPartyInvite(room, { signed }), thirdPartyInviteEvent(room));
    },
    reason: /no signature in signed matches a public key/,
  },
];

const inviteCases: RuleCase[] = [
  {
    rule: sub(INVITE, 2),
    text: "invite: the sender must be joined",
    accept: (room) => given(room, room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, room.member("@frank:example.com", "invite", DAVE)),
    reason: /invite: the sender is not joined/,
  },
  {
    rule: sub(INVITE, 3),
    text: "invite: a joined or banned target is rejected",
    accept: (room) => given(room, room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, room.member(CAROL, "invite", BOB)),
    reason: /invite: the target user is already joined/,
  },
  {
    rule: sub(INVITE, 4),
    text: "invite: allowed at or above the invite level",
    accept: (room) => given(room, room.member(DAVE, "invite", CAROL)),
    reject: (room) => given(room, room.member(DAVE, "invite", CAROL), room.powerLevels({ invite: 10 })),
    reason: /below the invite level/,
  },
  {
    rule: sub(INVITE, 5),
    text: "invite: otherwise rejected (banned target)",
    accept: (room) => given(room, room.member(DAVE, "invite", BOB)),
    reject: (room) => given(room, room.member(DAVE, "invite", BOB), room.member(DAVE, "ban", BOB)),
    reason: /invite: the target user is already banned/,
  },
];

const leaveCases: RuleCase[] = [
  {
    rule: sub(LEAVE, 1),
    text: "leaving oneself needs a current invite or join",
    accept: (room) => given(room, room.member(CAROL, "leave")),
    reject: (room) => given(room, room.member(DAVE, "leave")),
    reason: /leave: the sender is not joined, invited or knocking/,
  },
  {
    rule: sub(within(SINCE_V8, LEAVE), 1),
    text: "since v7 a knock can be withdrawn",
    accept: (room) => given(room, room.member(DAVE, "leave"), room.member(DAVE, "knock")),
    reject: (room) => given(room, room.member(DAVE, "leave"), room.member(DAVE, "ban", BOB)),
    reason: /leave: the sender is not joined, invited or knocking/,
  },
  {
    rule: sub(LEAVE, 2),
    text: "kick: the sender must be joined",
    accept: (room) => given(room, room.member(CAROL, "leave", BOB)),
    reject: (room) => given(room, room.member(CAROL, "leave", DAVE)),
    reason: /kick: the sender is not joined/,
  },
  {
    rule: sub(LEAVE, 3),
    text: "unban: the sender needs the ban level",
    accept: (room) => given(room, room.member(CAROL, "leave", ALICE), room.member(CAROL, "ban", ALICE)),
    reject: (room) =>
      given(room, room.member(CAROL, "leave", BOB), room.member(CAROL, "ban", ALICE), room.powerLevels({ ban: 60 })),
    reason: /unban: the sender's power level is below the ban level/,
  },
  {
    rule: sub(LEAVE, 4),
    text: "kick: allowed at the kick level over a less powerful target",
    accept: (room) => given(room, room.member(CAROL, "leave", BOB)),
    reject: (room) => given(room, room.member(BOB, "leave", CAROL)),
    reason: /kick: the sender needs the kick level and more power than the target/,
  },
  {
    rule: sub(LEAVE, 5),
    text: "kick: otherwise rejected (target as powerful as the sender)",
    accept: (room) => given(room, room.member(CAROL, "leave", BOB)),
    reject: (room) => given(room, room.member(ALICE, "leave", BOB)),
    reason: /kick: the sender needs the kick level and more power than the target/,
  },
];

const banCases: RuleCase[] = [
  {
    rule: sub(BAN, 1),
    text: "ban: the sender must be joined",
    accept: (room) => given(room, room.member(CAROL, "ban", BOB)),
    reject: (room) => given(room, room.member(CAROL, "ban", DAVE)),
    reason: /ban: the sender is not joined/,
  },
  {
    rule: sub(BAN, 2),
    text: "ban: allowed at the ban level over a less powerful target",
    accept: (room) => given(room, room.member(DAVE, "ban", BOB)),
    reject: (room) => given(room, room.member(BOB, "ban", CAROL)),
    reason: /ban: the sender needs the ban level and more power than the target/,
  },
  {
    rule: sub(BAN, 3),
    text: "ban: otherwise rejected (target more powerful)",
    accept: (room) => given(room, room.member(CAROL, "ban", BOB)),
    reject: (room) => given(room, room.member(ALICE, "ban", BOB)),
    reason: /ban: the sender needs the ban level and more power than the target/,
  },
];

const knockCases: RuleCase[] = [
  {
    rule: sub(KNOCK, 1),
    text: "knock: the join rule must be knock (or knock_restricted since v10)",
    accept: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock")),
    reject: (room) => given(room, room.member(DAVE, "knock")),
    reason: /knock: the join rule "public" does not allow knocking/,
  },
  {
    rule: sub(within(SINCE_V10, KNOCK), 1),
    text: "since v10 knock_restricted rooms accept knocks",
    accept: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock_restricted")),
    reject: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("restricted")),
    reason: /knock: the join rule "restricted" does not allow knocking/,
  },
  {
    rule: sub(KNOCK, 2),
    text: "knock: the sender must be the state_key",
    accept: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock")),
    reject: (room) => given(room, room.member(DAVE, "knock", BOB), room.joinRules("knock")),
    reason: /knock: sender does not match state_key/,
  },
  {
    rule: sub(KNOCK, 3),
    text: "knock: allowed unless banned, invited or joined",
    accept: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock"), room.member(DAVE, "leave")),
    reject: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock"), room.member(DAVE, "invite", BOB)),
    reason: /knock: the sender is already invited/,
  },
  {
    rule: sub(KNOCK, 4),
    text: "knock: otherwise rejected (banned)",
    accept: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock")),
    reject: (room) => given(room, room.member(DAVE, "knock"), room.joinRules("knock"), room.member(DAVE, "ban", BOB)),
    reason: /knock: the sender is already banned/,
  },
];

const unknownCases: RuleCase[] = [
  {
    rule: numbered("5.6", "4.8", "5.8"),
    text: "an unknown membership is rejected (knock before v7)",
    accept: (room) => given(room, join(room)),
    reject: (room) => given(room, room.member(DAVE, room.rules.knocking ? "dance" : "knock"), room.joinRules("knock")),
    reason: /unknown membership/,
  },
];

testRules("m.room.member", memberCases);
testRules("join", joinCases);
testRules("third-party invite", thirdPartyCases);
testRules("invite", inviteCases);
testRules("leave", leaveCases);
testRules("ban", banCases);
testRules("knock", knockCases);
testRules("unknown membership", unknownCases);

describe("membership version deltas", () => {
  test("v1-v10: the first join of content.creator is allowed; since v11 only the create sender's", () => {
    for (const version of ["10", "11"] as const) {
      const room = new Room(version, { creator: DAVE });
      const pdu = room.event({
        type: "m.room.member",
        sender: DAVE,
        state_key: DAVE,
        content: { membership: "join" },
        prev_events: [room.create.event_id!],
      });
      expect(runScenario(room, { pdu, state: [room.create] }).allowed).toBe(version === "10");
    }
  });

  test("v8-v9: knock_restricted is not a join rule yet", () => {
    const room = new Room("8");
    const result = runScenario(room, restrictedJoin(room, BOB, "knock_restricted"));
    expect(result).toEqual({ allowed: false, reason: expect.stringMatching(/does not allow joining/) });
  });

  test("v12: a creator cannot be kicked, even by a user at the top of the power levels", () => {
    const room = new Room("12", { additional_creators: [CAROL] });
    const kickCreator = room.member(ALICE, "leave", BOB);
    const state = room.state(room.powerLevels({ users: { [BOB]: 100 } }));
    expect(runScenario(room, { room, pdu: kickCreator, state }).allowed).toBe(false);
    const kickAdditionalCreator = room.member(CAROL, "leave", ALICE);
    expect(runScenario(room, { room, pdu: kickAdditionalCreator, state }).allowed).toBe(false);
    expect(runScenario(room, { room, pdu: room.member(BOB, "leave", CAROL), state }).allowed).toBe(true);
  });
});
