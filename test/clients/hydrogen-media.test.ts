// Hydrogen (hydrogen-view-sdk in headless Chromium) sends a picture through its own UI: Alice picks
// a file with "Send picture", Hydrogen uploads it (and a thumbnail) to our media repository, and the
// picture appears, loaded, in Bob's timeline in a second Hydrogen, which fetches it through the
// authenticated media endpoints (its service worker adds the token). Screenshots of both sides are
// saved under test-artifacts/.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { enc } from "../helpers/as-user";
import { api } from "../helpers/client";
import { chromiumPath, launchBrowser, type Browser } from "../helpers/browser";
import { freePort } from "../helpers/federation";
import { startServer, type TestServer } from "../helpers/server";
import { addUser, type TestUser } from "../helpers/users";
import { servePage, type PageServer } from "./hydrogen/page-server";

const artifacts = join(import.meta.dir, "..", "..", "test-artifacts");
const password = "hydrogen password";
const picture = join(import.meta.dir, "..", "fixtures", "media", "photo.jpg");

let server: TestServer;
let pageServer: PageServer;
const browsers: Browser[] = [];
let alice: TestUser;
let bob: TestUser;
let withOlm = false;

/** A Hydrogen of its own (own browser profile), logged in as `user` with the room open. */
async function hydrogenAs(user: string): Promise<Page> {
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = await browser.context.newPage();
  if (process.env.MEDIA_DEBUG) {
    page.on("console", (m) => console.log(`${user} console:`, m.text()));
    page.on("pageerror", (e) => console.log(`${user} pageerror:`, e.message));
    page.on("requestfailed", (r) => console.log(`${user} requestfailed:`, r.url(), r.failure()?.errorText));
  }
  await page.goto(`${pageServer.url}/?hs=${enc(server.baseUrl)}${withOlm ? "&olm=1" : ""}`);
  await page.waitForSelector("#username", { timeout: 15_000 });
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  const tile = page.locator(".RoomList a", { hasText: "Pictures" });
  await tile.waitFor({ timeout: 30_000 });
  await tile.click();
  await page.locator(".MessageComposer").waitFor({ timeout: 10_000 });
  return page;
}

beforeAll(async () => {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  mkdirSync(artifacts, { recursive: true });
  const port = freePort();
  server = await startServer({ env: { CONDUIT_PORT: String(port), CONDUIT_WELL_KNOWN_CLIENT: `http://127.0.0.1:${port}` } });
  alice = await addUser(server, "alice", password);
  bob = await addUser(server, "bob", password);
  const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat", name: "Pictures" })).body.room_id;
  await bob.call("POST", `/join/${enc(roomId)}`, {});
  const upload = await api(server.baseUrl, "POST", "/_matrix/client/v3/keys/upload", { token: alice.session.access_token, body: {} });
  withOlm = upload.body.errcode !== "M_UNRECOGNIZED";
  pageServer = await servePage();
}, 60_000);

afterAll(async () => {
  if (process.env.MEDIA_DEBUG) console.log(server?.output.filter((l) => !l.includes("/sync")).join("\n"));
  for (const b of browsers) await b.close();
  pageServer?.stop();
  await server?.stop();
});

test("a picture sent from Hydrogen shows, loaded, in the other user's Hydrogen", async () => {
  const [alicePage, bobPage] = await Promise.all([hydrogenAs("alice"), hydrogenAs("bob")]);
  await alicePage.click(".MessageComposer button.sendFile");
  const [chooser] = await Promise.all([
    alicePage.waitForEvent("filechooser"),
    alicePage.locator(".menu button, .menu li", { hasText: "Send picture" }).first().click(),
  ]);
  await chooser.setFiles(picture);
  await alicePage.locator(".Timeline_message .media img").first().waitFor({ timeout: 20_000 });
  await alicePage.screenshot({ path: join(artifacts, "hydrogen-media-1-sent.png") });

  const image = bobPage.locator(".Timeline_message .media img").first();
  await image.waitFor({ timeout: 20_000 });
  // Loaded means fetched and decoded: the browser knows its pixel size.
  type Img = { complete: boolean; naturalWidth: number; naturalHeight: number };
  await bobPage.waitForFunction((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0, await image.elementHandle(), { timeout: 20_000 });
  const natural = await image.evaluate((el) => [(el as unknown as Img).naturalWidth, (el as unknown as Img).naturalHeight]);
  expect(natural[0]).toBeGreaterThan(0);
  expect(natural[1]).toBeGreaterThan(0);
  expect(await image.getAttribute("src")).toContain("/_matrix/client/v1/media/thumbnail/localhost/");
  await bobPage.screenshot({ path: join(artifacts, "hydrogen-media-2-received.png") });
}, 120_000);
