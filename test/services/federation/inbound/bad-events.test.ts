// Events that must not get in, sent over /send by a real (in-process) server that joined the room
// and then misbehaves: a bad signature is dropped, a content hash mismatch is redacted (its forged
// content never reaches a client), an event the auth rules refuse is stored rejected and never
// shown, an event allowed by its own history but not by the room's current state is soft-failed
// (never shown), a redaction from another room never applies, a replayed transaction is not
// applied twice, and a send_leave with a bad signature is refused 403.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeBase64, hashAndSignEvent, rulesFor, signEd25519, wireForm, type JsonObject, type PduTemplate } from "../../../../src/core";
import { requestSignedBytes } from "../../../../src/net/x-matrix";
import { api, type Session } from "../../../helpers/client";
import { publicRoomWith, say, texts, timeline } from "../../../helpers/federated-rooms";
import {
  startRoomWithInProcessGuest,
  type FederatedServer,
  type InProcessServer,
  type RoomWithInProcessGuest,
} from "../../../helpers/federation";

let pair: RoomWithInProcessGuest;
let a: FederatedServer;
/** The misbehaving server: its own key signs what the test forges. */
let c: InProcessServer;
let alice: Session;
let mallory: Session;
let roomId: string;

beforeAll(async () => {
  pair = await startRoomWithInProcessGuest({ owner: "alice", guest: "mallory" }, { name: "guarded" });
  ({ a, c, owner: alice, guest: mallory, roomId } = pair);
});
afterAll(() => pair?.close());

/** An event of C's user (or `sender`), on top of C's view of the room, signed with C's key. */
function forge(content: JsonObject, opts: { type?: string; stateKey?: string; sender?: string; prevEvents?: string[]; room?: string; redacts?: string } = {}) {
  const services = c.services;
  const inRoom = opts.room ?? roomId;
  const head = services.rooms.heads.get(inRoom)!;
  const rules = rulesFor(head.version);
  const current = services.federation.view.currentState(inRoom);
  const sender = opts.sender ?? mallory.user_id;
  const auth = ["m.room.power_levels\u0000", `m.room.member\u0000${sender}`].flatMap((k) => {
    const id = current.get(k as `${string}\u0000${string}`);
    return id === undefined ? [] : [id];
  });
  const template: PduTemplate = {
    room_id: inRoom,
    sender,
    type: opts.type ?? "m.room.message",
    content,
    origin_server_ts: Date.now(),
    depth: head.depth + 1,
    prev_events: opts.prevEvents ?? head.extremities,
    auth_events: auth,
  };
  if (opts.stateKey !== undefined) template.state_key = opts.stateKey;
  if (opts.redacts !== undefined) template.content = { ...content, redacts: opts.redacts };
  const { pdu, eventId } = hashAndSignEvent(template, rules, c.serverName, c.signingKey.keyId, c.signingKey.seed);
  return { eventId, wire: wireForm(pdu, rules) };
}

let txnCounter = 0;
async function send(pdus: JsonObject[], txnId = `evil-${++txnCounter}`) {
  return c.services.federation.client.request<{ pdus: Record<string, { error?: string }> }>(a.serverName, {
    method: "PUT",
    path: `/_matrix/federation/v1/send/${txnId}`,
    body: { origin: c.serverName, origin_server_ts: Date.now(), pdus },
  });
}

/**
 * A transaction sent as raw text (what a peer writes, numbers canonical JSON cannot carry
 * included), signed by C over those bytes.
 */
async function sendText(text: string, txnId = `evil-${++txnCounter}`) {
  const uri = `/_matrix/federation/v1/send/${txnId}`;
  const content = JSON.parse(text) as JsonObject; // lossy: what the receiver parses, too
  const bytes = requestSignedBytes({ method: "PUT", uri, origin: c.serverName, destination: a.serverName, content }, text);
  const sig = encodeBase64(signEd25519(bytes, c.signingKey.seed));
  const auth = `X-Matrix origin="${c.serverName}",destination="${a.serverName}",key="${c.signingKey.keyId}",sig="${sig}"`;
  const res = await a.fetch(uri, { method: "PUT", body: text, headers: { authorization: auth, "content-type": "application/json" } });
  return { status: res.status, body: (await res.json()) as { pdus: Record<string, { error?: string }> } };
}

