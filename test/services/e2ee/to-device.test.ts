// Send-to-device: local delivery to one device or `*`, idempotent retries, at most 100 per sync
// with the rest following, redelivery until acknowledged, remote recipients as m.direct_to_device
// EDUs (split when large), inbound EDUs delivered once and only from the sender's own server.
import { beforeEach, describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/core";
import { MatrixError } from "../../../src/services/matrix-error";
import { e2eeArea, type E2eeArea } from "../../helpers/e2ee-area";

let area: E2eeArea;
let alice: string;
let bob: string;
beforeEach(async () => {
  area = await e2eeArea();
  alice = await area.addUser("alice");
  bob = await area.addUser("bob", ["B1", "B2"]);
});

const send = (messages: JsonObject, txnId: string, type = "m.test") => area.e2ee.toDevice.send(area.requester(alice), type, txnId, { messages });
const inbox = (userId: string, deviceId: string, since?: number) =>
  area.e2ee.toDevice.syncSection(userId, deviceId, since, area.e2ee.toDevice.position());
const bodies = (events: { content: JsonObject }[]) => events.map((e) => e.content.n);

test("to one device, to every device with *, and nothing to unknown devices", () => {
  send({ [bob]: { B1: { n: 1 }, NOPE: { n: 2 } } }, "t1");
  send({ [bob]: { "*": { n: 3 } }, "@nobody:a.test": { X: { n: 4 } } }, "t2");
  expect(bodies(inbox(bob, "B1").events)).toEqual([1, 3]);
  expect(bodies(inbox(bob, "B2").events)).toEqual([3]);
  expect(inbox(bob, "B1").events[0]).toEqual({ sender: alice, type: "m.test", content: { n: 1 } });
  expect(area.woken).toContain(bob);
});

test("a retried transaction sends nothing again; the same id for another event type is another transaction", () => {
  send({ [bob]: { B1: { n: 1 } } }, "t1");
  send({ [bob]: { B1: { n: 1 } } }, "t1");
  send({ [bob]: { B1: { n: 2 } } }, "t1", "m.other");
  expect(bodies(inbox(bob, "B1").events)).toEqual([1, 2]);
});

test("a sync that was not acknowledged gets the same messages again; one past them deletes them", () => {
  send({ [bob]: { B1: { n: 1 } } }, "t1");
  const first = inbox(bob, "B1");
  expect(bodies(first.events)).toEqual([1]);
  expect(bodies(inbox(bob, "B1").events)).toEqual([1]); // the client crashed: same batch again
  send({ [bob]: { B1: { n: 2 } } }, "t2");
  const next = inbox(bob, "B1", first.position);
  expect(bodies(next.events)).toEqual([2]);
  expect(area.storage.toDevice.pending(bob, "B1", 0, next.position, 10)).toHaveLength(1); // 1 is gone
});

test("at most 100 per sync; the token then stops at the last one given", () => {
  for (let i = 0; i < 150; i++) send({ [bob]: { B1: { n: i } } }, `t${i}`);
  const first = inbox(bob, "B1");
  expect(first.events).toHaveLength(100);
  expect(first.position).toBeLessThan(area.e2ee.toDevice.position());
  const second = inbox(bob, "B1", first.position);
  expect(bodies(second.events)).toEqual(Array.from({ length: 50 }, (_, i) => i + 100));
  expect(second.position).toBe(area.e2ee.toDevice.position());
});

test("malformed messages are refused naming the field, and nothing is sent", () => {
  let error: unknown;
  try {
    send({ [bob]: { B1: { n: 1 } }, "not-a-user": { X: {} } }, "t1");
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MatrixError);
  expect((error as MatrixError).message).toStartWith(`messages["not-a-user"]`);
  expect(inbox(bob, "B1").events).toEqual([]);
});

describe("federation", () => {
  test("remote recipients get one EDU per server; large batches are split", () => {
    send({ "@x:b.test": { D: { n: 1 } }, "@y:b.test": { "*": { n: 2 } }, "@z:c.test": { D: { n: 3 } } }, "t1");
    const edus = area.edusOfType("m.direct_to_device");
    expect(edus.map((e) => e.destinations)).toEqual([["b.test"], ["c.test"]]);
    expect(edus[0]!.content).toMatchObject({ sender: alice, type: "m.test", messages: { "@x:b.test": { D: { n: 1 } }, "@y:b.test": { "*": { n: 2 } } } });
    expect(typeof edus[0]!.content.message_id).toBe("string");

    const big: JsonObject = {};
    for (let i = 0; i < 40; i++) big[`D${i}`] = { blob: "x".repeat(4_000) };
    send({ "@x:b.test": big }, "t2");
    const split = area.edusOfType("m.direct_to_device").slice(2);
    expect(split.length).toBeGreaterThan(1);
    const delivered = split.flatMap((e) => Object.keys((e.content.messages as Record<string, JsonObject>)["@x:b.test"]!));
    expect(delivered.sort()).toEqual(Object.keys(big).sort());
    expect(new Set(split.map((e) => e.content.message_id)).size).toBe(split.length);
  });

  test("an inbound EDU is delivered once, and never with a sender of another server", () => {
    const edu = { sender: "@x:b.test", type: "m.room_key", message_id: "m1", messages: { [bob]: { "*": { n: 1 } } } };
    area.e2ee.toDevice.onDirectToDevice("b.test", edu);
    area.e2ee.toDevice.onDirectToDevice("b.test", edu);
    area.e2ee.toDevice.onDirectToDevice("evil.test", { ...edu, message_id: "m2" });
    area.e2ee.toDevice.onDirectToDevice("b.test", { ...edu, message_id: "m3", messages: { "@other:c.test": { D: {} } } });
    expect(inbox(bob, "B1").events).toEqual([{ sender: "@x:b.test", type: "m.room_key", content: { n: 1 } }]);
    expect(inbox(bob, "B2").events).toHaveLength(1);
  });
});

describe("dehydrated device events", () => {
  test("read in batches with next_batch while more remain, and never deleted", () => {
    area.storage.accounts.ensureDevice(alice, "DEHYD", null, 1);
    area.storage.e2eeKeys.putDehydratedDevice(alice, "DEHYD", '{"algorithm":"m.dehydration.v2"}');
    for (let i = 0; i < 120; i++) area.e2ee.toDevice.onDirectToDevice("b.test", { sender: "@x:b.test", type: "m.room_key", message_id: `m${i}`, messages: { [alice]: { DEHYD: { n: i } } } });
    const first = area.e2ee.toDevice.dehydratedEvents(alice, "DEHYD", undefined);
    expect(first.events).toHaveLength(100);
    const second = area.e2ee.toDevice.dehydratedEvents(alice, "DEHYD", first.next_batch);
    expect(bodies(second.events)).toEqual(Array.from({ length: 20 }, (_, i) => i + 100));
    expect(second.next_batch).toBeUndefined();
    expect(area.e2ee.toDevice.dehydratedEvents(alice, "DEHYD", undefined).events).toHaveLength(100);
    expect(() => area.e2ee.toDevice.dehydratedEvents(alice, "DEV1", undefined)).toThrow(MatrixError);
    expect(() => area.e2ee.toDevice.dehydratedEvents(alice, "DEHYD", "x1")).toThrow("next_batch");
  });
});
