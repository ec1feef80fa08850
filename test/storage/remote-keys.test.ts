// Other servers' key documents, kept per key id: a later document that no longer lists a key does
// not replace the one that did; and migration 008 splits the per-server documents it finds.
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "../../src/storage/db";
import { migrations } from "../../src/storage/migrations";
import { createRemoteKeysRepo, type StoredKeyDocument } from "../../src/storage/remote-keys";

const dir = mkdtempSync(join(tmpdir(), "conduit-remote-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const doc = (text: string, validUntilTs: number, current: string[], old: string[] = []): StoredKeyDocument => ({
  serverName: "o.example",
  document: text,
  validUntilTs,
  fetchedTs: 1,
  current: current.map((keyId) => ({ keyId, publicKey: "pk" })),
  old: old.map((keyId) => ({ keyId, publicKey: "pk", expiredTs: 5 })),
});

test("each key keeps the newest document that listed it", () => {
  const keys = createRemoteKeysRepo(openDatabase(":memory:"));
  keys.storeDocument(doc("doc1", 100, ["ed25519:1"]));
  keys.storeDocument(doc("doc2", 200, ["ed25519:2"], ["ed25519:0"]));
  expect(keys.getDocumentForKey("o.example", "ed25519:1")?.document).toBe("doc1");
  expect(keys.getDocumentForKey("o.example", "ed25519:2")?.document).toBe("doc2");
  expect(keys.getDocumentForKey("o.example", "ed25519:0")?.document).toBe("doc2");
  expect(keys.getDocuments("o.example").map((r) => [r.key_id, r.document])).toEqual([
    ["ed25519:0", "doc2"],
    ["ed25519:1", "doc1"],
    ["ed25519:2", "doc2"],
  ]);
  // An older document never replaces a newer one for the same key.
  keys.storeDocument(doc("stale", 50, ["ed25519:2"]));
  expect(keys.getDocumentForKey("o.example", "ed25519:2")?.document).toBe("doc2");
  keys.storeDocument(doc("doc3", 300, ["ed25519:2"]));
  expect(keys.getDocumentForKey("o.example", "ed25519:2")?.document).toBe("doc3");
});

test("008: a server's stored document is kept for each key it lists", () => {
  const file = join(dir, "conduit.db");
  const old = new Database(file, { create: true });
  for (const sql of migrations.slice(0, 7)) old.run(sql);
  old.run("PRAGMA user_version = 7");
  const text = JSON.stringify({ server_name: "o.example", verify_keys: { "ed25519:a": {} }, old_verify_keys: { "ed25519:b": {} } });
  old.query("INSERT INTO remote_server_key_documents (server_name, document, valid_until_ts, fetched_ts) VALUES (?, ?, 10, 2)").run("o.example", text);
  old.close();

  const db = openDatabase(file);
  const keys = createRemoteKeysRepo(db);
  expect(keys.getDocuments("o.example")).toEqual([
    { server_name: "o.example", key_id: "ed25519:a", document: text, valid_until_ts: 10, fetched_ts: 2 },
    { server_name: "o.example", key_id: "ed25519:b", document: text, valid_until_ts: 10, fetched_ts: 2 },
  ]);
  closeDatabase(db);
});
