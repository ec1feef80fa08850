import { describe, expect, test } from "bun:test";
import { checkFilter, compileFilter, projectEventFields } from "../../src/core/filter";
import { splitDotPath } from "../../src/core/dot-path";

const msg = { type: "m.room.message", sender: "@a:x", room_id: "!r:x", content: { body: "hi" } };

describe("checkFilter", () => {
  test("accepts the spec's example filter", () => {
    const r = checkFilter({
      room: {
        state: { types: ["m.room.*"], not_rooms: ["!726s6s6q:example.com"] },
        timeline: { limit: 10, types: ["m.room.message"], not_senders: ["@spam:example.com"] },
        ephemeral: { types: ["m.receipt", "m.typing"] },
      },
      presence: { types: ["m.presence"], not_senders: ["@alice:example.com"] },
      event_format: "client",
      event_fields: ["type", "content", "sender"],
      unknown_key: 1,
    });
    expect(r.ok).toBe(true);
  });

  test.each([
    [[], "filter must be a JSON object"],
    [{ event_format: "xml" }, "event_format"],
    [{ event_fields: "type" }, "event_fields"],
    [{ room: { timeline: { limit: -1 } } }, "room.timeline.limit"],
    [{ room: { timeline: { limit: 1.5 } } }, "room.timeline.limit"],
    [{ room: { rooms: ["#alias:x"] } }, "room.rooms"],
    [{ presence: { senders: ["bob"] } }, "presence.senders"],
    [{ room: { state: { lazy_load_members: "yes" } } }, "room.state.lazy_load_members"],
    [{ room: { include_leave: 1 } }, "room.include_leave"],
    [{ room: { timeline: { types: [1] } } }, "room.timeline.types"],
  ])("rejects %j", (filter, mention) => {
    const r = checkFilter(filter);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(mention);
  });
});

describe("compiled matchers", () => {
  test("an absent filter allows everything", () => {
    const f = compileFilter(undefined);
    expect(f.room.timeline.matches(msg)).toBe(true);
    expect(f.room.allowsRoom("!any:x")).toBe(true);
    expect(f.room.includeLeave).toBe(false);
    expect(f.eventFormat).toBe("client");
  });

  test("types take * wildcards; not_types wins over types", () => {
    const f = compileFilter({ room: { timeline: { types: ["m.room.*"], not_types: ["m.room.member"] } } });
    expect(f.room.timeline.matches(msg)).toBe(true);
    expect(f.room.timeline.matches({ ...msg, type: "m.room.member" })).toBe(false);
    expect(f.room.timeline.matches({ ...msg, type: "m.reaction" })).toBe(false);
    // the dot is literal, not a regex wildcard
    expect(f.room.timeline.matches({ ...msg, type: "mxroom.message" })).toBe(false);
    const mid = compileFilter({ room: { timeline: { types: ["m.*.message"] } } });
    expect(mid.room.timeline.matches({ ...msg, type: "m.room.encrypted.message" })).toBe(true);
  });

  test("senders and not_senders; events without a sender fail a senders list", () => {
    const f = compileFilter({ room: { timeline: { senders: ["@a:x", "@b:x"], not_senders: ["@b:x"] } } });
    expect(f.room.timeline.matches(msg)).toBe(true);
    expect(f.room.timeline.matches({ ...msg, sender: "@b:x" })).toBe(false);
    expect(f.room.timeline.matches({ ...msg, sender: "@c:x" })).toBe(false);
    expect(f.room.timeline.matches({ type: "m.typing", room_id: "!r:x" })).toBe(false);
  });

  test("rooms/not_rooms at room level and per sub-filter", () => {
    const f = compileFilter({ room: { rooms: ["!a:x", "!b:x"], not_rooms: ["!b:x"], timeline: { not_rooms: ["!a:x"] } } });
    expect(f.room.allowsRoom("!a:x")).toBe(true);
    expect(f.room.allowsRoom("!b:x")).toBe(false);
    expect(f.room.allowsRoom("!c:x")).toBe(false);
    expect(f.room.timeline.allowsRoom("!a:x")).toBe(false);
    expect(f.room.timeline.matches({ ...msg, room_id: "!a:x" })).toBe(false);
    expect(f.room.state.allowsRoom("!a:x")).toBe(true);
  });

  test("contains_url true keeps only events whose content.url is a string; false drops them", () => {
    const withUrl = { ...msg, content: { url: "mxc://x/y" } };
    const yes = compileFilter({ room: { timeline: { contains_url: true } } }).room.timeline;
    const no = compileFilter({ room: { timeline: { contains_url: false } } }).room.timeline;
    expect([yes.matches(withUrl), yes.matches(msg)]).toEqual([true, false]);
    expect([no.matches(withUrl), no.matches(msg)]).toEqual([false, true]);
    expect(yes.matches({ ...msg, content: { url: 5 } })).toBe(false);
  });

  test("lazy-loading flags and limit are exposed", () => {
    const f = compileFilter({
      room: { state: { lazy_load_members: true, include_redundant_members: true }, timeline: { limit: 7 }, include_leave: true },
    });
    expect(f.room.includeLeave).toBe(true);
    expect(f.room.state.lazyLoadMembers).toBe(true);
    expect(f.room.state.includeRedundantMembers).toBe(true);
    expect(f.room.timeline.limit).toBe(7);
    expect(f.room.timeline.lazyLoadMembers).toBe(false);
  });
});

describe("event_fields", () => {
  test("keeps the listed paths, including escaped dots", () => {
    const ev = {
      type: "m.room.message",
      sender: "@a:x",
      content: { body: "hi", "m.relates_to": { rel_type: "m.thread" }, msgtype: "m.text" },
      unsigned: { age: 1 },
    };
    const out = projectEventFields(ev, ["type", "content.body", "content.m\\.relates_to", "content.missing"].map(splitDotPath));
    expect(out).toEqual({ type: "m.room.message", content: { body: "hi", "m.relates_to": { rel_type: "m.thread" } } });
  });

  test("a __proto__ name stays an own data property", () => {
    const ev = JSON.parse('{"content":{"__proto__":{"polluted":true}}}');
    const out = projectEventFields(ev, [["content", "__proto__"]]);
    expect(Object.hasOwn(out.content as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("splitDotPath undoes only \\. and \\\\", () => {
    expect(splitDotPath("content.m\\.relates_to")).toEqual(["content", "m.relates_to"]);
    expect(splitDotPath("content.m\\\\foo")).toEqual(["content", "m\\foo"]);
    expect(splitDotPath("a\\xb")).toEqual(["a\\xb"]);
  });
});
