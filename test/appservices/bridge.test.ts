// A real bridge framework against the real server: the echo bridge on mautrix (Python, from PyPI,
// installed by scripts/mautrix/install.sh into .mautrix/, which this file runs first; it is a
// no-op once the pinned versions are there). The bridge pings the server at start, registers a
// puppet when invited, answers each message in the room, is asked about unknown puppets, and
// receives typing. Then the server restarts in the middle of a stream of messages: every message
// reaches the bridge exactly once and every answer is in the room exactly once.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { enc } from "../helpers/as-user";
import { appserviceFilesToml, writeRegistration } from "../helpers/appservice";
import { freePort } from "../helpers/federation";
import { createRoom, sendMessage } from "../helpers/rooms";
import { readLines, startServer, type TestServer } from "../helpers/server";
import { addUser, type TestUser } from "../helpers/users";

const root = join(import.meta.dir, "..", "..");
const python = join(root, ".mautrix", "venv", "bin", "python");
const dir = mkdtempSync(join(tmpdir(), "conduit-bridge-"));
const data = mkdtempSync(join(tmpdir(), "conduit-bridge-data-"));
const serverPort = freePort();
const bridgePort = freePort();
const toml = appserviceFilesToml([
  writeRegistration(dir, {
    id: "echo",
    url: `http://127.0.0.1:${bridgePort}`,
    senderLocalpart: "echobot",
    users: ["@echo_.*"],
    extra: ["receive_ephemeral: true", "de.sorunome.msc2409.push_ephemeral: true"],
  }),
]);

/** One line the bridge printed (see echo_bridge.py). */
type Report = { kind: string } & Record<string, unknown>;

let server: TestServer;
let bridge: Subprocess<"ignore", "pipe", "pipe">;
const reports: Report[] = [];
const bridgeLog: string[] = [];
const watchers = new Set<() => void>();
let alice: TestUser;

/** Resolves with the first report `match` accepts (those already printed included). */
function report(match: (r: Report) => boolean, timeoutMs = 20_000): Promise<Report> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = reports.find(match);
      if (!found) return;
      clearTimeout(timer);
      watchers.delete(check);
      resolve(found);
    };
    const timer = setTimeout(() => {
      watchers.delete(check);
      reject(new Error(`the bridge did not report what the test waits for; its log:\n${bridgeLog.slice(-40).join("\n")}`));
    }, timeoutMs);
    watchers.add(check);
    check();
  });
}

const start = () => startServer({ toml, dataDir: data, env: { CONDUIT_PORT: String(serverPort) } });

