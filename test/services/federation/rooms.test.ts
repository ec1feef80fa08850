// Rooms across two real instances over TLS on loopback: a room created on A, a user of B invited
// (through B's server) and joining (make_join/send_join through A), messages both ways arriving in
// order, leave and rejoin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { createTestCa, type TestCa } from "../../helpers/tls";
import { membershipOn, say, stateContent, texts, timeline, until, type ClientEvent } from "../../helpers/federated-rooms";

let ca: TestCa;
let setup: FederationSetup;
let a: FederatedServer;
let b: FederatedServer;
let alice: Session;
let bob: Session;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  [a, b] = await Promise.all([startFederatedServer(setup), startFederatedServer(setup)]);
  [alice, bob] = await Promise.all([registerUser(a.baseUrl, "alice"), registerUser(b.baseUrl, "bob")]);
});
afterAll(async () => {
  if (process.env.FED_DEBUG) for (const s of [a, b]) console.log(s.serverName, s.output.filter((l) => !l.includes('"msg":"request"') || l.includes('"status":5') || l.includes('"status":4')).join("\n"));
  await Promise.all([a?.stop(), b?.stop()]);
  ca?.remove();
});

test("createRoom with a user of another server in `invite` invites them through their server", async () => {
  const created = await api<{ room_id: string }>(a.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
    token: alice.access_token,
    body: { preset: "trusted_private_chat", invite: [bob.user_id], is_direct: true, name: "Bob's invite" },
  });
  expect(created.status).toBe(200);
  const roomId = created.body.room_id;
  const invite = await stateContent(a, alice, roomId, "m.room.member", bob.user_id);
  expect(invite).toMatchObject({ membership: "invite", is_direct: true });
  // On B, which is not in the room, the invite shows the room as A described it, and the invite itself.
  const shown = await until("the invite on B", async () => {
    const sync = await api<{ rooms?: { invite?: Record<string, { invite_state: { events: { type: string; state_key: string; content: Record<string, unknown> }[] } }> } }>(
      b.baseUrl, "GET", "/_matrix/client/v3/sync", { token: bob.access_token },
    );
    return sync.body.rooms?.invite?.[roomId]?.invite_state.events;
  });
  const byType = new Map(shown.map((e) => [e.type, e]));
  expect(byType.get("m.room.name")?.content).toEqual({ name: "Bob's invite" });
  expect(byType.get("m.room.join_rules")?.content).toEqual({ join_rule: "invite" });
  expect(byType.get("m.room.create")?.content).toMatchObject({ room_version: expect.any(String) });
  expect(shown.filter((e) => e.type === "m.room.member" && e.state_key === bob.user_id).map((e) => e.content.membership)).toEqual(["invite"]);
  const join = await api(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, { token: bob.access_token, body: {} });
  expect(join.status).toBe(200);
  expect(await membershipOn(a, alice, roomId, bob.user_id)).toBe("join");
});

test("a profile of a user of another server is asked of that server", async () => {
  await api(a.baseUrl, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(alice.user_id)}/displayname`, {
    token: alice.access_token,
    body: { displayname: "Alice of A" },
  });
  const whole = await api(b.baseUrl, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(alice.user_id)}`);
  expect(whole.status).toBe(200);
  expect(whole.body.displayname).toBe("Alice of A");
  const field = await api(b.baseUrl, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(alice.user_id)}/displayname`);
  expect(field.body).toEqual({ displayname: "Alice of A" });
  const unknown = await api(b.baseUrl, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(`@nobody:${a.serverName}`)}`);
  expect(unknown.status).toBe(404);
});

/** A room of alice's on A, named "Across", that bob of B was invited to (through B) and joined (through A). */
async function sharedRoom(): Promise<string> {
  const created = await api<{ room_id: string }>(a.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
    token: alice.access_token,
    body: { name: "Across", preset: "private_chat" },
  });
  expect(created.status).toBe(200);
  const roomId = created.body.room_id;
  const invite = await api(a.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, {
    token: alice.access_token,
    body: { user_id: bob.user_id },
  });
  expect(invite.status).toBe(200);
  expect(await membershipOn(a, alice, roomId, bob.user_id)).toBe("invite");
  const join = await api<{ room_id: string }>(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {
    token: bob.access_token,
    body: {},
  });
  expect(join.status).toBe(200);
  expect(join.body.room_id).toBe(roomId);
  return roomId;
}

