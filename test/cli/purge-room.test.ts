// `conduit purge-room` as a real process: a room everyone left is removed by its alias with the
// server stopped and is gone after a restart; a room with local members needs --force; beside a
// running server it refuses.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, loginUser, registerUser } from "../helpers/client";
import { runCli, serverConfig } from "../helpers/admin";
import { createRoom, enc, roomAction, sendMessage } from "../helpers/rooms";
import { startServer } from "../helpers/server";

test("purges a left room by alias with the server stopped; local members need --force; a running server refuses", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-purge-"));
  try {
    const server = await startServer({ dataDir });
    let left = "";
    let occupied = "";
    try {
      const alice = await registerUser(server.baseUrl, "alice");
      left = await createRoom(server.baseUrl, alice, { room_alias_name: "spam" });
      for (let i = 0; i < 3; i++) await sendMessage(server.baseUrl, alice, left, `spam ${i}`);
      expect((await roomAction(server.baseUrl, alice, left, "leave")).status).toBe(200);
      occupied = await createRoom(server.baseUrl, alice);
      const running = await runCli(["purge-room", left], { configPath: serverConfig(server) });
      expect(running.code).toBe(1);
      expect(running.stderr).toContain("the server is running on this database");
    } finally {
      await server.stop();
    }
    const config = join(dataDir, "conduit.toml");

    const byAlias = await runCli(["purge-room", "#spam:localhost"], { configPath: config });
    expect(byAlias).toMatchObject({ code: 0 });
    expect(byAlias.stdout).toMatch(new RegExp(`^purged ${left.replace(/[.$]/g, "\\$&")}: \\d+ events\\n$`));

    const refused = await runCli(["purge-room", occupied], { configPath: config });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("1 local users are still in");
    const forced = await runCli(["purge-room", occupied, "--force"], { configPath: config });
    expect(forced).toMatchObject({ code: 0 });
    expect(forced.stdout).toContain("(1 local members removed without a leave)");

    const unknown = await runCli(["purge-room", occupied], { configPath: config });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("is not a room this server knows");
    expect((await runCli(["purge-room", "nonsense"], { configPath: config })).code).toBe(2);

    const again = await startServer({ dataDir });
    try {
      const alice = await loginUser(again.baseUrl, "alice");
      expect((await api(again.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#spam:localhost")}`)).status).toBe(404);
      const joined = await api<{ joined_rooms: string[] }>(again.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token });
      expect(joined.body.joined_rooms).toEqual([]);
      const state = await api(again.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(occupied)}/state`, { token: alice.access_token });
      expect([403, 404]).toContain(state.status);
      // The server carries on: a new room is created and used.
      const fresh = await createRoom(again.baseUrl, alice);
      expect(await sendMessage(again.baseUrl, alice, fresh, "after the purge")).toStartWith("$");
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
