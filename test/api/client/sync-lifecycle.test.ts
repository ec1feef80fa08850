// Sync across a restart: every stream position but typing's is durable, so a token from before the
// restart (whose typing position belongs to the old process) still syncs correctly; and a graceful
// stop answers pending long-polls at once instead of waiting out their timeout.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asUser, enc } from "../../helpers/as-user";
import { registerUser } from "../../helpers/client";
import { startServer } from "../../helpers/server";
import { ofType, parked, type SyncBody } from "../../helpers/sync";

const dataDir = mkdtempSync(join(tmpdir(), "conduit-sync-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("a token from before a restart returns what happened since, typing reset included", async () => {
  let server = await startServer({ dataDir });
  const alice = await registerUser(server.baseUrl, "alice");
  const bob = await registerUser(server.baseUrl, "bob");
  let A = asUser(server.baseUrl, alice);
  let B = asUser(server.baseUrl, bob);
  const roomId = (await A<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
  await B("POST", `/join/${enc(roomId)}`, {});
  await A("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.user_id)}`, { typing: true, timeout: 60000 });
  const before = (await B<SyncBody>("GET", "/sync")).body;
  expect(ofType(before.rooms.join[roomId]!.ephemeral.events, "m.typing")[0]!.content.user_ids).toEqual([alice.user_id]);
  await A("PUT", `/rooms/${enc(roomId)}/send/m.room.message/x1`, { msgtype: "m.text", body: "before restart" });
  await B("PUT", `/user/${enc(bob.user_id)}/account_data/org.example.x`, { v: 1 });
  expect(await server.stop()).toBe(0);

  server = await startServer({ dataDir });
  try {
    A = asUser(server.baseUrl, alice);
    B = asUser(server.baseUrl, bob);
    await A("PUT", `/rooms/${enc(roomId)}/send/m.room.message/x2`, { msgtype: "m.text", body: "after restart" });
    const after = await B<SyncBody>("GET", `/sync?since=${before.next_batch}`);
    expect(after.status).toBe(200);
    const room = after.body.rooms.join[roomId]!;
    expect(room.timeline.events.map((e) => e.content.body)).toEqual(["before restart", "after restart"]);
    expect(after.body.account_data.events).toEqual([{ type: "org.example.x", content: { v: 1 } }]);
    // Nobody types after a restart, and the client is told so.
    expect(ofType(room.ephemeral.events, "m.typing").map((e) => e.content.user_ids)).toEqual([[]]);
    // The new token syncs on without repeating anything.
    const again = await B<SyncBody>("GET", `/sync?since=${after.body.next_batch}&timeout=200`);
    expect(again.body.rooms.join).toEqual({});
  } finally {
    await server.stop();
  }
});

test("SIGTERM answers a pending long-poll at once and exits cleanly", async () => {
  const server = await startServer({ log: "debug" });
  const user = await registerUser(server.baseUrl, "sleeper");
  const call = asUser(server.baseUrl, user);
  const first = await call<SyncBody>("GET", "/sync");
  const waiting = parked(server, user.user_id);
  const pending = call<SyncBody>("GET", `/sync?since=${first.body.next_batch}&timeout=60000`);
  await waiting;
  const started = performance.now();
  expect(await server.stop()).toBe(0);
  expect(performance.now() - started).toBeLessThan(5_000);
  const answered = await pending;
  expect(answered.status).toBe(200);
  expect(answered.body.next_batch).toBeString();
});