test("a user of B is invited through B and joins through A", async () => {
  const roomId = await sharedRoom();
  // B now holds the room's state; A learns of the join through send_join.
  expect(await membershipOn(b, bob, roomId, alice.user_id)).toBe("join");
  expect(await membershipOn(b, bob, roomId, bob.user_id)).toBe("join");
  expect(await membershipOn(a, alice, roomId, bob.user_id)).toBe("join");
  const name = await api<{ name: string }>(b.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`, {
    token: bob.access_token,
  });
  expect(name.body.name).toBe("Across");
});

// Each test of this block works in one such room, made for the block: any one runs alone.
describe("a room shared by two servers", () => {
  let roomId: string;
  beforeAll(async () => {
    roomId = await sharedRoom();
    await until("bob's join on A", async () => ((await membershipOn(a, alice, roomId, bob.user_id)) === "join" ? true : undefined));
  });

  test("messages flow both ways, in order", async () => {
    for (let i = 0; i < 5; i++) await say(a, alice, roomId, `a${i}`);
    await until("A's messages on B", async () => ((await texts(await timeline(b, bob, roomId))).length >= 5 ? true : undefined));
    for (let i = 0; i < 5; i++) await say(b, bob, roomId, `b${i}`);
    const expected = ["a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4"];
    await until("B's messages on A", async () => (texts(await timeline(a, alice, roomId)).length >= 10 ? true : undefined));
    expect(texts(await timeline(a, alice, roomId))).toEqual(expected);
    await until("all on B", async () => (texts(await timeline(b, bob, roomId)).length >= 10 ? true : undefined));
    expect(texts(await timeline(b, bob, roomId))).toEqual(expected);
  });

  /**
   * A /sync stream of `who` on `server`, read from now on: `next(type, check)` waits until an
   * ephemeral event of `type` in the room satisfies `check`, so changes are seen in order.
   */
  async function syncStream(server: FederatedServer, who: Session) {
    type SyncBody = { next_batch: string; rooms?: { join?: Record<string, { ephemeral?: { events: ClientEvent[] } }> } };
    const sync = (since?: string) =>
      api<SyncBody>(server.baseUrl, "GET", `/_matrix/client/v3/sync?timeout=500${since ? `&since=${since}` : ""}`, { token: who.access_token });
    let since = (await sync()).body.next_batch;
    return {
      next: (type: string, check: (content: Record<string, unknown>) => boolean) =>
        until(`${type} on ${server.serverName}`, async () => {
          const res = await sync(since);
          since = res.body.next_batch;
          const events = res.body.rooms?.join?.[roomId]?.ephemeral?.events ?? [];
          return events.some((e) => e.type === type && check(e.content)) ? true : undefined;
        }),
    };
  }

  test("typing starts and stops are seen on the other server, including a timeout's stop", async () => {
    const typing = (on: boolean, timeout?: number) =>
      api(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.user_id)}`, {
        token: alice.access_token,
        body: timeout === undefined ? { typing: on } : { typing: on, timeout },
      });
    const typists = (c: Record<string, unknown>) => c.user_ids as string[];
    const onB = await syncStream(b, bob);
    expect((await typing(true, 30_000)).status).toBe(200);
    await onB.next("m.typing", (c) => typists(c).includes(alice.user_id));
    expect((await typing(false)).status).toBe(200);
    await onB.next("m.typing", (c) => typists(c).length === 0);
    // A start whose timeout runs out is stopped on the other server too.
    await typing(true, 300);
    await onB.next("m.typing", (c) => typists(c).includes(alice.user_id));
    await onB.next("m.typing", (c) => typists(c).length === 0);
  });

  test("presence crosses to the servers sharing a room", async () => {
    const set = await api(a.baseUrl, "PUT", `/_matrix/client/v3/presence/${encodeURIComponent(alice.user_id)}/status`, {
      token: alice.access_token,
      body: { presence: "unavailable", status_msg: "in a meeting" },
    });
    expect(set.status).toBe(200);
    const seen = await until("alice's presence on B", async () => {
      const res = await api<{ presence: string; status_msg?: string }>(b.baseUrl, "GET", `/_matrix/client/v3/presence/${encodeURIComponent(alice.user_id)}/status`, {
        token: bob.access_token,
      });
      return res.status === 200 && res.body.presence === "unavailable" ? res.body : undefined;
    });
    expect(seen.status_msg).toBe("in a meeting");
  });

  test("read receipts cross", async () => {
    const onA = await syncStream(a, alice);
    const last = (await timeline(b, bob, roomId)).at(-1)!;
    const res = await api(b.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(last.event_id)}`, {
      token: bob.access_token,
      body: {},
    });
    expect(res.status).toBe(200);
    await onA.next("m.receipt", (c) => {
      const read = (c[last.event_id] as Record<string, Record<string, unknown>> | undefined)?.["m.read"];
      return read !== undefined && bob.user_id in read;
    });
  });

  test("an alias and the published directory of A are visible from B, and the alias joins", async () => {
    const alias = `#across:${a.serverName}`;
    expect((await api(a.baseUrl, "PUT", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`, {
      token: alice.access_token,
      body: { room_id: roomId },
    })).status).toBe(200);
    expect((await api(a.baseUrl, "PUT", `/_matrix/client/v3/directory/list/room/${encodeURIComponent(roomId)}`, {
      token: alice.access_token,
      body: { visibility: "public" },
    })).status).toBe(200);
    const resolved = await api<{ room_id: string; servers: string[] }>(b.baseUrl, "GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`);
    expect(resolved.status).toBe(200);
    expect(resolved.body.room_id).toBe(roomId);
    expect(resolved.body.servers[0]).toBe(a.serverName);
    expect(resolved.body.servers).toContain(b.serverName);
    const missing = await api(b.baseUrl, "GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(`#nothing:${a.serverName}`)}`);
    expect(missing.status).toBe(404);
    const listed = await api<{ chunk: { room_id: string; name?: string }[] }>(b.baseUrl, "GET", `/_matrix/client/v3/publicRooms?server=${encodeURIComponent(a.serverName)}`);
    expect(listed.status).toBe(200);
    expect(listed.body.chunk.find((r) => r.room_id === roomId)?.name).toBe("Across");
    const searched = await api<{ chunk: { room_id: string }[] }>(b.baseUrl, "POST", `/_matrix/client/v3/publicRooms?server=${encodeURIComponent(a.serverName)}`, {
      token: bob.access_token,
      body: { filter: { generic_search_term: "acro" } },
    });
    expect(searched.body.chunk.map((r) => r.room_id)).toEqual([roomId]);
    const unreachable = await api(b.baseUrl, "GET", "/_matrix/client/v3/publicRooms?server=127.0.0.1:1");
    expect(unreachable.status).toBe(502);

    // A second user of B joins by the alias: B is already in the room, so no handshake is needed.
    const carol = await registerUser(b.baseUrl, "carol");
    await api(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, {
      token: alice.access_token,
      body: { join_rule: "public" },
    });
    await until("the public join rule on B", async () => {
      const rule = await api<{ join_rule: string }>(b.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, { token: bob.access_token });
      return rule.body.join_rule === "public" ? true : undefined;
    });
    const join = await api<{ room_id: string }>(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(alias)}`, { token: carol.access_token, body: {} });
    expect(join.status).toBe(200);
    expect(join.body.room_id).toBe(roomId);
    await until("carol's join on A", async () => ((await membershipOn(a, alice, roomId, carol.user_id)) === "join" ? true : undefined));
    expect((await api(b.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, { token: carol.access_token, body: {} })).status).toBe(200);
    await until("carol's leave on A", async () => ((await membershipOn(a, alice, roomId, carol.user_id)) === "leave" ? true : undefined));
    // Back to invite-only, as the next test expects.
    await api(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, {
      token: alice.access_token,
      body: { join_rule: "invite" },
    });
  });

  test("leaving and joining again", async () => {
    const leave = await api(b.baseUrl, "POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/leave`, {
      token: bob.access_token,
      body: {},
    });
    expect(leave.status).toBe(200);
    await until("the leave on A", async () => ((await membershipOn(a, alice, roomId, bob.user_id)) === "leave" ? true : undefined));
    // While B is out, A's room moves on.
    await say(a, alice, roomId, "while you were out");
    await api(a.baseUrl, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, {
      token: alice.access_token,
      body: { join_rule: "public" },
    });
    const rejoin = await api(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(a.serverName)}`, {
      token: bob.access_token,
      body: {},
    });
    expect(rejoin.status).toBe(200);
    expect(await membershipOn(a, alice, roomId, bob.user_id)).toBe("join");
    const rules = await api<{ join_rule: string }>(b.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.join_rules/`, {
      token: bob.access_token,
    });
    expect(rules.body.join_rule).toBe("public");
    await say(a, alice, roomId, "welcome back");
    await until("A's message after the rejoin on B", async () =>
      texts(await timeline(b, bob, roomId)).includes("welcome back") ? true : undefined,
    );
    await say(b, bob, roomId, "thanks");
    await until("B's message after the rejoin on A", async () =>
      texts(await timeline(a, alice, roomId)).includes("thanks") ? true : undefined,
    );
  });
});