async function eventOnA(eventId: string, inRoom = roomId): Promise<number> {
  const res = await api(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(inRoom)}/event/${encodeURIComponent(eventId)}`, {
    token: alice.access_token,
  });
  return res.status;
}

describe("what a misbehaving server sends", () => {
  test("a well-formed message from it is accepted (the baseline)", async () => {
    const good = forge({ msgtype: "m.text", body: "hello from C" });
    const res = await send([good.wire]);
    expect(res.pdus[good.eventId]).toEqual({});
    expect(await eventOnA(good.eventId)).toBe(200);
  });

  test("a redaction in another room never touches the event, whichever of the two arrives first", async () => {
    const other = await publicRoomWith(a, alice, c, mallory, { name: "elsewhere" });
    // The target first: the redaction from the other room is rejected, never shown.
    const target = forge({ msgtype: "m.text", body: "keep me" });
    expect((await send([target.wire])).pdus[target.eventId]).toEqual({});
    const crossing = forge({}, { type: "m.room.redaction", room: other, redacts: target.eventId });
    expect((await send([crossing.wire])).pdus[crossing.eventId]).toEqual({});
    expect(await eventOnA(crossing.eventId, other)).toBe(404);
    // The redaction first (its target unknown, so it is kept): the target arriving later stays whole.
    const later = forge({ msgtype: "m.text", body: "me too" });
    const early = forge({}, { type: "m.room.redaction", room: other, redacts: later.eventId, prevEvents: [crossing.eventId] });
    await send([early.wire]);
    expect((await send([later.wire])).pdus[later.eventId]).toEqual({});
    for (const id of [target.eventId, later.eventId]) {
      const seen = await api<{ content: JsonObject; unsigned?: JsonObject }>(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(id)}`, { token: alice.access_token });
      expect([seen.status, typeof seen.body.content.body, seen.body.unsigned?.redacted_by]).toEqual([200, "string", undefined]);
    }
  });

  test("a bad signature is dropped", async () => {
    const forged = forge({ msgtype: "m.text", body: "bad signature" });
    const sigs = forged.wire.signatures as Record<string, Record<string, string>>;
    const [keyId, sig] = Object.entries(sigs[c.serverName]!)[0]!;
    sigs[c.serverName]![keyId] = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    const res = await send([forged.wire]);
    expect(res.pdus[forged.eventId]?.error).toContain("not validly signed");
    expect(await eventOnA(forged.eventId)).toBe(404);
    expect(texts(await timeline(a, alice, roomId))).not.toContain("bad signature");
  });

  test("a content hash mismatch is redacted: the forged content never reaches a client", async () => {
    const forged = forge({ msgtype: "m.text", body: "original" });
    // The signature covers the redacted event, so it still verifies; the content hash does not.
    (forged.wire.content as JsonObject).body = "tampered";
    const res = await send([forged.wire]);
    expect(res.pdus[forged.eventId]).toEqual({});
    const seen = await api<{ content: JsonObject }>(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(forged.eventId)}`, {
      token: alice.access_token,
    });
    expect(seen.status).toBe(200);
    expect(seen.body.content).toEqual({});
    const bodies = texts(await timeline(a, alice, roomId));
    expect(bodies).not.toContain("tampered");
    expect(bodies).not.toContain("original");
  });

  test("an event the auth rules refuse is rejected and never shown", async () => {
    // Mallory (power 0) tries to make herself all-powerful.
    const grab = forge({ users: { [mallory.user_id]: 100 }, users_default: 0 }, { type: "m.room.power_levels", stateKey: "" });
    // And a user of C who never joined speaks.
    const ghost = forge({ msgtype: "m.text", body: "from a ghost" }, { sender: `@ghost:${c.serverName}` });
    const res = await send([grab.wire, ghost.wire]);
    // Processed and stored as rejected: answered without an error, as Synapse does.
    expect(res.pdus[grab.eventId]).toEqual({});
    expect(res.pdus[ghost.eventId]).toEqual({});
    expect(await eventOnA(grab.eventId)).toBe(404);
    expect(await eventOnA(ghost.eventId)).toBe(404);
    const levels = await api<{ users: Record<string, number> }>(a.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`, {
      token: alice.access_token,
    });
    expect(levels.body.users[mallory.user_id]).toBeUndefined();
    expect(texts(await timeline(a, alice, roomId))).not.toContain("from a ghost");
    // A's own rooms move on as before.
    await say(a, alice, roomId, "still fine");
  });

  test("a float or an integer beyond 2^53 drops only its own PDU, with an error; the others get in", async () => {
    const good = forge({ msgtype: "m.text", body: "beside the floats" });
    const float = forge({ msgtype: "m.text", body: "float", n: "FLOAT" });
    const big = forge({ msgtype: "m.text", body: "big", n: "BIG" });
    const text = JSON.stringify({ origin: c.serverName, origin_server_ts: Date.now(), pdus: [float.wire, good.wire, big.wire] })
      .replace('"FLOAT"', "1.5")
      .replace('"BIG"', "9007199254740993");
    const res = await sendText(text);
    expect(res.status).toBe(200);
    expect(res.body.pdus[good.eventId]).toEqual({});
    expect(res.body.pdus[float.eventId]?.error).toContain("canonical JSON");
    expect(res.body.pdus[big.eventId]?.error).toContain("canonical JSON");
    expect(await eventOnA(good.eventId)).toBe(200);
    expect(await eventOnA(float.eventId)).toBe(404);
    expect(await eventOnA(big.eventId)).toBe(404);
  });

  test("a PDU for a room this server is not in gets an error under its claimed id", async () => {
    const stray = { ...forge({ msgtype: "m.text", body: "stray" }).wire, room_id: "!elsewhere:c.example", event_id: "$stray:c.example" };
    const res = await send([stray]);
    expect(res.pdus["$stray:c.example"]?.error).toContain("not in !elsewhere:c.example");
  });

  test("a replayed transaction gets the first answer and changes nothing", async () => {
    const hello = forge({ msgtype: "m.text", body: "once only" });
    const body = [hello.wire];
    const first = await send(body, "replayed-txn");
    expect(first.pdus[hello.eventId]).toEqual({});
    const again = await send(body, "replayed-txn");
    expect(again).toEqual(first);
    const bodies = texts(await timeline(a, alice, roomId));
    expect(bodies.filter((b) => b === "once only")).toEqual(["once only"]);
  });

  test("an event allowed by its history but not by the current state is soft-failed: never shown", async () => {
    const before = c.services.rooms.heads.get(roomId)!.extremities;
    const ban = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/ban`, {
      token: alice.access_token,
      body: { user_id: mallory.user_id },
    });
    expect(ban.status).toBe(200);
    // Written on top of the room as it was before the ban: fine there, not in the room as it is.
    const late = forge({ msgtype: "m.text", body: "after the ban" }, { prevEvents: before });
    const res = await send([late.wire]);
    expect(res.pdus[late.eventId]).toEqual({});
    expect(await eventOnA(late.eventId)).toBe(404);
    expect(texts(await timeline(a, alice, roomId))).not.toContain("after the ban");
  });


  test("a leave through send_leave with a forged or no signature is refused 403 M_FORBIDDEN and not stored", async () => {
    for (const tamper of ["forged", "unsigned"] as const) {
      const leave = forge({ membership: "leave" }, { type: "m.room.member", stateKey: mallory.user_id });
      const sigs = leave.wire.signatures as Record<string, Record<string, string>>;
      if (tamper === "unsigned") delete sigs[c.serverName];
      else for (const keyId of Object.keys(sigs[c.serverName]!)) sigs[c.serverName]![keyId] = "a".repeat(86);
      const refused = await c.services.federation.client
        .request(a.serverName, { method: "PUT", path: `/_matrix/federation/v2/send_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(leave.eventId)}`, body: leave.wire })
        .then(() => undefined, (e: unknown) => e as { status: number; errcode?: string });
      expect([tamper, refused?.status, refused?.errcode]).toEqual([tamper, 403, "M_FORBIDDEN"]);
      expect(await eventOnA(leave.eventId)).toBe(404);
    }
  });
});
