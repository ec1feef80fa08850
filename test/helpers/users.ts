/**
 * A test server with registered users, each with their session and a client bound to them, so a
 * test reads `alice.call("GET", "/sync")`.
 */
import { expect } from "bun:test";
import { asUser, enc, type UserCall } from "./as-user";
import { registerUser, type Session } from "./client";
import { startServer, type StartOptions, type TestServer } from "./server";

export interface TestUser {
  id: string;
  session: Session;
  call: UserCall;
}

export async function addUser(server: TestServer, name: string, password?: string): Promise<TestUser> {
  const session = await registerUser(server.baseUrl, name, password);
  return { id: session.user_id, session, call: asUser(server.baseUrl, session) };
}

export async function serverWithUsers<N extends string>(
  names: readonly N[],
  opts: StartOptions = {},
): Promise<{ server: TestServer; users: Record<N, TestUser> }> {
  const server = await startServer(opts);
  const list = await Promise.all(names.map((name) => addUser(server, name)));
  return { server, users: Object.fromEntries(names.map((n, i) => [n, list[i]!])) as Record<N, TestUser> };
}

/** A room `owner` creates (public unless `body` says otherwise) and each of `members` joins. */
export async function roomOf(owner: TestUser, members: readonly TestUser[], body: Record<string, unknown> = { preset: "public_chat" }): Promise<string> {
  const roomId = (await owner.call<{ room_id: string }>("POST", "/createRoom", body)).body.room_id;
  for (const m of members) expect((await m.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  return roomId;
}

let txn = 0;

/** Sends an event as `who` and returns its id. */
export async function sendAs(who: TestUser, roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
  const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/${enc(type)}/h${++txn}`, content);
  expect(res.status).toBe(200);
  return res.body.event_id;
}
