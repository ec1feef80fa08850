// The Hydrogen web client (hydrogen-view-sdk, booted by our small page) in headless Chromium with
// Olm loaded, as its app ships, driven through its own UI: it logs in (creating its E2EE identity:
// device keys and one-time keys), opens a room, shows a message another user sent, sends one that
// the other user receives over /sync, shows the other user's live reply, then accepts an invite
// to an encrypted room and shows a message that a matrix-js-sdk client (Rust crypto) encrypted
// for it. A screenshot of each step is saved under test-artifacts/.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { enc } from "../helpers/as-user";
import { registerUser } from "../helpers/client";
import { chromiumPath, launchBrowser, type Browser } from "../helpers/browser";
import { startServer, type TestServer } from "../helpers/server";
import { addUser, type TestUser } from "../helpers/users";
import { syncClient, type SyncBody } from "../helpers/sync";
import { startSdkClient, until } from "../helpers/js-sdk";
import { RoomMemberEvent, type MatrixClient } from "matrix-js-sdk";
import { servePage, type PageServer } from "./hydrogen/page-server";

const artifacts = join(import.meta.dir, "..", "..", "test-artifacts");
const password = "hydrogen password";

let server: TestServer;
let pageServer: PageServer;
let browser: Browser;
let page: Page;
let alice: TestUser;
let bob: TestUser;
let roomId: string;
let carol: MatrixClient;

/** A port free now, so the server's well-known can name its own address before it starts. */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `hydrogen-${name}.png`) });
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  mkdirSync(artifacts, { recursive: true });
  const port = freePort();
  const origin = `http://127.0.0.1:${port}`;
  // Hydrogen follows .well-known/matrix/client, which must point back at this server.
  server = await startServer({ env: { CONDUIT_PORT: String(port), CONDUIT_WELL_KNOWN_CLIENT: origin } });
  alice = await addUser(server, "alice", password);
  bob = await addUser(server, "bob");
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", name: "Hydrogen test" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  await bob.call("PUT", `/rooms/${enc(roomId)}/send/m.room.message/h1`, { msgtype: "m.text", body: "Hello from Bob" });
  carol = await startSdkClient(server.baseUrl, await registerUser(server.baseUrl, "carol"), { crypto: true });
  pageServer = await servePage();
  browser = await launchBrowser();
  page = await browser.context.newPage();
  await page.goto(`${pageServer.url}/?hs=${enc(server.baseUrl)}&olm=1`);
});

afterAll(async () => {
  carol?.stopClient();
  await browser?.close();
  pageServer?.stop();
  await server?.stop();
});

/** Whether alice has logged in on the page (each test may run alone: the first to need it logs in). */
let loggedIn = false;

/** Logs alice in through Hydrogen's own form (once) and opens the test room. */
async function openTestRoom(): Promise<void> {
  if (!loggedIn) {
    await page.waitForSelector("#username", { timeout: 15_000 });
    await page.fill("#username", "alice");
    await page.fill("#password", password);
    await shot("1-login");
    await page.click("button[type=submit]");
    loggedIn = true;
  }
  const tile = page.locator(".RoomList a", { hasText: "Hydrogen test" });
  await tile.waitFor({ timeout: 20_000 });
  await shot("2-room-list");
  await tile.click();
  await page.locator(".Timeline_message", { hasText: "Hello from Bob" }).waitFor({ timeout: 10_000 });
}

test("Hydrogen logs in, opens the room and shows the other user's message", async () => {
  await openTestRoom();
  const message = page.locator(".Timeline_message", { hasText: "Hello from Bob" });
  expect(await message.locator(".Timeline_messageSender").innerText()).toBe("bob");
  await shot("3-room-open");
});

test("a message sent from Hydrogen reaches the other user's /sync", async () => {
  await openTestRoom();
  const bobSync = syncClient(bob.call);
  await bobSync.next();
  await page.fill(".MessageComposer textarea", "Hi Bob, from Hydrogen");
  await page.click(".MessageComposer button.send");
  let seen: string[] = [];
  const deadline = Date.now() + 10_000;
  while (!seen.includes("Hi Bob, from Hydrogen") && Date.now() < deadline) {
    const body = await bobSync.next({ timeout: "5000" });
    const events = body.rooms.join[roomId]?.timeline.events ?? [];
    seen = [...seen, ...events.filter((e) => e.sender === alice.id).map((e) => String(e.content.body))];
  }
  expect(seen).toContain("Hi Bob, from Hydrogen");
  await page.locator(".Timeline_message", { hasText: "Hi Bob, from Hydrogen" }).waitFor({ timeout: 10_000 });
  await shot("4-sent");
});

