// Schema changes of the rooms area applied to a database that already holds events.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../../src/storage/db";
import { createEventsRepo } from "../../src/storage/events";
import { migrations } from "../../src/storage/migrations";

const dir = mkdtempSync(join(tmpdir(), "conduit-rooms-migrations-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("005: an event's transaction id moves onto its row, and txn_ids loses its index by event", () => {
  const file = join(dir, "conduit.db");
  const old = new Database(file, { create: true });
  for (const sql of migrations.slice(0, 4)) old.run(sql);
  old.run("PRAGMA user_version = 4");
  const insertEvent = old.query(
    `INSERT INTO events (event_id, room_id, depth, type, sender, origin_server_ts, json, received_ts) VALUES (?, '!r:x', 1, 'm.room.message', '@a:x', 1, '{}', 1)`,
  );
  insertEvent.run("$sent");
  insertEvent.run("$other");
  old.run(`INSERT INTO txn_ids (user_id, device_id, endpoint, txn_id, event_id, created_ts) VALUES ('@a:x', 'DEV', 'send', 'txn-7', '$sent', 1)`);
  old.close();

  const db = openDatabase(file);
  const events = createEventsRepo(db);
  expect(events.get("$sent")).toMatchObject({ txn_device_id: "DEV", txn_id: "txn-7" });
  expect(events.get("$other")).toMatchObject({ txn_device_id: null, txn_id: null });
  expect(db.query("SELECT name FROM sqlite_master WHERE name = 'txn_ids_by_event'").get()).toBeNull();
  // Retries are still answered from txn_ids.
  expect(db.query("SELECT event_id FROM txn_ids WHERE txn_id = 'txn-7'").get()).toEqual({ event_id: "$sent" });
  closeDatabase(db);
});
