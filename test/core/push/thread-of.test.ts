// Which thread an event counts in: m.thread roots, relations followed up to three hops.
import { expect, test } from "bun:test";
import { MAIN_THREAD, threadOf, type JsonObject } from "../../../src/core";

const held: Record<string, JsonObject> = {
  $root: { body: "root" },
  $reply: { body: "in thread", "m.relates_to": { rel_type: "m.thread", event_id: "$root" } },
  $reaction: { "m.relates_to": { rel_type: "m.annotation", event_id: "$reply", key: "x" } },
  $edit: { "m.relates_to": { rel_type: "m.replace", event_id: "$reaction" } },
  $edit2: { "m.relates_to": { rel_type: "m.replace", event_id: "$edit" } },
  $quote: { "m.relates_to": { "m.in_reply_to": { event_id: "$reply" } } },
};
const of = (content: JsonObject) => threadOf(content, (id) => held[id]);

test("a thread reply counts in its root's thread; the root and plain messages in main", () => {
  expect(of(held.$reply!)).toBe("$root");
  expect(of(held.$root!)).toBe(MAIN_THREAD);
  expect(of({ body: "x", "m.relates_to": "nonsense" })).toBe(MAIN_THREAD);
});

test("relations to thread events are followed: a reaction to a reply, an edit of that reaction", () => {
  expect(of(held.$reaction!)).toBe("$root");
  expect(of(held.$edit!)).toBe("$root");
});

test("at most three relations are followed", () => {
  expect(of({ "m.relates_to": { rel_type: "m.replace", event_id: "$edit2" } })).toBe(MAIN_THREAD);
});

test("a rich reply without rel_type, or a relation to an unknown event, is main", () => {
  expect(of(held.$quote!)).toBe(MAIN_THREAD);
  expect(of({ "m.relates_to": { rel_type: "m.annotation", event_id: "$unknown", key: "x" } })).toBe(MAIN_THREAD);
});