beforeAll(async () => {
  const install = Bun.spawnSync(["bash", join(root, "scripts/mautrix/install.sh")], { stdout: "pipe", stderr: "pipe" });
  if (install.exitCode !== 0) throw new Error(`installing mautrix failed:\n${install.stderr.toString()}`);
  server = await start();
  alice = await addUser(server, "alice");
  bridge = Bun.spawn([python, join(import.meta.dir, "bridge", "echo_bridge.py")], {
    env: {
      ...process.env,
      HS_URL: server.baseUrl,
      SERVER_NAME: "localhost",
      AS_ID: "echo",
      AS_TOKEN: "as-echo",
      HS_TOKEN: "hs-echo",
      BOT_LOCALPART: "echobot",
      PORT: String(bridgePort),
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  void readLines(bridge.stdout, (line) => {
    reports.push(JSON.parse(line) as Report);
    for (const w of [...watchers]) w();
  });
  void readLines(bridge.stderr, (line) => bridgeLog.push(line));
  // At start the bridge registers its bot, asks whoami and pings the server, which calls it back.
  const ready = await report((r) => r.kind === "ready", 60_000);
  expect(ready.whoami).toBe("@echobot:localhost");
  expect(ready.ping_ms).toEqual(expect.any(Number));
}, 240_000);

afterAll(async () => {
  bridge?.kill("SIGTERM");
  await bridge?.exited;
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
});

/** The room's text messages, oldest first, as alice reads them. */
async function texts(roomId: string): Promise<{ sender: string; body: string }[]> {
  const res = await alice.call<{ chunk: { type: string; sender: string; content: { body?: string } }[] }>(
    "GET",
    `/rooms/${enc(roomId)}/messages?dir=b&limit=1000`,
  );
  expect(res.status).toBe(200);
  return res.body.chunk
    .filter((e) => e.type === "m.room.message")
    .map((e) => ({ sender: e.sender, body: e.content.body ?? "" }))
    .reverse();
}

/** A room of alice's where the puppet `@echo_<name>` has joined (the bridge joins it when invited). */
async function bridgedRoom(name: string): Promise<{ roomId: string; puppet: string }> {
  const puppet = `@echo_${name}:localhost`;
  const roomId = await createRoom(server.baseUrl, alice.session, { invite: [puppet] });
  await report((r) => r.kind === "joined" && r.room_id === roomId);
  return { roomId, puppet };
}

test("the echo bridge registers a puppet, answers a message in the room, is asked about users and receives typing", async () => {
  const { roomId, puppet } = await bridgedRoom("one");
  const eventId = await sendMessage(server.baseUrl, alice.session, roomId, "hello bridge");
  const answered = await report((r) => r.kind === "answered" && r.event_id === eventId);
  expect(await texts(roomId)).toEqual([
    { sender: alice.id, body: "hello bridge" },
    { sender: puppet, body: "echo: hello bridge" },
  ]);
  expect(reports.filter((r) => r.kind === "event" && r.event_id === eventId)).toHaveLength(1);
  // The answer comes back to the bridge as its puppet's event.
  expect((await report((r) => r.kind === "event" && r.event_id === answered.answer_id)).sender).toBe(puppet);

  // A puppet nobody has met yet: the server asks the bridge, which registers it.
  const profile = await alice.call("GET", `/profile/${enc("@echo_newcomer:localhost")}`);
  expect(profile.status).toBe(200);
  expect(reports.some((r) => r.kind === "query_user" && r.user_id === "@echo_newcomer:localhost")).toBe(true);

  expect((await alice.call("PUT", `/rooms/${enc(roomId)}/typing/${enc(alice.id)}`, { typing: true, timeout: 30_000 })).status).toBe(200);
  await report((r) => r.kind === "typing" && r.room_id === roomId && (r.user_ids as string[]).includes(alice.id));
});

test("a server restart in the middle of a stream loses and duplicates nothing, on either side", async () => {
  const { roomId, puppet } = await bridgedRoom("two");
  const bodies = Array.from({ length: 12 }, (_, i) => `stream ${i}`);
  const sent: string[] = [];
  for (const body of bodies.slice(0, 6)) sent.push(await sendMessage(server.baseUrl, alice.session, roomId, body));
  // Mid-stream: transactions and the bridge's answers are in flight when the server goes.
  expect(await server.stop()).toBe(0);
  server = await start();
  for (const body of bodies.slice(6)) sent.push(await sendMessage(server.baseUrl, alice.session, roomId, body));

  for (const eventId of sent) await report((r) => r.kind === "answered" && r.event_id === eventId, 60_000);
  const received = reports.filter((r) => r.kind === "event" && r.room_id === roomId && r.sender === alice.id && r.type === "m.room.message");
  expect(received.map((r) => r.event_id)).toEqual(sent);
  // Answers may interleave with later messages: each message and each answer is there once, the answer after it.
  const room = await texts(roomId);
  for (const body of bodies) {
    const message = room.filter((m) => m.sender === alice.id && m.body === body);
    const answer = room.filter((m) => m.sender === puppet && m.body === `echo: ${body}`);
    expect([message.length, answer.length]).toEqual([1, 1]);
    expect(room.indexOf(message[0]!)).toBeLessThan(room.indexOf(answer[0]!));
  }
  expect(room).toHaveLength(bodies.length * 2);
}, 120_000);
