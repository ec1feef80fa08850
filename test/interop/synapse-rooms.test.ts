// Interoperability with the reference homeserver in rooms: users of a real Synapse and of our
// server join each other's rooms (every room version), and messages, state, memberships, typing,
// receipts, presence and redactions cross both ways. Run with
// `bun run interop` after `scripts/synapse/install.sh`; without Synapse the file is skipped (it is
// never part of `bun test`: bunfig.toml ignores test/interop/ unless asked for it).
import { beforeAll, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../src/core";
import type { Session } from "../helpers/client";
import type { FederatedServer } from "../helpers/federation";
import { encode, interopPair, nonce, synapseVersion, waitFor } from "./pair";
import { roomSteps } from "./room-steps";
import type { Synapse, SynapseUser } from "./synapse";

describe.skipIf(!synapseVersion)(`Synapse ${synapseVersion ?? ""} rooms`, () => {
  const pair = interopPair();
  let synapse: Synapse;
  let ours: FederatedServer;
  let bob: SynapseUser;
  let alice: Session;
  beforeAll(() => ({ synapse, ours, bob, alice } = pair));
  const {
    onSynapse, onOurs, synapseRoom, ourRoom, joinedOnSynapse, joinedOnOurs, aliceJoins, bobJoinsOurs, bobSays,
    eventArrives, membershipOn, roomInSync, messageCrosses, typingSeen, receiptSeen, setTyping, presenceCrosses,
  } = roomSteps(pair);

  test("our user joins a Synapse room through /join with via; messages cross both ways", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    await messageCrosses(roomId, "synapse");
    await messageCrosses(roomId, "ours");
  });

  test("typing starts and stops, seen on both sides", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    expect(await setTyping("ours", roomId, true)).toMatchObject({ status: 200 });
    await typingSeen("synapse", roomId, [alice.user_id]);
    expect(await setTyping("ours", roomId, false)).toMatchObject({ status: 200 });
    await typingSeen("synapse", roomId, []);
    expect(await setTyping("synapse", roomId, true)).toMatchObject({ status: 200 });
    await typingSeen("ours", roomId, [bob.user_id]);
    expect(await setTyping("synapse", roomId, false)).toMatchObject({ status: 200 });
    await typingSeen("ours", roomId, []);
  });

  test("a Synapse user invites our user, who sees the invite and joins", async () => {
    const roomId = await synapseRoom();
    const invite = await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id });
    expect(invite).toMatchObject({ status: 200 });
    await waitFor("the invite in our /sync", async () => {
      const res = await onOurs("GET", "/sync?timeout=1000");
      return ((res.body.rooms as JsonObject | undefined)?.invite as Record<string, unknown> | undefined)?.[roomId];
    });
    const join = await onOurs("POST", `/join/${encode(roomId)}`, {});
    expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
    await joinedOnSynapse(roomId, alice.user_id);
    await messageCrosses(roomId, "ours");
  });

  describe.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("our room of version %s", (roomVersion) => {
    test("a Synapse user joins it; messages cross both ways", async () => {
      const roomId = await ourRoom({ room_version: roomVersion });
      const join = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(ours.serverName)}&via=${encode(ours.serverName)}`, {});
      expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnOurs(roomId, bob.user_id);
      await messageCrosses(roomId, "ours");
      await messageCrosses(roomId, "synapse");
    });
  });

  test("read receipts cross both ways", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    const fromBob = await bobSays(roomId, "read me");
    await eventArrives("ours", roomId, fromBob);
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/receipt/m.read/${encode(fromBob)}`, {})).toMatchObject({ status: 200 });
    await receiptSeen("synapse", roomId, fromBob, alice.user_id);
    const sent = await onOurs("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: "read me too" });
    expect(sent).toMatchObject({ status: 200 });
    const fromAlice = sent.body.event_id as string;
    await eventArrives("synapse", roomId, fromAlice);
    expect(await onSynapse("POST", `/rooms/${encode(roomId)}/receipt/m.read/${encode(fromAlice)}`, {})).toMatchObject({ status: 200 });
    await receiptSeen("ours", roomId, fromAlice, bob.user_id);
  });

  test("redactions cross both ways", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    const fromBob = await bobSays(roomId, "to be redacted by bob");
    const redactedOn = async (side: "ours" | "synapse", eventId: string) =>
      waitFor(`${eventId} redacted on ${side === "ours" ? "our side" : "Synapse"}`, async () => {
        const res = await (side === "ours" ? onOurs : onSynapse)("GET", `/rooms/${encode(roomId)}/event/${encode(eventId)}`);
        const unsigned = res.body.unsigned as JsonObject | undefined;
        return res.status === 200 && unsigned?.redacted_because !== undefined && Object.keys(res.body.content as object).length === 0
          ? true
          : undefined;
      });
    await eventArrives("ours", roomId, fromBob);
    expect(await onSynapse("PUT", `/rooms/${encode(roomId)}/redact/${encode(fromBob)}/${nonce()}`, { reason: "interop" })).toMatchObject({ status: 200 });
    await redactedOn("ours", fromBob);
    const sent = await onOurs("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: "to be redacted by alice" });
    expect(sent).toMatchObject({ status: 200 });
    const fromAlice = sent.body.event_id as string;
    expect(await onOurs("PUT", `/rooms/${encode(roomId)}/redact/${encode(fromAlice)}/${nonce()}`, { reason: "interop" })).toMatchObject({ status: 200 });
    await redactedOn("synapse", fromAlice);
  });

  describe.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("room version %s", (roomVersion) => {
    const name = "our user joins a Synapse room; messages cross both ways";
    const body = async () => {
      const roomId = await synapseRoom({ room_version: roomVersion });
      await aliceJoins(roomId);
      await messageCrosses(roomId, "ours");
      await messageCrosses(roomId, "synapse");
    };
    test(name, body);
  });

  test("our user invites a Synapse user to our room; the invite reaches Synapse and they join", async () => {
    const roomId = await ourRoom({ preset: "private_chat" });
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/invite`, { user_id: bob.user_id })).toMatchObject({ status: 200 });
    await roomInSync("synapse", "invite", roomId);
    expect(await onSynapse("POST", `/join/${encode(roomId)}`, {})).toMatchObject({ status: 200 });
    await joinedOnOurs(roomId, bob.user_id);
    await messageCrosses(roomId, "synapse");
  });

  test("our user rejects a Synapse user's invite (a leave through make_leave/send_leave)", async () => {
    const roomId = await synapseRoom({ preset: "private_chat" });
    expect(await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
    await roomInSync("ours", "invite", roomId);
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/leave`, {})).toMatchObject({ status: 200 });
    await membershipOn("synapse", roomId, alice.user_id, "leave");
  });

  test("our user knocks on a Synapse room, is invited after the knock, and joins", async () => {
    const roomId = await synapseRoom({
      preset: "private_chat",
      initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
    });
    const knock = await onOurs("POST", `/knock/${encode(roomId)}?via=${encode(synapse.serverName)}`, { reason: "let me in" });
    expect(knock).toMatchObject({ status: 200, body: { room_id: roomId } });
    await membershipOn("synapse", roomId, alice.user_id, "knock");
    expect(await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
    await roomInSync("ours", "invite", roomId);
    expect(await onOurs("POST", `/join/${encode(roomId)}?via=${encode(synapse.serverName)}`, {})).toMatchObject({ status: 200 });
    await joinedOnSynapse(roomId, alice.user_id);
  });

  test("our user kicks, then bans, a Synapse user from our room", async () => {
    const roomId = await ourRoom();
    await bobJoinsOurs(roomId);
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/kick`, { user_id: bob.user_id, reason: "interop" })).toMatchObject({ status: 200 });
    await roomInSync("synapse", "leave", roomId);
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/ban`, { user_id: bob.user_id })).toMatchObject({ status: 200 });
    await waitFor("Synapse refusing bob's join to a room that banned him", async () => {
      const res = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(ours.serverName)}`, {});
      return res.status === 403 ? true : undefined;
    });
  });

  test("a Synapse user kicks our user from their room", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    expect(await onSynapse("POST", `/rooms/${encode(roomId)}/kick`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
    await roomInSync("ours", "leave", roomId);
  });

  test("presence crosses both ways between users who share a room", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    await presenceCrosses("synapse");
    await presenceCrosses("ours");
  });

  test("our user joins a Synapse room by its alias", async () => {
    const localpart = `interop-${nonce()}`;
    const roomId = await synapseRoom({ room_alias_name: localpart });
    const alias = `#${localpart}:${synapse.serverName}`;
    const resolved = await onOurs("GET", `/directory/room/${encode(alias)}`);
    expect(resolved).toMatchObject({ status: 200, body: { room_id: roomId, servers: expect.arrayContaining([synapse.serverName]) } });
    expect(await onOurs("POST", `/join/${encode(alias)}`, {})).toMatchObject({ status: 200, body: { room_id: roomId } });
    await joinedOnSynapse(roomId, alice.user_id);
  });

  test("our user reads a Synapse user's profile", async () => {
    const res = await onOurs("GET", `/profile/${encode(bob.user_id)}`);
    expect(res).toMatchObject({ status: 200, body: { displayname: "bob" } });
  });

  test("our user pages back through history from before the join (backfill)", async () => {
    const roomId = await synapseRoom();
    const first = await bobSays(roomId, "the first message");
    for (let i = 0; i < 40; i++) await bobSays(roomId, `filler ${i}`);
    await aliceJoins(roomId);
    const seen: string[] = [];
    let from: string | undefined;
    for (let page = 0; page < 10 && !seen.includes(first); page++) {
      const res = await onOurs("GET", `/rooms/${encode(roomId)}/messages?dir=b&limit=20${from ? `&from=${encode(from)}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...((res.body.chunk as JsonObject[]) ?? []).map((e) => e.event_id as string));
      from = res.body.end as string | undefined;
      if (!from) break;
    }
    expect(seen).toContain(first);
  });

  test("state changes and leaves cross: Synapse renames the room, our user sees it in /sync and leaves", async () => {
    const roomId = await synapseRoom();
    await aliceJoins(roomId);
    const since = (await onOurs("GET", "/sync?timeout=0")).body.next_batch as string;
    const name = `renamed ${nonce()}`;
    expect(await onSynapse("PUT", `/rooms/${encode(roomId)}/state/m.room.name`, { name })).toMatchObject({ status: 200 });
    await waitFor("the new name in our /sync", async () => {
      const res = await onOurs("GET", `/sync?timeout=2000&since=${encode(since)}`);
      const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
      const events = ((room?.timeline as { events?: JsonObject[] } | undefined)?.events ?? []) as JsonObject[];
      return events.find((e) => e.type === "m.room.name" && (e.content as JsonObject).name === name);
    });
    const state = await onOurs("GET", `/rooms/${encode(roomId)}/state/m.room.name`);
    expect(state).toMatchObject({ status: 200, body: { name } });
    expect(await onOurs("POST", `/rooms/${encode(roomId)}/leave`, {})).toMatchObject({ status: 200 });
    await waitFor("alice's leave in Synapse's view", async () => {
      const res = await onSynapse("GET", `/rooms/${encode(roomId)}/state/m.room.member/${encode(alice.user_id)}`);
      return res.body.membership === "leave" ? true : undefined;
    });
  });
});
