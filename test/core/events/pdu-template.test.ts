// The one PDU template layout: `origin` in rooms 1-10, a minted `event_id` and hashed references
// in rooms 1-2, a top-level `redacts` before v11, and nothing else differing between versions.
import { describe, expect, test } from "bun:test";
import { eventRefs, pduTemplate } from "../../../src/core/events/pdu-template.ts";
import { roomVersions, rulesFor } from "../../../src/core/room-versions.ts";

const fields = {
  roomId: "!r:a.example",
  sender: "@alice:a.example",
  type: "m.room.redaction",
  content: { reason: "spam" },
  originServerTs: 1_000,
  depth: 3,
  prevEvents: ["$p"],
  authEvents: ["$a"],
  redacts: "$target",
  origin: "a.example",
};

describe.each(Object.keys(roomVersions))("room version %s", (version) => {
  const rules = rulesFor(version);
  const n = Number(version);

  test("origin before v11, top-level redacts before v11, an event id only where minted in rooms 1-2", () => {
    const answer = pduTemplate(fields, rules);
    const own = pduTemplate(fields, rules, { mintEventId: true });
    expect("origin" in answer).toBe(n <= 10);
    if (n <= 10) expect(own.origin).toBe("a.example");
    expect("redacts" in answer).toBe(n <= 10);
    expect("event_id" in answer).toBe(false);
    expect("event_id" in own).toBe(n <= 2);
    if (n <= 2) expect(own.event_id).toMatch(/^\$[A-Za-z0-9_-]+:a\.example$/);
    // Everything else is the same for every version.
    expect(answer).toMatchObject({ room_id: "!r:a.example", sender: "@alice:a.example", depth: 3, origin_server_ts: 1_000 });
  });

  test("references carry hashes in rooms 1-2 only", () => {
    const refs = eventRefs(["$x"], rules, () => "h4sh");
    expect(refs).toEqual(n <= 2 ? [["$x", { sha256: "h4sh" }]] : ["$x"]);
  });
});
