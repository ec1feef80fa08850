/**
 * Room helpers for API tests: create a room, send events, read state and the timeline, and read
 * the server's database directly (read-only) where the client API hides what a test must check,
 * such as `prev_events`.
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { createEventsRepo } from "../../src/storage/events";
import { afterAll, beforeAll } from "bun:test";
import { api, registerUser, type Session } from "./client";
import { startServer, type StartOptions, type TestServer } from "./server";

export type Body = Record<string, unknown>;

/**
 * One server for the calling test file with the named users registered on it. The returned objects
 * are filled in place before the file's tests run, so they can be destructured at the top:
 * `const { server, alice } = serverWithUsers(["alice"]);`
 */
export function serverWithUsers<N extends string>(names: readonly N[], opts: StartOptions = {}): { server: TestServer } & Record<N, Session> {
  const server = {} as TestServer;
  const users = Object.fromEntries(names.map((n) => [n, {} as Session])) as Record<N, Session>;
  beforeAll(async () => {
    Object.assign(server, await startServer(opts));
    for (const name of names) Object.assign(users[name], await registerUser(server.baseUrl, name));
  });
  afterAll(() => server.stop());
  return { server, ...users };
}

export const enc = encodeURIComponent;

export async function createRoom(baseUrl: string, who: Session, body: Body = {}): Promise<string> {
  const res = await api<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: who.access_token, body });
  if (res.status !== 200) throw new Error(`createRoom: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.room_id;
}

let txnCounter = 0;

export async function sendMessage(baseUrl: string, who: Session, roomId: string, body: string, type = "m.room.message"): Promise<string> {
  const res = await api<{ event_id: string }>(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/t${++txnCounter}`, {
    token: who.access_token,
    body: { msgtype: "m.text", body },
  });
  if (res.status !== 200) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

export async function setState(baseUrl: string, who: Session, roomId: string, type: string, content: Body, stateKey = ""): Promise<string> {
  const res = await api<{ event_id: string }>(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`, {
    token: who.access_token,
    body: content,
  });
  if (res.status !== 200) throw new Error(`state: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.event_id;
}

export async function roomAction(baseUrl: string, who: Session, roomId: string, action: string, body: Body = {}) {
  return api(baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/${action}`, { token: who.access_token, body });
}

export async function joinRoom(baseUrl: string, who: Session, roomIdOrAlias: string) {
  const res = await api(baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, { token: who.access_token, body: {} });
  if (res.status !== 200) throw new Error(`join: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface ClientEvent {
  event_id: string;
  type: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  room_id?: string;
  unsigned?: Record<string, unknown>;
}

export async function messages(baseUrl: string, who: Session, roomId: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return api<{ chunk: ClientEvent[]; start: string; end?: string; state?: ClientEvent[] }>(
    baseUrl,
    "GET",
    `/_matrix/client/v3/rooms/${enc(roomId)}/messages${qs ? `?${qs}` : ""}`,
    { token: who.access_token },
  );
}

/** A read-only view of the server's database, for checks the client API cannot make. */
export function openServerDb(dataDir: string): Database {
  return new Database(join(dataDir, "conduit.db"), { readonly: true });
}

/** The PDU the server stored for an event, read through the storage layer. */
export function storedPdu(db: Database, eventId: string): Record<string, unknown> & { prev_events: unknown[]; depth: number } {
  const row = createEventsRepo(db).get(eventId);
  if (!row) throw new Error(`no event ${eventId}`);
  return JSON.parse(row.json);
}
