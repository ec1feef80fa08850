// Sending and reading room events over HTTP: idempotent sends, state, redaction, /event, /messages
// paging and filters, /context, /timestamp_to_event, and concurrent senders forming one linear DAG.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, loginUser } from "../../helpers/client";
import { serverWithUsers, createRoom, enc, joinRoom, messages, openServerDb, sendMessage, setState, storedPdu, type ClientEvent } from "../../helpers/rooms";

const { server, alice, bob, eve } = serverWithUsers(["alice", "bob", "eve"]);

const room = (roomId: string) => `/_matrix/client/v3/rooms/${enc(roomId)}`;

describe("send", () => {
  test("a replayed txnId returns the first event id; another device's txnId is a new event", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const path = `${room(roomId)}/send/m.room.message/txn-1`;
    const first = await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "once" } });
    const again = await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "once" } });
    expect(first.status).toBe(200);
    expect(again.body.event_id).toBe(first.body.event_id);
    const otherDevice = await loginUser(server.baseUrl, "alice");
    const other = await api(server.baseUrl, "PUT", path, { token: otherDevice.access_token, body: { msgtype: "m.text", body: "once" } });
    expect(other.body.event_id).not.toBe(first.body.event_id);
    const chunk = (await messages(server.baseUrl, alice, roomId, { limit: "5" })).body.chunk;
    expect(chunk.filter((e) => e.type === "m.room.message").length).toBe(2);
    // The sending device sees its transaction id; other devices do not.
    const mine = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/event/${enc(first.body.event_id as string)}`, { token: alice.access_token });
    expect(mine.body.unsigned?.transaction_id).toBe("txn-1");
    const theirs = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/event/${enc(first.body.event_id as string)}`, { token: otherDevice.access_token });
    expect(theirs.body.unsigned?.transaction_id).toBeUndefined();
    expect(typeof theirs.body.unsigned?.age).toBe("number");
  });

  test("a txnId is scoped to the whole path: another room or event type sends a new event", async () => {
    const [first, second] = [await createRoom(server.baseUrl, alice), await createRoom(server.baseUrl, alice)];
    const send = (roomId: string, type: string) =>
      api(server.baseUrl, "PUT", `${room(roomId)}/send/${type}/reused`, { token: alice.access_token, body: { msgtype: "m.text", body: type } });
    const a = await send(first, "m.room.message");
    const b = await send(second, "m.room.message");
    const c = await send(first, "org.example.other");
    expect(new Set([a.body.event_id, b.body.event_id, c.body.event_id]).size).toBe(3);
    // Each landed in its own room, and a retry of each still answers its own event.
    const inSecond = (await messages(server.baseUrl, alice, second, { limit: "5" })).body.chunk;
    expect(inSecond.find((e) => e.type === "m.room.message")?.event_id).toBe(b.body.event_id as string);
    expect((await send(second, "m.room.message")).body.event_id).toBe(b.body.event_id);
    expect((await send(first, "org.example.other")).body.event_id).toBe(c.body.event_id);
  });

  test("the POST forms without a transaction id send every time", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const post = () => api(server.baseUrl, "POST", `${room(roomId)}/send/m.room.message`, { token: alice.access_token, body: { msgtype: "m.text", body: "p" } });
    const [one, two] = [await post(), await post()];
    expect(one.status).toBe(200);
    expect(two.body.event_id).not.toBe(one.body.event_id);
    const redaction = await api(server.baseUrl, "POST", `${room(roomId)}/redact/${enc(one.body.event_id as string)}`, {
      token: alice.access_token,
      body: { reason: "gone" },
    });
    expect(redaction.status).toBe(200);
    const redacted = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/event/${enc(one.body.event_id as string)}`, { token: alice.access_token });
    expect(redacted.body.content).toEqual({});
    // The refusals are those of the PUT forms.
    const notIn = await api(server.baseUrl, "POST", `${room(roomId)}/send/m.room.message`, { token: eve.access_token, body: { body: "x" } });
    expect(notIn.status).toBe(403);
  });

  test("concurrent retries of one txnId produce one event", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const path = `${room(roomId)}/send/m.room.message/same`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "x" } })),
    );
    expect(new Set(results.map((r) => r.body.event_id)).size).toBe(1);
  });

  test("refusals: not joined 403, unknown room 404, oversized 413, non-object body 400 M_NOT_JSON/M_BAD_JSON", async () => {
    const roomId = await createRoom(server.baseUrl, alice);
    const notIn = await api(server.baseUrl, "PUT", `${room(roomId)}/send/m.room.message/a`, { token: eve.access_token, body: { body: "hi" } });
    expect(notIn.status).toBe(403);
    expect(notIn.body.errcode).toBe("M_FORBIDDEN");
    const unknown = await api(server.baseUrl, "PUT", `${room("!nope:localhost")}/send/m.room.message/a`, { token: alice.access_token, body: {} });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
    const big = await api(server.baseUrl, "PUT", `${room(roomId)}/send/m.room.message/b`, { token: alice.access_token, body: { body: "x".repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(big.body.errcode).toBe("M_TOO_LARGE");
    const nearly = await api(server.baseUrl, "PUT", `${room(roomId)}/send/m.room.message/c`, { token: alice.access_token, body: { body: "x".repeat(65_300) } });
    expect(nearly.status).toBe(413);
    const array = await api(server.baseUrl, "PUT", `${room(roomId)}/send/m.room.message/d`, { token: alice.access_token, body: "[1]" });
    expect(array.status).toBe(400);
    expect(array.body.errcode).toBe("M_BAD_JSON");
    const longType = await api(server.baseUrl, "PUT", `${room(roomId)}/send/${"t".repeat(256)}/e`, { token: alice.access_token, body: {} });
    expect(longType.status).toBe(400);
    expect(longType.body.errcode).toBe("M_BAD_JSON");
  });
});

describe("state", () => {
  test("PUT then GET state, with format=event, prev_content, and the full state list", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { name: "one" });
    const id = await setState(server.baseUrl, alice, roomId, "m.room.name", { name: "two" });
    const content = await api(server.baseUrl, "GET", `${room(roomId)}/state/m.room.name/`, { token: alice.access_token });
    expect(content.body).toEqual({ name: "two" });
    const event = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/state/m.room.name?format=event`, { token: alice.access_token });
    expect(event.body.event_id).toBe(id);
    expect(event.body.state_key).toBe("");
    expect(event.body.unsigned?.prev_content).toEqual({ name: "one" });
    expect(typeof event.body.unsigned?.replaces_state).toBe("string");
    const all = await api<ClientEvent[]>(server.baseUrl, "GET", `${room(roomId)}/state`, { token: alice.access_token });
    expect(all.body.map((e) => e.type).sort()).toEqual(
      ["m.room.create", "m.room.guest_access", "m.room.history_visibility", "m.room.join_rules", "m.room.member", "m.room.name", "m.room.power_levels"],
    );
    // A state key with a slash and one with spaces round-trip.
    await setState(server.baseUrl, alice, roomId, "org.example.k", { v: 1 }, "a/b c");
    const odd = await api(server.baseUrl, "GET", `${room(roomId)}/state/org.example.k/${enc("a/b c")}`, { token: alice.access_token });
    expect(odd.body).toEqual({ v: 1 });
  });

  test("missing state is 404; non-members get 403; bad state keys are 400 M_BAD_JSON; power is enforced", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const missing = await api(server.baseUrl, "GET", `${room(roomId)}/state/m.room.topic/`, { token: alice.access_token });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe("M_NOT_FOUND");
    const outsider = await api(server.baseUrl, "GET", `${room(roomId)}/state`, { token: eve.access_token });
    expect(outsider.status).toBe(403);
    const longKey = await api(server.baseUrl, "PUT", `${room(roomId)}/state/org.example/${"k".repeat(256)}`, { token: alice.access_token, body: {} });
    expect(longKey.status).toBe(400);
    expect(longKey.body.errcode).toBe("M_BAD_JSON");
    await joinRoom(server.baseUrl, bob, roomId);
    const noPower = await api(server.baseUrl, "PUT", `${room(roomId)}/state/m.room.name/`, { token: bob.access_token, body: { name: "mine" } });
    expect(noPower.status).toBe(403);
    expect(noPower.body.errcode).toBe("M_FORBIDDEN");
  });
});

