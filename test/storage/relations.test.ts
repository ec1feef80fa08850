// Relations storage: children pages in the room's order with their filters and recursion, thread
// summaries kept by replies and recomputed after a redaction, and the relations migration indexing
// the events stored before it.
import { Database } from "bun:sqlite";
import { afterAll, afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStorage, openDatabase, type Storage } from "../../src/storage";
import { closeDatabase } from "../../src/storage/db";
import type { NewEvent } from "../../src/storage/events";
import { migrations } from "../../src/storage/migrations";
import { createRelationsRepo, type ChildrenQuery, type RelationRow } from "../../src/storage/relations";

const dir = mkdtempSync(join(tmpdir(), "conduit-relations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROOM = "!r:x";
let depth = 0;

/** A timeline event row; `relatesTo` puts an m.relates_to in its content. */
function event(id: string, relatesTo?: { rel_type: string; event_id: string }, sender = "@a:x", type = "m.room.message"): NewEvent {
  const content = relatesTo ? { body: id, "m.relates_to": relatesTo } : { body: id };
  return {
    event_id: id, room_id: ROOM, depth: ++depth, type, state_key: null, sender, origin_server_ts: depth, membership: null,
    json: JSON.stringify({ type, sender, content }), outlier: false, rejected_reason: null, soft_failed: false,
    state_before: null, state_after: null, replaces_state: null, received_ts: depth,
  };
}

describe("the repository", () => {
  let storage: Storage;
  beforeEach(() => {
    storage = createStorage(openDatabase(":memory:"));
  });
  afterEach(() => storage.close());

  /** Stores an event and, like the persister's relation index, its relation. */
  function store(id: string, parent?: string, relType = "m.thread", sender = "@a:x", type = "m.room.message"): RelationRow | undefined {
    const stream = storage.events.insert(event(id, parent ? { rel_type: relType, event_id: parent } : undefined, sender, type));
    if (!parent) return undefined;
    const row = { event_id: id, room_id: ROOM, relates_to: parent, rel_type: relType, type, sender, depth, stream_ordering: stream };
    if (storage.relations.insert(row) && relType === "m.thread") storage.relations.addThreadReply(row);
    return row;
  }
  const page = (q: Partial<ChildrenQuery>) =>
    storage.relations
      .children({ parentId: "$root", roomId: ROOM, dir: "b", from: { depth: 1e9, stream: 1e9 }, to: { depth: -1, stream: -1 }, limit: 10, depth: 1, ...q })
      .map((r) => r.event_id);

  test("children come newest first (oldest with dir=f), by relation and event type, to the recursion depth asked", () => {
    store("$root");
    store("$t1", "$root");
    store("$like", "$root", "m.annotation", "@b:x", "m.reaction");
    store("$t2", "$root");
    store("$fix", "$t1", "m.replace");
    store("$deeper", "$fix", "m.annotation", "@b:x", "m.reaction");
    expect(page({})).toEqual(["$t2", "$like", "$t1"]);
    expect(page({ dir: "f", from: { depth: -1, stream: -1 }, to: { depth: 1e9, stream: 1e9 } })).toEqual(["$t1", "$like", "$t2"]);
    expect(page({ relType: "m.thread" })).toEqual(["$t2", "$t1"]);
    expect(page({ relType: "m.annotation", eventType: "m.reaction" })).toEqual(["$like"]);
    expect(page({ depth: 2 })).toEqual(["$fix", "$t2", "$like", "$t1"]);
    expect(page({ depth: 3 })).toEqual(["$deeper", "$fix", "$t2", "$like", "$t1"]);
    expect(page({ limit: 2 })).toEqual(["$t2", "$like"]);
    expect(page({ roomId: "!other:x" })).toEqual([]);
  });

  test("a thread keeps its latest reply and count; a removed reply is recounted out", () => {
    store("$root");
    store("$t1", "$root", "m.thread", "@b:x");
    store("$t2", "$root", "m.thread", "@c:x");
    const summary = () => storage.relations.threadSummaries(["$root", "$none"]).map((t) => [t.root_id, t.event_id, t.reply_count]);
    expect(summary()).toEqual([["$root", "$t2", 2]]);
    expect(storage.relations.repliedTo(["$root"], "@b:x")).toEqual(new Set(["$root"]));
    expect(storage.relations.repliedTo(["$root"], "@a:x")).toEqual(new Set());

    expect(storage.relations.remove("$t2")?.relates_to).toBe("$root");
    storage.relations.recountThread("$root");
    expect(summary()).toEqual([["$root", "$t1", 1]]);
    storage.relations.remove("$t1");
    storage.relations.recountThread("$root");
    expect(summary()).toEqual([]);
    expect(storage.relations.remove("$t1")).toBeNull();
  });

  test("recording a relation twice counts it once", () => {
    store("$root");
    const row = store("$t1", "$root")!;
    expect(storage.relations.insert(row)).toBe(false);
    expect(storage.relations.threadSummaries(["$root"])[0]!.reply_count).toBe(1);
  });
});

test("the relations migration indexes the relations and threads of events stored before it", () => {
  const file = join(dir, "before.db");
  const at = migrations.findIndex((m) => m.includes("CREATE TABLE event_relations"));
  const old = new Database(file, { create: true });
  for (const sql of migrations.slice(0, at)) old.run(sql);
  old.run(`PRAGMA user_version = ${at}`);
  // Rows as the schema of that time holds them (the current repository writes later columns).
  const insert = old.query(`INSERT INTO events (event_id, room_id, depth, type, state_key, sender, origin_server_ts,
    membership, json, outlier, rejected_reason, soft_failed, received_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?)`);
  const store = (e: NewEvent) =>
    insert.run(e.event_id, e.room_id, e.depth, e.type, e.state_key, e.sender, e.origin_server_ts, e.membership, e.json, e.rejected_reason, e.received_ts);
  store(event("$root"));
  store(event("$t1", { rel_type: "m.thread", event_id: "$root" }, "@b:x"));
  store(event("$t2", { rel_type: "m.thread", event_id: "$root" }));
  store(event("$ref", { rel_type: "m.reference", event_id: "$root" }));
  store(event("$gone", { rel_type: "m.thread", event_id: "$root" }));
  old.run("UPDATE events SET redacted_by = '$redaction' WHERE event_id = '$gone'");
  store({ ...event("$rejected", { rel_type: "m.thread", event_id: "$root" }), rejected_reason: "auth" });
  store(event("$reply", { "m.in_reply_to": { event_id: "$root" } } as never));
  old.close();

  const db = openDatabase(file);
  const relations = createRelationsRepo(db);
  expect(relations.relationsOf(["$root"]).map((r) => [r.rel_type, r.sender]).sort()).toEqual([["m.reference", "@a:x"], ["m.thread", "@a:x"], ["m.thread", "@b:x"]]);
  expect(relations.threadSummaries(["$root"]).map((t) => [t.event_id, t.reply_count])).toEqual([["$t2", 2]]);
  closeDatabase(db);
});
