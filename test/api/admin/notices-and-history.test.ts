// Server notices and history purges in the admin API over HTTP.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverWithAdmin } from "../../helpers/admin";
import { createRoom, enc } from "../../helpers/rooms";

const srv = serverWithAdmin();
const call = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, token = srv.admin.access_token) =>
  api<T>(srv.server.baseUrl, method, path, { token, body });

describe("server notices", () => {
  test("the first notice creates a room tagged m.server_notice and invites the user; later ones go to the same room", async () => {
    const user = await registerUser(srv.server.baseUrl, "noticed");
    const first = await call<{ event_id: string }>("POST", "/_synapse/admin/v1/send_server_notice", { user_id: user.user_id, content: { msgtype: "m.text", body: "maintenance tonight" } });
    expect(first.status).toBe(200);
    const sync = await api<{ rooms: { invite: Record<string, unknown> } }>(srv.server.baseUrl, "GET", "/_matrix/client/v3/sync", { token: user.access_token });
    const [roomId] = Object.keys(sync.body.rooms.invite);
    expect(roomId).toBeDefined();
    const tags = await api<{ tags: Record<string, unknown> }>(srv.server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(user.user_id)}/rooms/${enc(roomId!)}/tags`, { token: user.access_token });
    expect(Object.keys(tags.body.tags)).toEqual(["m.server_notice"]);
    await api(srv.server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId!)}`, { token: user.access_token, body: {} });
    const second = await call<{ event_id: string }>("POST", "/_synapse/admin/v1/send_server_notice", { user_id: user.user_id, content: { msgtype: "m.text", body: "done" } });
    const messages = await api<{ chunk: { event_id: string; sender: string; content: { body?: string } }[] }>(srv.server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId!)}/messages?dir=b&limit=20`, { token: user.access_token });
    const bodies = messages.body.chunk.filter((e) => e.content.body !== undefined).map((e) => [e.event_id, e.sender, e.content.body]);
    expect(bodies).toEqual([
      [second.body.event_id, "@conduit:localhost", "done"],
      [first.body.event_id, "@conduit:localhost", "maintenance tonight"],
    ]);
  });

  test("the PUT form sends one notice per transaction id; unknown and remote users are refused", async () => {
    const user = await registerUser(srv.server.baseUrl, "noticed2");
    const body = { user_id: user.user_id, content: { msgtype: "m.text", body: "once" } };
    const a = await call<{ event_id: string }>("PUT", "/_synapse/admin/v1/send_server_notice/t1", body);
    const b = await call<{ event_id: string }>("PUT", "/_synapse/admin/v1/send_server_notice/t1", body);
    expect(b.body.event_id).toBe(a.body.event_id);
    expectError(await call("POST", "/_synapse/admin/v1/send_server_notice", { user_id: "@ghost:localhost", content: { body: "x" } }), 404, "M_NOT_FOUND");
    expectError(await call("POST", "/_synapse/admin/v1/send_server_notice", { user_id: "@x:elsewhere.org", content: { body: "x" } }), 400, "M_INVALID_PARAM");
    expectError(await call("POST", "/_synapse/admin/v1/send_server_notice", body, user.access_token), 403, "M_FORBIDDEN");
  });
});

describe("purge history", () => {
  let owner: Session;
  beforeAll(async () => {
    owner = await registerUser(srv.server.baseUrl, "historian");
  });

  async function send(roomId: string, body: string): Promise<string> {
    const res = await api<{ event_id: string }>(srv.server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message`, { token: owner.access_token, body: { msgtype: "m.text", body } });
    return res.body.event_id;
  }
  const bodiesIn = async (roomId: string) => {
    const res = await api<{ chunk: { type: string; content: { body?: string } }[] }>(srv.server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=f&limit=100`, { token: owner.access_token });
    return res.body.chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body);
  };
  async function finished(purgeId: string): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await call<{ status: string }>("GET", `/_synapse/admin/v1/purge_history_status/${purgeId}`);
      if (res.body.status !== "active") return res.body.status;
    }
    return "active";
  }

  test("up to an event with delete_local_events: older messages go, state and newer messages stay", async () => {
    const roomId = await createRoom(srv.server.baseUrl, owner, { name: "Old chatter" });
    await send(roomId, "one");
    await send(roomId, "two");
    const cut = await send(roomId, "three");
    await send(roomId, "four");
    const started = await call<{ purge_id: string }>("POST", `/_synapse/admin/v1/purge_history/${enc(roomId)}/${enc(cut)}`, { delete_local_events: true });
    expect(started.status).toBe(200);
    expect(await finished(started.body.purge_id)).toBe("complete");
    expect(await bodiesIn(roomId)).toEqual(["three", "four"]);
    const name = await api<{ name: string }>(srv.server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`, { token: owner.access_token });
    expect(name.body.name).toBe("Old chatter");
    // The room goes on.
    await send(roomId, "five");
    expect(await bodiesIn(roomId)).toEqual(["three", "four", "five"]);
  });

  test("without delete_local_events this server's own events stay; purge_up_to_ts counts too", async () => {
    const roomId = await createRoom(srv.server.baseUrl, owner);
    await send(roomId, "kept");
    const started = await call<{ purge_id: string }>("POST", `/_synapse/admin/v1/purge_history/${enc(roomId)}`, { purge_up_to_ts: Date.now() + 60_000 });
    expect(await finished(started.body.purge_id)).toBe("complete");
    expect(await bodiesIn(roomId)).toEqual(["kept"]);
  });

  test("bad requests: no point, an unknown room, an event of another room, an unknown purge id", async () => {
    const roomId = await createRoom(srv.server.baseUrl, owner);
    const other = await createRoom(srv.server.baseUrl, owner);
    const foreign = await send(other, "elsewhere");
    expectError(await call("POST", `/_synapse/admin/v1/purge_history/${enc(roomId)}`, {}), 400, "M_MISSING_PARAM");
    expectError(await call("POST", `/_synapse/admin/v1/purge_history/${enc("!none:localhost")}`, { purge_up_to_ts: 1 }), 404, "M_NOT_FOUND");
    expectError(await call("POST", `/_synapse/admin/v1/purge_history/${enc(roomId)}/${enc(foreign)}`, {}), 404, "M_NOT_FOUND");
    expectError(await call("GET", "/_synapse/admin/v1/purge_history_status/nope"), 404, "M_NOT_FOUND");
  });
});