test("after an upgrade on A, B's alias and directory entry for the old room follow it once bob joins the replacement", async () => {
  const old = await sharedRoom();
  await until("bob's join on A", async () => ((await membershipOn(a, alice, old, bob.user_id)) === "join" ? true : undefined));
  const alias = `#bobs-room:${b.serverName}`;
  const path = (p: string) => `/_matrix/client/v3${p}`;
  expect((await api(b.baseUrl, "PUT", path(`/directory/room/${encodeURIComponent(alias)}`), { token: bob.access_token, body: { room_id: old } })).status).toBe(200);
  // Publishing the room in B's directory takes power in the room: alice gives bob hers.
  const levels = await stateContent(a, alice, old, "m.room.power_levels", "");
  const users = { ...(levels?.users as Record<string, number>), [bob.user_id]: 100 };
  expect((await api(a.baseUrl, "PUT", path(`/rooms/${encodeURIComponent(old)}/state/m.room.power_levels/`), { token: alice.access_token, body: { ...levels, users } })).status).toBe(200);
  await until("bob's power on B", async () => ((await stateContent(b, bob, old, "m.room.power_levels", ""))?.users as Record<string, number>)?.[bob.user_id] === 100 ? true : undefined);
  const listed = await api(b.baseUrl, "PUT", path(`/directory/list/room/${encodeURIComponent(old)}`), { token: bob.access_token, body: { visibility: "public" } });
  expect(listed.status).toBe(200);

  const upgraded = await api<{ replacement_room: string }>(a.baseUrl, "POST", path(`/rooms/${encodeURIComponent(old)}/upgrade`), {
    token: alice.access_token,
    body: { new_version: "11" },
  });
  expect(upgraded.status).toBe(200);
  const fresh = upgraded.body.replacement_room;
  await until("the tombstone on B", async () => ((await stateContent(b, bob, old, "m.room.tombstone", ""))?.replacement_room === fresh ? true : undefined));
  // Until one of B's users is in the new room, B keeps its entries where they were.
  expect((await api(b.baseUrl, "GET", path(`/directory/room/${encodeURIComponent(alias)}`))).body.room_id).toBe(old);

  expect((await api(a.baseUrl, "POST", path(`/rooms/${encodeURIComponent(fresh)}/invite`), { token: alice.access_token, body: { user_id: bob.user_id } })).status).toBe(200);
  expect((await api(b.baseUrl, "POST", path(`/join/${encodeURIComponent(fresh)}`), { token: bob.access_token, body: {} })).status).toBe(200);
  expect((await api(b.baseUrl, "GET", path(`/directory/room/${encodeURIComponent(alias)}`))).body.room_id).toBe(fresh);
  expect((await api(b.baseUrl, "GET", path(`/directory/list/room/${encodeURIComponent(fresh)}`))).body.visibility).toBe("public");
  expect((await api(b.baseUrl, "GET", path(`/directory/list/room/${encodeURIComponent(old)}`))).body.visibility).toBe("private");
}, 30_000);
