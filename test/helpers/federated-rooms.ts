/**
 * Client-side steps for federation tests over real servers: waiting for something to arrive,
 * reading a room's timeline and state, sending messages, and setting up a room shared by users
 * of two servers (created on one, the other invited and joined through federation).
 */
import { api, type Session } from "./client";

/** A server a test talks to over HTTP. */
export interface ServerHandle {
  baseUrl: string;
  serverName: string;
}

export interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
}

/** Polls `probe` until it returns a value (not undefined). */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

const room = (roomId: string) => `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;

/** The room's timeline as `who` sees it, oldest first. */
export async function timeline(server: ServerHandle, who: Session, roomId: string, limit = 1000): Promise<ClientEvent[]> {
  const res = await api<{ chunk: ClientEvent[] }>(server.baseUrl, "GET", `${room(roomId)}/messages?dir=b&limit=${limit}`, {
    token: who.access_token,
  });
  if (res.status !== 200) throw new Error(`messages: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.chunk.reverse();
}

/** Bodies of the m.room.message events, in order. */
export const texts = (events: ClientEvent[]) => events.filter((e) => e.type === "m.room.message").map((e) => e.content.body as string);

let txn = 0;
export async function say(server: ServerHandle, who: Session, roomId: string, body: string): Promise<string> {
  const res = await api<{ event_id: string }>(server.baseUrl, "PUT", `${room(roomId)}/send/m.room.message/t${Date.now()}-${++txn}`, {
    token: who.access_token,
    body: { msgtype: "m.text", body },
  });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

export async function setState(server: ServerHandle, who: Session, roomId: string, type: string, content: Record<string, unknown>, stateKey = "") {
  const res = await api(server.baseUrl, "PUT", `${room(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`, {
    token: who.access_token,
    body: content,
  });
  if (res.status !== 200) throw new Error(`set ${type}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A state event's content as `who` sees it, or undefined when absent or not visible. */
export async function stateContent(server: ServerHandle, who: Session, roomId: string, type: string, stateKey = "") {
  const res = await api(server.baseUrl, "GET", `${room(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`, { token: who.access_token });
  return res.status === 200 ? res.body : undefined;
}

export async function membershipOn(server: ServerHandle, who: Session, roomId: string, userId: string): Promise<string | undefined> {
  return (await stateContent(server, who, roomId, "m.room.member", userId))?.membership as string | undefined;
}

export async function createRoom(server: ServerHandle, who: Session, body: Record<string, unknown>): Promise<string> {
  const created = await api<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: who.access_token, body });
  if (created.status !== 200) throw new Error(`createRoom: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.room_id;
}

/** `who` joins through `via` (the room's server); throws unless it worked. */
export async function joinRoom(server: ServerHandle, who: Session, roomIdOrAlias: string, via: string): Promise<void> {
  const join = await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}?via=${encodeURIComponent(via)}`, {
    token: who.access_token,
    body: {},
  });
  if (join.status !== 200) throw new Error(`join: ${join.status} ${JSON.stringify(join.body)}`);
}

/** A public room created by `owner` on `home`, which `guest` of `other` joined. */
export async function publicRoomWith(home: ServerHandle, owner: Session, other: ServerHandle, guest: Session, extra: Record<string, unknown> = {}): Promise<string> {
  const roomId = await createRoom(home, owner, { preset: "public_chat", ...extra });
  await joinRoom(other, guest, roomId, home.serverName);
  return roomId;
}

/** A room created by `owner` on `home`, which `guest` of `other` joined by invitation. */
export async function sharedRoom(home: ServerHandle, owner: Session, other: ServerHandle, guest: Session, name = "shared"): Promise<string> {
  const roomId = await createRoom(home, owner, { name, preset: "private_chat" });
  const invite = await api(home.baseUrl, "POST", `${room(roomId)}/invite`, { token: owner.access_token, body: { user_id: guest.user_id } });
  if (invite.status !== 200) throw new Error(`invite: ${invite.status} ${JSON.stringify(invite.body)}`);
  await joinRoom(other, guest, roomId, home.serverName);
  return roomId;
}

/** Waits until `who` sees `count` messages starting with `prefix`; returns their bodies in order. */
export function messagesStartingWith(server: ServerHandle, who: Session, roomId: string, prefix: string, count: number): Promise<string[]> {
  return until(
    `${count} messages "${prefix}…" on ${server.serverName}`,
    async () => {
      const got = texts(await timeline(server, who, roomId)).filter((t) => t.startsWith(prefix));
      return got.length >= count ? got : undefined;
    },
    60_000,
  );
}