test("the other user's reply appears live in Hydrogen's timeline", async () => {
  await openTestRoom();
  await bob.call("PUT", `/rooms/${enc(roomId)}/send/m.room.message/h2`, { msgtype: "m.text", body: "Bob replies live" });
  const reply = page.locator(".Timeline_message", { hasText: "Bob replies live" });
  await reply.waitFor({ timeout: 10_000 });
  const texts = await page.locator(".Timeline_message .Timeline_messageBody").allInnerTexts();
  const at = (text: string) => texts.findIndex((x) => x.includes(text));
  expect(at("Hello from Bob")).toBeGreaterThanOrEqual(0);
  expect(at("Bob replies live")).toBeGreaterThan(at("Hello from Bob"));
  // Hydrogen's own message (when the test before sent it) sits between the two.
  if (at("Hi Bob, from Hydrogen") >= 0) expect(at("Hi Bob, from Hydrogen")).toBeLessThan(at("Bob replies live"));
  await shot("5-reply");
});

test("a mention in another room shows a highlighted unread badge, and reading the room clears it", async () => {
  await openTestRoom();
  const mentions = (await bob.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", name: "Mentions" })).body.room_id;
  await alice.call("POST", `/join/${enc(mentions)}`, {});
  await bob.call("PUT", `/rooms/${enc(mentions)}/send/m.room.message/m1`, { msgtype: "m.text", body: "just chatting" });
  await bob.call("PUT", `/rooms/${enc(mentions)}/send/m.room.message/m2`, {
    msgtype: "m.text",
    body: "alice: have a look",
    "m.mentions": { user_ids: [alice.id] },
  });
  const tile = page.locator(".RoomList li", { hasText: "Mentions" });
  const badge = tile.locator(".badge.highlighted:not(.hidden)");
  await badge.waitFor({ timeout: 15_000 });
  expect(await badge.innerText()).toBe("2");
  await shot("6-mention-badge");
  // Opening the room sends a read receipt: the badge goes, and so do the server's counts.
  await tile.locator("a").click();
  await page.locator(".Timeline_message", { hasText: "alice: have a look" }).waitFor({ timeout: 10_000 });
  await tile.locator(".badge.hidden").waitFor({ state: "attached", timeout: 15_000 });
  await shot("7-mention-read");
  const deadline = Date.now() + 15_000;
  for (;;) {
    const body = (await alice.call<SyncBody>("GET", "/sync")).body;
    const counts = body.rooms.join[mentions]!.unread_notifications;
    if (counts.notification_count === 0 && counts.highlight_count === 0) break;
    if (Date.now() > deadline) throw new Error(`the server still counts ${JSON.stringify(counts)}`);
    await Bun.sleep(100);
  }
});

test("Hydrogen accepts an invite to an encrypted room and shows a message decrypted", async () => {
  await openTestRoom();
  const { room_id: secretRoom } = await carol.createRoom({
    name: "Encrypted with Hydrogen",
    invite: [alice.id],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  const invite = page.locator(".RoomList a", { hasText: "Encrypted with Hydrogen" });
  await invite.waitFor({ timeout: 20_000 });
  await invite.click();
  await page.locator(".InviteView button", { hasText: "Accept" }).click();
  await until(carol, [RoomMemberEvent.Membership], () => (carol.getRoom(secretRoom)?.getMember(alice.id)?.membership === "join" ? true : undefined), "Alice joined");
  await shot("6-encrypted-room");
  // Carol's client encrypts for every device of Alice's that published keys: Hydrogen's.
  const event = await carol.sendTextMessage(secretRoom, "A secret for Hydrogen");
  expect(event.event_id).toBeString();
  const secret = page.locator(".Timeline_message", { hasText: "A secret for Hydrogen" });
  await secret.waitFor({ timeout: 20_000 });
  expect(await secret.locator(".Timeline_messageSender").innerText()).toBe("carol");
  await shot("7-decrypted");
}, 60_000);
