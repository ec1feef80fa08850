// A server killed with SIGKILL in the middle of an upload leaves nothing that is ever served: the
// partial body sits only in media/tmp, no row names it, and the next start clears it.
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../src/storage";
import { startServer } from "../../helpers/server";
import { addUser } from "../../helpers/users";

const filesUnder = (dir: string) =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((p) => statSync(join(dir, p)).isFile()) : [];

test("kill -9 during an upload: nothing stored, nothing served, the partial file cleared at restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-crash-"));
  try {
    const server = await startServer({ dataDir });
    const alice = await addUser(server, "alice");
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (sent >= 1_000_000) return new Promise<void>(() => {}); // the rest never comes
        sent += 100_000;
        c.enqueue(new Uint8Array(100_000).fill(1));
      },
    });
    const upload = fetch(`${server.baseUrl}/_matrix/media/v3/upload`, {
      method: "POST",
      headers: { Authorization: `Bearer ${alice.session.access_token}`, "Content-Type": "application/octet-stream" },
      body,
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    const tmp = join(dataDir, "media", "tmp");
    const partial = () => filesUnder(tmp).some((f) => statSync(join(tmp, f)).size > 0);
    for (let i = 0; i < 1_000 && !partial(); i++) await Bun.sleep(10);
    expect(partial()).toBe(true); // the body is streaming to disk
    server.proc.kill("SIGKILL");
    await server.proc.exited;
    expect(await upload).toBeInstanceOf(Error);

    expect(filesUnder(join(dataDir, "media")).every((f) => f.startsWith("tmp/"))).toBe(true);
    const again = await startServer({ dataDir });
    try {
      expect(filesUnder(join(dataDir, "media"))).toEqual([]);
      const db = openDatabase(join(dataDir, "conduit.db"), { readonly: true });
      expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM media").get()?.n).toBe(0);
      db.close();
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
