// Simplified sliding sync agrees with /sync v3: one seeded random stream of messages, mentions,
// invites, joins, the user's own messages and read receipts (its own and others'), and after every
// step both APIs' incremental answers, folded into what a client holds, show the same unread
// counts, the same pending invites and the same receipts.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TestServer } from "../../helpers/server";
import { startServer } from "../../helpers/server";
import { slidingConnection, type SlidingBody } from "../../helpers/sliding-sync";
import type { SyncBody } from "../../helpers/sync";
import { addUser, type TestUser } from "../../helpers/users";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const enc = encodeURIComponent;

/** mulberry32: a small seeded generator, so a failing run replays exactly. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

/** What a client holds after folding in each answer. */
interface View {
  counts: Map<string, [number, number]>;
  invites: Set<string>;
  /** room -> user -> the event of their latest m.read receipt. */
  receipts: Map<string, Map<string, string>>;
}
const emptyView = (): View => ({ counts: new Map(), invites: new Set(), receipts: new Map() });

function foldReceipt(view: View, roomId: string, content: Record<string, Record<string, Record<string, unknown>>>) {
  const room = view.receipts.get(roomId) ?? new Map<string, string>();
  view.receipts.set(roomId, room);
  for (const [eventId, types] of Object.entries(content)) for (const userId of Object.keys(types["m.read"] ?? {})) room.set(userId, eventId);
}

function foldV3(view: View, body: SyncBody) {
  for (const roomId of Object.keys(body.rooms.invite ?? {})) view.invites.add(roomId);
  for (const [roomId, room] of Object.entries(body.rooms.join ?? {})) {
    view.invites.delete(roomId);
    const c = room.unread_notifications;
    view.counts.set(roomId, [c.notification_count, c.highlight_count]);
    for (const e of room.ephemeral.events) if (e.type === "m.receipt") foldReceipt(view, roomId, e.content as never);
  }
}

function foldSliding(view: View, body: SlidingBody) {
  for (const [roomId, room] of Object.entries(body.rooms)) {
    if (room.membership === "invite") view.invites.add(roomId);
    if (room.membership === "join") view.invites.delete(roomId);
    const [n, h] = view.counts.get(roomId) ?? [0, 0];
    if (room.notification_count !== undefined || room.highlight_count !== undefined) view.counts.set(roomId, [room.notification_count ?? n, room.highlight_count ?? h]);
  }
  for (const [roomId, e] of Object.entries(body.extensions.receipts?.rooms ?? {})) foldReceipt(view, roomId, e.content as never);
}

const plain = (v: View) => ({
  counts: Object.fromEntries([...v.counts].sort()),
  invites: [...v.invites].sort(),
  receipts: Object.fromEntries([...v.receipts].filter(([, m]) => m.size > 0).sort().map(([r, m]) => [r, Object.fromEntries([...m].sort())])),
});

test("unread counts, invites and receipts agree with /sync at every step of a seeded random stream", async () => {
  const seed = Number(process.env.SLIDING_SEED ?? 4186);
  const rng = random(seed);
  const alice = await addUser(server, "agree-alice");
  const bob = await addUser(server, "agree-bob");
  const carol = await addUser(server, "agree-carol");
  const others = [bob, carol];
  const joined: string[] = [];
  const pending: string[] = [];
  const lastEvent = new Map<string, string>();
  let txn = 0;

  const newRoom = async (inviteAlice: boolean) => {
    const owner = rng.pick(others);
    const roomId = (await owner.call<{ room_id: string }>("POST", "/createRoom", { preset: "private_chat", invite: inviteAlice ? [alice.id] : [] })).body.room_id;
    for (const o of others) {
      if (o === owner) continue;
      expect((await owner.call("POST", `/rooms/${enc(roomId)}/invite`, { user_id: o.id })).status).toBe(200);
      expect((await o.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
    }
    return roomId;
  };
  const say = async (who: TestUser, roomId: string, mention: boolean) => {
    const content = mention ? { msgtype: "m.text", body: `hi ${alice.id}`, "m.mentions": { user_ids: [alice.id] } } : { msgtype: "m.text", body: `m${txn}` };
    const res = await who.call<{ event_id: string }>("PUT", `/rooms/${enc(roomId)}/send/m.room.message/a${++txn}`, content);
    expect(res.status).toBe(200);
    lastEvent.set(roomId, res.body.event_id);
  };
  const read = async (who: TestUser, roomId: string) => {
    const eventId = lastEvent.get(roomId);
    if (eventId) expect((await who.call("POST", `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {})).status).toBe(200);
  };

  // Start with one joined room and one invite.
  const first = await newRoom(true);
  expect((await alice.call("POST", `/join/${enc(first)}`, {})).status).toBe(200);
  joined.push(first);
  pending.push(await newRoom(true));

  const v3 = emptyView();
  const sliding = emptyView();
  let since: string | undefined;
  const conn = slidingConnection(server, alice.session);
  const request = { conn_id: "agree", lists: { all: { ranges: [[0, 99]], timeline_limit: 1, required_state: [] } }, extensions: { receipts: { enabled: true } } };
  const step = async (label: string) => {
    const res = await alice.call<SyncBody>("GET", `/sync${since ? `?since=${enc(since)}` : ""}`);
    since = res.body.next_batch;
    foldV3(v3, res.body);
    foldSliding(sliding, await conn.sync(request));
    expect({ label, ...plain(sliding) }).toEqual({ label, ...plain(v3) });
  };
  await step("start");

  const actions: [string, number, () => Promise<void>][] = [
    ["message", 5, () => say(rng.pick(others), rng.pick(joined), false)],
    ["mention", 2, () => say(rng.pick(others), rng.pick(joined), true)],
    ["alice writes", 1, () => say(alice, rng.pick(joined), false)],
    ["alice reads", 3, () => read(alice, rng.pick(joined))],
    ["someone reads", 2, () => read(rng.pick(others), rng.pick(joined))],
    ["invite", 1, async () => void pending.push(await newRoom(true))],
    ["accept", 1, async () => {
      const roomId = pending.shift();
      if (!roomId) return;
      expect((await alice.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
      joined.push(roomId);
    }],
  ];
  const weighted = actions.flatMap((a) => Array.from({ length: a[1] }, () => a));
  for (let i = 0; i < 40; i++) {
    const [name, , run] = rng.pick(weighted);
    await run();
    await step(`seed ${seed} step ${i}: ${name}`);
  }
}, 120_000);
