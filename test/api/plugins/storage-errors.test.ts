// A write that fails because the disk is full answers 503 M_UNKNOWN over HTTP, is logged for the
// operator, and leaves nothing half-written. The disk is made "full" with SQLite's max_page_count.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Elysia } from "elysia";
import { errors } from "../../../src/api/plugins/errors";
import { createLogger } from "../../../src/runtime/logger";
import { createStorage, openDatabase } from "../../../src/storage";

const dir = mkdtempSync(join(tmpdir(), "conduit-full-"));
const db = openDatabase(join(dir, "conduit.db"));
const storage = createStorage(db);
const logged: string[] = [];
const log = createLogger("info", (line) => logged.push(line));

// A handler that writes many rows in one transaction, as a request that stores an event and its
// state would.
const app = new Elysia().use(errors(log, () => [])).post("/write", () => {
  storage.transaction(() => {
    for (let i = 0; i < 200; i++) storage.serverKeys.insertKey(`ed25519:k${i}`, new Uint8Array(1024), i);
  });
  return { ok: true };
});
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });

afterAll(async () => {
  await server.stop(true);
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

test("SQLITE_FULL -> 503 M_UNKNOWN, logged, nothing written", async () => {
  const pages = (db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
  db.run(`PRAGMA max_page_count = ${pages}`);
  const res = await fetch(`${server.url}write`, { method: "POST" });
  expect(res.status).toBe(503);
  const body = (await res.json()) as { errcode: string; error: string };
  expect(body.errcode).toBe("M_UNKNOWN");
  expect(body.error).toContain("storage is full");
  expect(body.error).not.toContain("SQLITE");
  expect(storage.serverKeys.allKeys()).toEqual([]);
  expect(logged.some((l) => l.includes('"level":"error"') && l.includes("database or disk is full"))).toBe(true);
});

test("once space is free again the same write succeeds", async () => {
  db.run("PRAGMA max_page_count = 1073741823");
  const res = await fetch(`${server.url}write`, { method: "POST" });
  expect(res.status).toBe(200);
  expect(storage.serverKeys.allKeys()).toHaveLength(200);
});
