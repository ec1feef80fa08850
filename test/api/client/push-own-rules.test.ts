// Each member's own push rules decide what notifies them, though members who changed nothing share
// one evaluation of the server defaults per event: a member whose rule notifies on joins hears of
// them (a rule stored before a restart, and one added later), while the others do not; the member
// an event names (a mention here; an invite's target in pushers.test.ts) gets what the defaults
// give them alone.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asUser, enc } from "../../helpers/as-user";
import { startServer, type TestServer } from "../../helpers/server";
import { addUser, roomOf, sendAs, type TestUser } from "../../helpers/users";

interface Notification {
  actions: unknown[];
  event: { event_id: string; type: string; state_key?: string };
}
interface UnreadCounts {
  notification_count?: number;
  highlight_count?: number;
}

const dataDir = mkdtempSync(join(tmpdir(), "conduit-own-rules-"));
let server: TestServer;
const users: Record<string, TestUser> = {};

const joinsRule = {
  conditions: [{ kind: "event_match", key: "type", pattern: "m.room.member" }],
  actions: ["notify"],
};

beforeAll(async () => {
  server = await startServer({ dataDir });
  for (const name of ["alice", "bob", "carol", "dave", "erin", "frank"]) users[name] = await addUser(server, name);
  expect((await users.bob!.call("PUT", "/pushrules/global/override/joins", joinsRule)).status).toBe(200);
  // Rules stored before a restart are known after it.
  await server.stop();
  server = await startServer({ dataDir });
  for (const u of Object.values(users)) u.call = asUser(server.baseUrl, u.session);
});
afterAll(async () => {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const notifications = async (who: TestUser) => (await who.call<{ notifications: Notification[] }>("GET", "/notifications")).body.notifications;
const joinsOf = (list: Notification[]) => list.filter((n) => n.event.type === "m.room.member").map((n) => n.event.state_key);

async function unread(who: TestUser, roomId: string): Promise<UnreadCounts> {
  const body = (await who.call<{ rooms: { join: Record<string, { unread_notifications: UnreadCounts }> } }>("GET", "/sync")).body;
  return body.rooms.join[roomId]!.unread_notifications;
}

test("a member whose rule notifies on joins hears of them; members on the defaults do not", async () => {
  const { alice, bob, carol, dave } = users as Record<string, TestUser>;
  const roomId = await roomOf(alice!, [bob!, carol!, dave!]);
  expect(joinsOf(await notifications(bob!))).toEqual([dave!.id, carol!.id]);
  expect(joinsOf(await notifications(carol!))).toEqual([]);

  // A rule added once events have been evaluated counts from the next event.
  expect((await carol!.call("PUT", "/pushrules/global/override/joins", joinsRule)).status).toBe(200);
  expect((await users.frank!.call("POST", `/join/${enc(roomId)}`, {})).status).toBe(200);
  expect(joinsOf(await notifications(carol!))).toEqual([users.frank!.id]);
  expect(joinsOf(await notifications(bob!))).toEqual([users.frank!.id, dave!.id, carol!.id]);
  expect(joinsOf(await notifications(dave!))).toEqual([]);
  expect((await unread(carol!, roomId)).notification_count).toBe(1);
  expect((await unread(dave!, roomId)).notification_count ?? 0).toBe(0);
});

test("the member a message mentions gets a highlight, the others on the defaults a plain notification", async () => {
  const { alice, dave, erin } = users as Record<string, TestUser>;
  const roomId = await roomOf(alice!, [dave!, erin!]);
  await sendAs(alice!, roomId, { msgtype: "m.text", body: "hello dave", "m.mentions": { user_ids: [dave!.id] } });
  expect(await unread(dave!, roomId)).toMatchObject({ notification_count: 1, highlight_count: 1 });
  expect(await unread(erin!, roomId)).toMatchObject({ notification_count: 1, highlight_count: 0 });
});
