// The Element X engine against this server: matrix-sdk and matrix-sdk-ui (the crates Element X is
// built on) log in with a password, run the SyncService (simplified sliding sync, room list and
// encryption connections), list the rooms in the room list service's order with names and unread
// counts, accept an invite, exchange messages in an encrypted room both ways (decrypted in the
// timeline), and carry on after the server restarts. Needs the client built by
// scripts/rust-sdk/install.sh (a 65-minute Rust build on a 2-core machine, which .ci/run never runs);
// npm test runs the suite once the binary is built and skips it otherwise.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerUser, type Session } from "../helpers/client";
import { asUser, type UserCall } from "../helpers/as-user";
import { freePort } from "../helpers/federation";
import { until } from "../helpers/federated-rooms";
import { rustClientBuilt, rustClientPath, startRustClient, type RustClient, type RustRoom } from "../helpers/rust-sdk";
import { startServer, type TestServer } from "../helpers/server";

if (!rustClientBuilt) console.warn(`rust-sdk client tests skipped: no ${rustClientPath} (run scripts/rust-sdk/install.sh)`);

const password = "correct horse battery staple";
const enc = encodeURIComponent;

describe.skipIf(!rustClientBuilt)("matrix-rust-sdk (Element X's engine)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-rust-sdk-server-"));
  // A fixed port, so the clients find the server again after it restarts.
  const port = freePort();
  let server: TestServer;
  let alice: Session;
  let bob: Session;
  let aliceHttp: UserCall;
  let bobHttp: UserCall;
  let aliceApp: RustClient;
  let bobApp: RustClient;
  const rooms: Record<string, string> = {};
  let txn = 0;

  const say = async (who: UserCall, roomId: string, body: string, extra: Record<string, unknown> = {}) =>
    expect((await who("PUT", `/rooms/${enc(roomId)}/send/m.room.message/r${++txn}`, { msgtype: "m.text", body, ...extra })).status).toBe(200);
  const roomNamed = (list: RustRoom[], name: string) => list.find((r) => r.name === name);

  beforeAll(async () => {
    server = await startServer({ dataDir, env: { CONDUIT_PORT: String(port) } });
    alice = await registerUser(server.baseUrl, "alice", password);
    bob = await registerUser(server.baseUrl, "bob", password);
    aliceHttp = asUser(server.baseUrl, alice);
    bobHttp = asUser(server.baseUrl, bob);
    // Three rooms with activity in a known order: Cellar oldest, then Attic, then Balcony newest.
    for (const name of ["Cellar", "Attic", "Balcony"]) {
      const res = await bobHttp<{ room_id: string }>("POST", "/createRoom", { name, preset: "public_chat" });
      rooms[name] = res.body.room_id;
      expect((await aliceHttp("POST", `/join/${enc(res.body.room_id)}`, {})).status).toBe(200);
    }
    await say(bobHttp, rooms.Cellar!, "down here");
    await say(bobHttp, rooms.Attic!, "up here");
    await say(bobHttp, rooms.Attic!, `look ${alice.user_id}`, { "m.mentions": { user_ids: [alice.user_id] } });
    await say(bobHttp, rooms.Balcony!, "out here");
    aliceApp = startRustClient();
    bobApp = startRustClient();
    await aliceApp.call("login", { homeserver: server.baseUrl, user: "alice", password });
    await bobApp.call("login", { homeserver: server.baseUrl, user: "bob", password });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([aliceApp?.close(), bobApp?.close()]);
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("the room list shows the rooms newest first, with names and unread counts", async () => {
    const list = await until("three named rooms with their counts", async () => {
      const got = await aliceApp.rooms();
      return got.length === 3 && roomNamed(got, "Attic")?.notifications === 2 ? got : undefined;
    }, 60_000);
    expect(list.map((r) => r.name)).toEqual(["Balcony", "Attic", "Cellar"]);
    expect(roomNamed(list, "Attic")!.highlights).toBe(1);
    expect(roomNamed(list, "Cellar")!.notifications).toBe(1);
    expect(list.every((r) => r.state === "Joined")).toBe(true);
  }, 90_000);

  test("an invite shows up and is accepted", async () => {
    const res = await bobHttp<{ room_id: string }>("POST", "/createRoom", { name: "Invitation", invite: [alice.user_id] });
    rooms.Invitation = res.body.room_id;
    await until("the invite in alice's list", async () => ((await aliceApp.rooms()).find((r) => r.room_id === rooms.Invitation && r.state === "Invited") ? true : undefined), 30_000);
    await aliceApp.call("join", { room_id: rooms.Invitation });
    const joined = await until("the room joined, on top", async () => {
      const list = await aliceApp.rooms();
      return list.find((r) => r.room_id === rooms.Invitation && r.state === "Joined" && r.name === "Invitation") ? list : undefined;
    }, 30_000);
    expect(joined.map((r) => r.name)).toContain("Invitation");
  }, 60_000);

  test("messages in an encrypted room are decrypted both ways", async () => {
    const res = await aliceHttp<{ room_id: string }>("POST", "/createRoom", {
      name: "Secret",
      invite: [bob.user_id],
      initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    const roomId = res.body.room_id;
    await until("bob sees the invite", async () => ((await bobApp.rooms()).find((r) => r.room_id === roomId) ? true : undefined), 30_000);
    await bobApp.call("join", { room_id: roomId });
    await until("alice sees bob joined", async () => ((await aliceHttp<{ joined: Record<string, unknown> }>("GET", `/rooms/${enc(roomId)}/joined_members`)).body.joined[bob.user_id] ? true : undefined));
    await until("the room known as encrypted to alice", async () => ((await aliceApp.rooms()).find((r) => r.room_id === roomId)?.encrypted ? true : undefined), 30_000);
    await aliceApp.call("send", { room_id: roomId, body: "for bob only" });
    const atBob = await until("bob decrypts alice's message", async () => {
      const got = await bobApp.messages(roomId);
      return got.some((m) => m.body === "for bob only") ? got : undefined;
    }, 60_000);
    expect(atBob.find((m) => m.body === "for bob only")!.sender).toBe(alice.user_id);
    await bobApp.call("send", { room_id: roomId, body: "and back" });
    await until("alice decrypts bob's answer", async () => ((await aliceApp.messages(roomId)).some((m) => m.body === "and back") ? true : undefined), 60_000);
    // The server only ever saw ciphertext.
    const raw = await aliceHttp<{ chunk: { type: string }[] }>("GET", `/rooms/${enc(roomId)}/messages?dir=b&limit=5`);
    expect(raw.body.chunk.some((e) => e.type === "m.room.encrypted")).toBe(true);
    expect(raw.body.chunk.some((e) => e.type === "m.room.message")).toBe(false);
  }, 120_000);

  test("after the server restarts, the clients carry on and see new messages", async () => {
    await server.stop();
    server = await startServer({ dataDir, env: { CONDUIT_PORT: String(port) } });
    aliceHttp = asUser(server.baseUrl, alice);
    bobHttp = asUser(server.baseUrl, bob);
    await say(bobHttp, rooms.Cellar!, "after the restart");
    await until("alice's app shows the message", async () => ((await aliceApp.messages(rooms.Cellar!)).some((m) => m.body === "after the restart") ? true : undefined), 60_000);
    const list = await until("Cellar back on top", async () => {
      const got = await aliceApp.rooms();
      return got[0]?.name === "Cellar" ? got : undefined;
    }, 60_000);
    expect(roomNamed(list, "Cellar")!.notifications).toBe(2);
  }, 120_000);
});
