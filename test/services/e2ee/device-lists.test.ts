// The device-lists section of /sync and /keys/changes: who changed devices among the users sharing
// a room, who started sharing one (changed), who stopped sharing every room (left); and the
// m.device_list_update EDUs that carry local changes to other servers, chained by prev_id.
import { beforeEach, describe, expect, test } from "bun:test";
import { e2eeArea, type E2eeArea } from "../../helpers/e2ee-area";
import { testDevice } from "../../helpers/e2ee-keys";

let area: E2eeArea;
let alice: string;
let bob: string;
let carol: string;
beforeEach(async () => {
  area = await e2eeArea();
  [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => area.addUser(n)));
});

const positions = () => ({ events: area.events(), deviceLists: area.e2ee.changes.position() });
const section = (userId: string, from: { events: number; deviceLists: number }) => {
  const s = area.e2ee.changes.section(userId, from, positions());
  return { changed: [...s.changed].sort(), left: [...s.left].sort() };
};
const uploadDevice = (userId: string, deviceId = "DEV1") =>
  area.e2ee.deviceKeys.upload(userId, deviceId, { device_keys: testDevice(userId, deviceId).deviceKeys() });

describe("section", () => {
  test("a device change is seen by the users sharing a room, the user included, and nobody else", () => {
    area.member("!r:a.test", alice);
    area.member("!r:a.test", bob);
    const from = positions();
    uploadDevice(bob);
    expect(section(alice, from)).toEqual({ changed: [bob], left: [] });
    expect(section(bob, from)).toEqual({ changed: [bob], left: [] });
    expect(section(carol, from)).toEqual({ changed: [], left: [] });
    expect(area.woken.sort()).toEqual([alice, bob].sort());
  });

  test("someone joining a room of the user is changed; joining a room makes all its members changed", () => {
    area.member("!r:a.test", alice);
    area.member("!s:a.test", bob);
    area.member("!s:a.test", carol);
    const from = positions();
    area.member("!r:a.test", bob);
    expect(section(alice, from)).toEqual({ changed: [bob], left: [] });
    const from2 = positions();
    area.member("!s:a.test", alice);
    expect(section(alice, from2)).toEqual({ changed: [alice, bob, carol], left: [] });
  });

  test("who stops sharing every room is left, whoever left; who still shares one is not", () => {
    area.member("!r:a.test", alice);
    area.member("!r:a.test", bob);
    area.member("!r:a.test", carol);
    area.member("!s:a.test", alice);
    area.member("!s:a.test", carol);
    const from = positions();
    area.member("!r:a.test", bob, "leave");
    expect(section(alice, from)).toEqual({ changed: [], left: [bob] });
    const from2 = positions();
    area.member("!r:a.test", alice, "leave");
    // Carol still shares !s with Alice; nobody else was left in !r.
    expect(section(alice, from2)).toEqual({ changed: [], left: [] });
    const from3 = positions();
    area.member("!s:a.test", carol, "ban");
    expect(section(alice, from3)).toEqual({ changed: [], left: [carol] });
    expect(section(carol, from3)).toEqual({ changed: [], left: [alice] });
  });

  test("an invitee is changed (clients may encrypt to them), never left; a later change past `to` waits for the next sync", () => {
    area.member("!r:a.test", alice);
    const from = positions();
    area.member("!r:a.test", bob, "invite");
    expect(section(alice, from)).toEqual({ changed: [bob], left: [] });
    const to = positions();
    area.member("!r:a.test", carol);
    expect(area.e2ee.changes.section(alice, from, to).changed).toEqual([bob]);
  });

  test("many candidates and many rooms give the same answer", () => {
    area.member("!r:a.test", alice);
    for (let i = 0; i < 60; i++) area.member(`!room${i}:a.test`, alice);
    const others: string[] = [];
    for (let i = 0; i < 60; i++) {
      const u = `@u${i}:b.test`;
      others.push(u);
      area.member("!r:a.test", u);
    }
    const from = positions();
    for (const u of others) area.e2ee.changes.remoteChanged(u);
    area.e2ee.changes.remoteChanged("@stranger:b.test");
    expect(section(alice, from).changed).toEqual([...others].sort());
  });
});

describe("outbound EDUs", () => {
  test("one m.device_list_update per device to each server sharing a room, chained by prev_id", () => {
    area.member("!r:a.test", alice);
    area.member("!r:a.test", "@x:b.test");
    area.member("!r:a.test", "@y:c.test");
    uploadDevice(alice, "DEV1");
    area.e2ee.changes.devicesChanged(alice, ["DEV1", "OLD"], () => null);
    const updates = area.edusOfType("m.device_list_update");
    expect(updates.map((u) => u.destinations)).toEqual([["b.test", "c.test"], ["b.test", "c.test"], ["b.test", "c.test"]]);
    const [first, second, third] = updates.map((u) => u.content);
    expect(first).toMatchObject({ user_id: alice, device_id: "DEV1", prev_id: [] });
    expect((first!.keys as { device_id: string }).device_id).toBe("DEV1");
    expect(second).toMatchObject({ device_id: "DEV1", deleted: true, prev_id: [first!.stream_id] });
    expect(third).toMatchObject({ device_id: "OLD", deleted: true, prev_id: [second!.stream_id] });
    expect(first!.device_display_name).toBeUndefined(); // device names stay on this server
  });

  test("a user nobody elsewhere shares a room with sends nothing", () => {
    area.member("!r:a.test", alice);
    uploadDevice(alice);
    expect(area.edus).toEqual([]);
  });
});
