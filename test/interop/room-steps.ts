/**
 * Room steps for the interop tests, each done through the client APIs of both servers: create a
 * room on either side, join across, send and wait for messages, typing, receipts, memberships.
 * Every wait is bounded (`waitFor`).
 */
import { expect } from "bun:test";
import type { JsonObject } from "../../src/core";
import { api } from "../helpers/client";
import { encode, nonce, waitFor, type InteropPair } from "./pair";

/** A side of the pair: `ours` (alice's server) or `synapse` (bob's). */
export type Side = "ours" | "synapse";

export function roomSteps(pair: InteropPair) {
  /** Client-API calls as each side's user, returning status and body. */
  const onSynapse = (method: string, path: string, body?: unknown) =>
    pair.synapse.api(method, `/_matrix/client/v3${path}`, { token: pair.bob.access_token, body });
  const onOurs = (method: string, path: string, body?: unknown) =>
    api(pair.ours.baseUrl, method, `/_matrix/client/v3${path}`, { token: pair.alice.access_token, body });

  const synapseRoom = async (extra: JsonObject = {}): Promise<string> => {
    const res = await onSynapse("POST", "/createRoom", { preset: "public_chat", name: `interop ${nonce()}`, ...extra });
    expect(res).toMatchObject({ status: 200 });
    return res.body.room_id as string;
  };
  const ourRoom = async (extra: JsonObject = {}): Promise<string> => {
    const res = await onOurs("POST", "/createRoom", { preset: "public_chat", name: `interop ${nonce()}`, ...extra });
    expect(res).toMatchObject({ status: 200 });
    return res.body.room_id as string;
  };

  const joinedOnSynapse = (roomId: string, userId: string) =>
    waitFor(`${userId} joined in Synapse's view of ${roomId}`, async () => {
      const res = await onSynapse("GET", `/rooms/${encode(roomId)}/joined_members`);
      return (res.body.joined as Record<string, unknown> | undefined)?.[userId];
    });
  const joinedOnOurs = (roomId: string, userId: string) =>
    waitFor(`${userId} joined in our view of ${roomId}`, async () => {
      const res = await onOurs("GET", `/rooms/${encode(roomId)}/joined_members`);
      return (res.body.joined as Record<string, unknown> | undefined)?.[userId];
    });

  /** Alice joins a room of Synapse's through /join with `via`; resolves once Synapse sees her joined. */
  async function aliceJoins(roomId: string): Promise<void> {
    const join = await onOurs("POST", `/join/${encode(roomId)}?via=${encode(pair.synapse.serverName)}`, {});
    expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
    await joinedOnSynapse(roomId, pair.alice.user_id);
  }

  /** Bob sends a text; returns its event id. */
  async function bobSays(roomId: string, body: string): Promise<string> {
    const sent = await onSynapse("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body });
    expect(sent).toMatchObject({ status: 200 });
    return sent.body.event_id as string;
  }

  /** Waits until `side` can read `eventId` in `roomId`. */
  const eventArrives = (side: Side, roomId: string, eventId: string) =>
    waitFor(`${eventId} on ${side === "ours" ? "our side" : "Synapse"}`, async () => {
      const res = await (side === "ours" ? onOurs : onSynapse)("GET", `/rooms/${encode(roomId)}/event/${encode(eventId)}`);
      return res.status === 200 ? true : undefined;
    });

  /** Waits until `side`'s state of `roomId` has `userId` with `membership`. */
  const membershipOn = (side: Side, roomId: string, userId: string, membership: string) =>
    waitFor(`${userId} ${membership} in ${side === "ours" ? "our" : "Synapse's"} view of ${roomId}`, async () => {
      const get = side === "ours" ? onOurs : onSynapse;
      const res = await get("GET", `/rooms/${encode(roomId)}/state/m.room.member/${encode(userId)}`);
      return res.body.membership === membership ? true : undefined;
    });

  /** Bob joins one of our rooms through Synapse; resolves once we see him joined. */
  async function bobJoinsOurs(roomId: string): Promise<void> {
    const join = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(pair.ours.serverName)}&via=${encode(pair.ours.serverName)}`, {});
    expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
    await joinedOnOurs(roomId, pair.bob.user_id);
  }

  /** Waits until `side`'s /sync lists `roomId` under `section` (invite, join, leave, knock). */
  async function roomInSync(side: Side, section: string, roomId: string): Promise<void> {
    const get = side === "ours" ? onOurs : onSynapse;
    let since: string | undefined;
    await waitFor(`${roomId} under rooms.${section} in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
      const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
      since = res.body.next_batch as string;
      return ((res.body.rooms as JsonObject | undefined)?.[section] as Record<string, unknown> | undefined)?.[roomId] !== undefined
        ? true
        : undefined;
    });
  }

  /** Sends a text on one side and waits until the other side's /messages has it. */
  async function messageCrosses(roomId: string, from: Side): Promise<void> {
    const text = `from ${from} ${nonce()}`;
    const send = from === "ours" ? onOurs : onSynapse;
    const sent = await send("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: text });
    expect(sent).toMatchObject({ status: 200 });
    const read = from === "ours" ? onSynapse : onOurs;
    await waitFor(`the message ${from === "ours" ? "we" : "Synapse"} sent in the other side's /messages`, async () => {
      const res = await read("GET", `/rooms/${encode(roomId)}/messages?dir=b&limit=20`);
      return (res.body.chunk as JsonObject[] | undefined)?.find((e) => e.event_id === sent.body.event_id);
    });
  }

  /** The typing user ids in `roomId` from one /sync after `since` (long-polled); undefined: no news. */
  async function typingOn(side: Side, roomId: string, since: string | undefined) {
    const get = side === "ours" ? onOurs : onSynapse;
    const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
    const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
    const typing = ((room?.ephemeral as { events?: JsonObject[] } | undefined)?.events ?? []).find((e) => e.type === "m.typing");
    const userIds = (typing?.content as { user_ids?: string[] } | undefined)?.user_ids;
    // An initial sync may leave out m.typing when nobody types; an incremental one leaves it out
    // when nothing changed.
    return { next: res.body.next_batch as string, userIds: userIds ?? (since === undefined ? [] : undefined) };
  }

  /** Waits until `side`'s /sync reports `expected` as the room's typing users. */
  async function typingSeen(side: Side, roomId: string, expected: string[]): Promise<void> {
    let since: string | undefined;
    await waitFor(`typing ${JSON.stringify(expected)} in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
      const { next, userIds } = await typingOn(side, roomId, since);
      since = next;
      return userIds !== undefined && JSON.stringify([...userIds].sort()) === JSON.stringify(expected) ? true : undefined;
    });
  }

  /** Waits until `side`'s /sync shows `userId`'s m.read receipt on `eventId`. */
  async function receiptSeen(side: Side, roomId: string, eventId: string, userId: string): Promise<void> {
    const get = side === "ours" ? onOurs : onSynapse;
    let since: string | undefined;
    await waitFor(`${userId}'s receipt in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
      const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
      since = res.body.next_batch as string;
      const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
      const events = ((room?.ephemeral as { events?: JsonObject[] } | undefined)?.events ?? []) as JsonObject[];
      const receipts = events.filter((e) => e.type === "m.receipt").map((e) => e.content as Record<string, JsonObject>);
      return receipts.some((c) => ((c[eventId]?.["m.read"] as JsonObject | undefined)?.[userId]) !== undefined) ? true : undefined;
    });
  }

  const setTyping = (side: Side, roomId: string, typing: boolean) => {
    const [call, userId] = side === "ours" ? [onOurs, pair.alice.user_id] : [onSynapse, pair.bob.user_id];
    return call("PUT", `/rooms/${encode(roomId)}/typing/${encode(userId)}`, typing ? { typing, timeout: 30_000 } : { typing });
  };

  /** Sets a status message on one side and waits until the other side reports it. */
  async function presenceCrosses(from: Side): Promise<void> {
    const [set, read, userId] =
      from === "synapse" ? [onSynapse, onOurs, pair.bob.user_id] : [onOurs, onSynapse, pair.alice.user_id];
    const status = `${from} ${nonce()}`;
    expect(await set("PUT", `/presence/${encode(userId)}/status`, { presence: "online", status_msg: status })).toMatchObject({ status: 200 });
    await waitFor(`${userId}'s presence on the other side`, async () => {
      const res = await read("GET", `/presence/${encode(userId)}/status`);
      return res.body.status_msg === status ? true : undefined;
    });
  }

  return {
    onSynapse, onOurs, synapseRoom, ourRoom, joinedOnSynapse, joinedOnOurs, aliceJoins, bobJoinsOurs, bobSays, eventArrives,
    membershipOn, roomInSync, messageCrosses, typingSeen, receiptSeen, setTyping, presenceCrosses,
  };
}
