// matrix-js-sdk uploads a picture and finds it through the authenticated media endpoints: the
// media config, the download URL it builds (with and without a file name), and a thumbnail URL,
// each fetched with the user's token as clients do; without the token they are refused.
import { expect, test } from "bun:test";
import { join } from "node:path";
import { createClient } from "matrix-js-sdk";
import type { Logger } from "matrix-js-sdk/lib/logger.js";
import { readImageHeader } from "../../src/core/media/image-header";
import { registerUser } from "../helpers/client";
import { serverForTests } from "../helpers/server";

const quiet: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, getChild: () => quiet };
const server = serverForTests();

test("uploadContent, then authenticated download and thumbnail of what it uploaded", async () => {
  const session = await registerUser(server.baseUrl, "sdkmedia");
  const sdk = createClient({ baseUrl: server.baseUrl, accessToken: session.access_token, userId: session.user_id, logger: quiet });
  const png = await Bun.file(join(import.meta.dir, "../fixtures/media/photo.png")).bytes();

  const config = await sdk.getMediaConfig(true);
  expect(config["m.upload.size"]).toBeGreaterThan(png.length);
  const { content_uri } = await sdk.uploadContent(new Blob([png], { type: "image/png" }), { name: "photo.png", type: "image/png" });
  expect(content_uri).toStartWith("mxc://localhost/");

  const auth = { Authorization: `Bearer ${session.access_token}` };
  const download = sdk.mxcUrlToHttp(content_uri, undefined, undefined, undefined, false, true, true)!;
  expect(download).toContain("/_matrix/client/v1/media/download/");
  const res = await fetch(download, { headers: auth });
  expect(res.status).toBe(200);
  expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("content-disposition")).toBe('inline; filename="photo.png"');
  expect((await fetch(download)).status).toBe(401);

  const thumbnail = sdk.mxcUrlToHttp(content_uri, 32, 32, "crop", false, true, true)!;
  expect(thumbnail).toContain("/_matrix/client/v1/media/thumbnail/");
  const thumb = await fetch(thumbnail, { headers: auth });
  expect(thumb.status).toBe(200);
  expect(readImageHeader(new Uint8Array(await thumb.arrayBuffer()))).toMatchObject({ format: "png", width: 32, height: 32 });
}, 60_000);
