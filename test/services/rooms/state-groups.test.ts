// State stored as delta-chained state groups: long chains (past the snapshot interval) read back
// exactly, after a restart too (nothing cached), including the state at past points.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { api, loginUser, registerUser } from "../../helpers/client";
import { startServer } from "../../helpers/server";
import { createRoom, enc, setState, type ClientEvent } from "../../helpers/rooms";

test("120 state changes read back exactly, before and after a restart, now and at a past point", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-state-"));
  try {
    let server = await startServer({ dataDir });
    const alice = await registerUser(server.baseUrl, "alice");
    const roomId = await createRoom(server.baseUrl, alice);
    let halfway = "";
    for (let i = 0; i < 120; i++) {
      const id = await setState(server.baseUrl, alice, roomId, "org.example.counter", { i }, `k${i % 30}`);
      if (i === 59) halfway = id;
    }
    const expected = Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, 90 + k]));
    const read = async (baseUrl: string, token: string) => {
      const all = await api<ClientEvent[]>(baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token });
      return Object.fromEntries(all.body.filter((e) => e.type === "org.example.counter").map((e) => [e.state_key, e.content.i]));
    };
    expect(await read(server.baseUrl, alice.access_token)).toEqual(expected);
    await server.stop();

    server = await startServer({ dataDir });
    const again = await loginUser(server.baseUrl, "alice");
    expect(await read(server.baseUrl, again.access_token)).toEqual(expected);
    // The state at the halfway event comes from an older group of the chain.
    const context = await api<{ state: ClientEvent[] }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(halfway)}?limit=0`, {
      token: again.access_token,
    });
    const then = Object.fromEntries(context.body.state.filter((e) => e.type === "org.example.counter").map((e) => [e.state_key, e.content.i]));
    expect(then).toEqual(Object.fromEntries(Array.from({ length: 30 }, (_, k) => [`k${k}`, 30 + k])));
    const counter = await api<ClientEvent>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/org.example.counter/k5?format=event`, {
      token: again.access_token,
    });
    expect(counter.body.content).toEqual({ i: 95 });
    expect(counter.body.unsigned?.prev_content).toEqual({ i: 65 });
    await server.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