describe("identical state", () => {
  /** The newest timeline event's id: what a no-op would otherwise have added. */
  const newest = async (roomId: string) => (await messages(server.baseUrl, alice, roomId, { dir: "b", limit: "1" })).body.chunk[0]!.event_id;
  const memberEvent = async (roomId: string, userId: string) =>
    (await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/state/m.room.member/${enc(userId)}?format=event`, { token: alice.access_token })).body;

  test("PUT state with the current content from the same sender returns the current event and adds nothing", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    const first = await setState(server.baseUrl, alice, roomId, "org.example.settings", { a: 1, b: { c: [1, 2] } });
    // Same content with its keys in another order is the same JSON.
    expect(await setState(server.baseUrl, alice, roomId, "org.example.settings", { b: { c: [1, 2] }, a: 1 })).toBe(first);
    expect(await newest(roomId)).toBe(first);
    // Other content is a new event, and so is going back to the earlier content.
    const second = await setState(server.baseUrl, alice, roomId, "org.example.settings", { a: 2 });
    expect(second).not.toBe(first);
    const third = await setState(server.baseUrl, alice, roomId, "org.example.settings", { a: 1, b: { c: [1, 2] } });
    expect([first, second]).not.toContain(third);
    expect(await newest(roomId)).toBe(third);

    // The same content from another sender is that sender's own event.
    const levels = (await api<Record<string, unknown>>(server.baseUrl, "GET", `${room(roomId)}/state/m.room.power_levels/`, { token: alice.access_token })).body;
    await setState(server.baseUrl, alice, roomId, "m.room.power_levels", { ...levels, users: { ...(levels.users as object), [bob.user_id]: 50 } });
    await joinRoom(server.baseUrl, bob, roomId);
    const bobs = await setState(server.baseUrl, bob, roomId, "org.example.settings", { a: 1, b: { c: [1, 2] } });
    expect(bobs).not.toBe(third);
  });

  test("membership no-ops: the same member content again, a repeated join, an unchanged displayname", async () => {
    const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinRoom(server.baseUrl, bob, roomId);
    const joined = await memberEvent(roomId, bob.user_id);
    // PUT of the member event's own content.
    expect(await setState(server.baseUrl, bob, roomId, "m.room.member", joined.content, bob.user_id)).toBe(joined.event_id);
    // Joining again while joined, with the same profile.
    await joinRoom(server.baseUrl, bob, roomId);
    expect((await memberEvent(roomId, bob.user_id)).event_id).toBe(joined.event_id);
    // A per-room displayname, then the same one again.
    const named = await setState(server.baseUrl, bob, roomId, "m.room.member", { ...joined.content, displayname: "Bob here" }, bob.user_id);
    expect(named).not.toBe(joined.event_id);
    expect(await setState(server.baseUrl, bob, roomId, "m.room.member", { ...joined.content, displayname: "Bob here" }, bob.user_id)).toBe(named);
    expect(await newest(roomId)).toBe(named);
  });
});

describe("redaction", () => {
  test("own events are redacted and served redacted with redacted_because; others' need the redact level", async () => {
    for (const version of ["10", "11", "12"]) {
      const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat", room_version: version });
      await joinRoom(server.baseUrl, bob, roomId);
      const target = await sendMessage(server.baseUrl, bob, roomId, "secret");
      const byAlice = await sendMessage(server.baseUrl, alice, roomId, "alice's");
      const refused = await api(server.baseUrl, "PUT", `${room(roomId)}/redact/${enc(byAlice)}/r1-${version}`, { token: bob.access_token, body: {} });
      expect(refused.status).toBe(403);
      const res = await api(server.baseUrl, "PUT", `${room(roomId)}/redact/${enc(target)}/r2-${version}`, { token: bob.access_token, body: { reason: "oops" } });
      expect(res.status).toBe(200);
      const replay = await api(server.baseUrl, "PUT", `${room(roomId)}/redact/${enc(target)}/r2-${version}`, { token: bob.access_token, body: { reason: "oops" } });
      expect(replay.body.event_id).toBe(res.body.event_id);
      const event = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/event/${enc(target)}`, { token: alice.access_token });
      expect(event.body.content).toEqual({});
      const because = event.body.unsigned?.redacted_because as ClientEvent;
      expect(because.event_id).toBe(res.body.event_id as string);
      expect(event.body.unsigned?.redacted_by).toBe(res.body.event_id as string);
      expect(because.content.reason).toBe("oops");
      // since v11 the target is in content; clients also find it at the top level.
      expect((because as unknown as { redacts: string }).redacts).toBe(target);
      if (version !== "10") expect(because.content.redacts).toBe(target);
      // A moderator may redact anyone's event.
      const modRedact = await api(server.baseUrl, "PUT", `${room(roomId)}/redact/${enc(byAlice)}/r3-${version}`, { token: alice.access_token, body: {} });
      expect(modRedact.status).toBe(200);
      // The stored PDU keeps the original content for federation and auth.
      const db = openServerDb(server.dataDir);
      expect((storedPdu(db, target).content as Record<string, unknown>).body).toBe("secret");
      db.close();
    }
  });

  test("an event of another room cannot be redacted from this one: 400, nothing sent", async () => {
    const roomA = await createRoom(server.baseUrl, alice);
    const roomB = await createRoom(server.baseUrl, bob);
    const target = await sendMessage(server.baseUrl, alice, roomA, "stays");
    const before = (await messages(server.baseUrl, bob, roomB)).body;
    expectError(await api(server.baseUrl, "PUT", `${room(roomB)}/redact/${enc(target)}/cross`, { token: bob.access_token, body: {} }), 400, "M_INVALID_PARAM");
    expect((await messages(server.baseUrl, bob, roomB)).body.chunk.length).toBe(before.chunk.length);
    const event = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomA)}/event/${enc(target)}`, { token: alice.access_token });
    expect(event.body.content.body).toBe("stays");
  });
});

describe("reading the timeline", () => {
  let roomId: string;
  const sent: string[] = [];
  beforeAll(async () => {
    roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
    await joinRoom(server.baseUrl, bob, roomId);
    for (let i = 0; i < 12; i++) sent.push(await sendMessage(server.baseUrl, i % 3 === 0 ? bob : alice, roomId, `m${i}`));
    sent.push(await sendMessage(server.baseUrl, alice, roomId, "note", "org.example.note"));
  });

  test("/messages pages backwards and forwards with tokens and no gaps or repeats", async () => {
    const seen: string[] = [];
    let from: string | undefined;
    for (;;) {
      const res = await messages(server.baseUrl, alice, roomId, { dir: "b", limit: "4", ...(from ? { from } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.chunk.map((e) => e.event_id));
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, sent.length).reverse()).toEqual(sent);
    expect(seen.length).toBe(sent.length + 7); // create, join, power levels, join rules, history, guest access, bob's join
    // Forwards from the start reaches the same events in order.
    const forwards: string[] = [];
    from = undefined;
    for (;;) {
      const res = await messages(server.baseUrl, alice, roomId, { dir: "f", limit: "5", ...(from ? { from } : {}) });
      forwards.push(...res.body.chunk.map((e) => e.event_id));
      if (!res.body.end) break;
      from = res.body.end;
    }
    expect(forwards).toEqual([...seen].reverse());
  });

  test("/messages `to` bounds a page; an unknown token is 400", async () => {
    const first = await messages(server.baseUrl, alice, roomId, { dir: "b", limit: "3" });
    const back = await messages(server.baseUrl, alice, roomId, { dir: "f", from: first.body.end!, to: first.body.start, limit: "10" });
    expect(back.body.chunk.map((e) => e.event_id)).toEqual(first.body.chunk.map((e) => e.event_id).reverse());
    const bad = await messages(server.baseUrl, alice, roomId, { from: "garbage" });
    expect(bad.status).toBe(400);
  });

  test("/messages filters by types, not_types and senders, and lazy-loads members", async () => {
    const notes = await messages(server.baseUrl, alice, roomId, { filter: JSON.stringify({ types: ["org.example.*"] }) });
    expect(notes.body.chunk.map((e) => e.type)).toEqual(["org.example.note"]);
    const noMessages = await messages(server.baseUrl, alice, roomId, { limit: "50", filter: JSON.stringify({ not_types: ["m.room.message"] }) });
    expect(noMessages.body.chunk.every((e) => e.type !== "m.room.message")).toBe(true);
    const fromBob = await messages(server.baseUrl, alice, roomId, {
      limit: "50",
      filter: JSON.stringify({ senders: [bob.user_id], types: ["m.room.message"], lazy_load_members: true }),
    });
    expect(fromBob.body.chunk.length).toBe(4);
    expect(fromBob.body.chunk.every((e) => e.sender === bob.user_id)).toBe(true);
    expect(fromBob.body.state?.map((e) => e.state_key)).toEqual([bob.user_id]);
    const badFilter = await messages(server.baseUrl, alice, roomId, { filter: "{not json" });
    expect(badFilter.status).toBe(400);
  });

  test("/context returns events around an event, with state; /event 404s unknown ids", async () => {
    const middle = sent[6]!;
    const res = await api<{ event: ClientEvent; events_before: ClientEvent[]; events_after: ClientEvent[]; state: ClientEvent[]; start: string; end: string }>(
      server.baseUrl,
      "GET",
      `${room(roomId)}/context/${enc(middle)}?limit=4`,
      { token: alice.access_token },
    );
    expect(res.status).toBe(200);
    expect(res.body.event.event_id).toBe(middle);
    expect(res.body.events_before.map((e) => e.event_id)).toEqual([sent[5]!, sent[4]!]);
    expect(res.body.events_after.map((e) => e.event_id)).toEqual([sent[7]!, sent[8]!]);
    expect(res.body.state.some((e) => e.type === "m.room.create")).toBe(true);
    const next = await messages(server.baseUrl, alice, roomId, { dir: "f", from: res.body.end, limit: "1" });
    expect(next.body.chunk[0]?.event_id).toBe(sent[9]!);
    const unknown = await api(server.baseUrl, "GET", `${room(roomId)}/event/${enc("$nope")}`, { token: alice.access_token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe("M_NOT_FOUND");
  });

  test("/event of a room the requester cannot read is 404, as for an unknown event", async () => {
    const closed = await createRoom(server.baseUrl, alice);
    const eventId = await sendMessage(server.baseUrl, alice, closed, "members only");
    expectError(await api(server.baseUrl, "GET", `${room(closed)}/event/${enc(eventId)}`, { token: bob.access_token }), 404, "M_NOT_FOUND");
  });

  test("timestamp_to_event finds the closest event in each direction", async () => {
    const target = await api<ClientEvent>(server.baseUrl, "GET", `${room(roomId)}/event/${enc(sent[3]!)}`, { token: alice.access_token });
    const ts = target.body.origin_server_ts;
    const path = `/_matrix/client/v1/rooms/${enc(roomId)}/timestamp_to_event`;
    const back = await api(server.baseUrl, "GET", `${path}?ts=${ts}&dir=b`, { token: alice.access_token });
    expect(back.status).toBe(200);
    expect(back.body.origin_server_ts).toBeLessThanOrEqual(ts);
    const fwd = await api(server.baseUrl, "GET", `${path}?ts=${ts}&dir=f`, { token: alice.access_token });
    expect(fwd.body.origin_server_ts).toBeGreaterThanOrEqual(ts);
    const future = await api(server.baseUrl, "GET", `${path}?ts=${Date.now() + 3_600_000}&dir=f`, { token: alice.access_token });
    expect(future.status).toBe(404);
    const badDir = await api(server.baseUrl, "GET", `${path}?ts=1&dir=x`, { token: alice.access_token });
    expect(badDir.status).toBe(400);
  });
});

test("50 concurrent senders into one room give one linear DAG with every event exactly once", async () => {
  const roomId = await createRoom(server.baseUrl, alice, { preset: "public_chat" });
  const senders = [alice, bob, eve];
  await joinRoom(server.baseUrl, bob, roomId);
  await joinRoom(server.baseUrl, eve, roomId);
  const perSender = 4;
  const ids = (
    await Promise.all(
      Array.from({ length: 50 }, async (_, s) => {
        const who = senders[s % senders.length]!;
        const out: string[] = [];
        for (let i = 0; i < perSender; i++) out.push(await sendMessage(server.baseUrl, who, roomId, `s${s}-${i}`));
        return out;
      }),
    )
  ).flat();
  expect(new Set(ids).size).toBe(50 * perSender);

  const timeline: string[] = [];
  let from: string | undefined;
  for (;;) {
    const res = await messages(server.baseUrl, alice, roomId, { dir: "f", limit: "100", ...(from ? { from } : {}) });
    timeline.push(...res.body.chunk.map((e) => e.event_id));
    if (!res.body.end) break;
    from = res.body.end;
  }
  const sentSet = new Set(ids);
  const messagesInOrder = timeline.filter((id) => sentSet.has(id));
  expect(messagesInOrder.length).toBe(ids.length);

  // Each event cites exactly the one before it, and depth grows by one: a single chain.
  const db = openServerDb(server.dataDir);
  try {
    for (let i = 1; i < timeline.length; i++) {
      const pdu = storedPdu(db, timeline[i]!);
      expect(pdu.prev_events).toEqual([timeline[i - 1]!]);
      expect(pdu.depth).toBe(storedPdu(db, timeline[i - 1]!).depth + 1);
    }
  } finally {
    db.close();
  }
});

test("/messages without `from` starts at the newest event, so its `start` later pages forward to new events", async () => {
  const roomId = await createRoom(server.baseUrl, alice);
  await sendMessage(server.baseUrl, alice, roomId, "first");
  const page = await messages(server.baseUrl, alice, roomId, { dir: "b", limit: "1" });
  const later = await sendMessage(server.baseUrl, alice, roomId, "later");
  const forward = await messages(server.baseUrl, alice, roomId, { dir: "f", from: page.body.start });
  expect(forward.body.chunk.map((e) => e.event_id)).toEqual([later]);
});
