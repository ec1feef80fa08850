// Media between Synapse and our server, both ways, over federation on loopback TLS: a picture
// uploaded to Synapse is fetched by our server (federation media download, multipart/mixed) and
// served and thumbnailed to our user; a picture uploaded here is fetched by Synapse from our
// federation media endpoint and served to its user through its authenticated endpoint.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readImageHeader } from "../../src/core/media/image-header";
import type { Session } from "../helpers/client";
import type { FederatedServer } from "../helpers/federation";
import { interopPair, synapseVersion } from "./pair";
import type { Synapse, SynapseUser } from "./synapse";

const fixture = (name: string) => Bun.file(join(import.meta.dir, "../fixtures/media", name)).bytes();

describe.skipIf(!synapseVersion)(`media with Synapse ${synapseVersion ?? ""}`, () => {
  const pair = interopPair();
  let synapse: Synapse;
  let ours: FederatedServer;
  let bob: SynapseUser;
  let alice: Session;
  beforeAll(() => ({ synapse, ours, bob, alice } = pair));

  test("Synapse's media reaches our user: downloaded over federation, thumbnailed here", async () => {
    const jpeg = await fixture("photo.jpg");
    const up = await synapse.fetch("/_matrix/media/v3/upload?filename=from-synapse.jpg", {
      method: "POST",
      headers: { Authorization: `Bearer ${bob.access_token}`, "Content-Type": "image/jpeg" },
      body: jpeg,
    });
    expect(up.status).toBe(200);
    const mxc = ((await up.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
    expect(mxc.startsWith(`${synapse.serverName}/`)).toBe(true);
    const auth = { Authorization: `Bearer ${alice.access_token}` };
    const res = await ours.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(jpeg);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    expect(res.headers.get("content-disposition")).toContain("from-synapse.jpg");
    // Asked through the federation media endpoint (Synapse logs each request it served).
    expect(synapse.logLines(/\/_matrix\/federation\/v1\/media\/download\//).length).toBeGreaterThan(0);
    const thumb = await ours.fetch(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=crop`, { headers: auth });
    expect(thumb.status).toBe(200);
    expect(readImageHeader(new Uint8Array(await thumb.arrayBuffer()))).toMatchObject({ width: 32, height: 32 });
  }, 60_000);

  test("our media reaches Synapse's user: Synapse fetches it from our federation media endpoint", async () => {
    const png = await fixture("photo.png");
    const up = await ours.fetch("/_matrix/media/v3/upload?filename=from-conduit.png", {
      method: "POST",
      headers: { Authorization: `Bearer ${alice.access_token}`, "Content-Type": "image/png" },
      body: png,
    });
    expect(up.status).toBe(200);
    const mxc = ((await up.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
    const res = await synapse.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: { Authorization: `Bearer ${bob.access_token}` } });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    expect(res.headers.get("content-type")).toBe("image/png");
    // Synapse asked our federation endpoint, not the legacy one.
    const asked = ours.output.filter((l) => l.includes('"path":"/_matrix/federation/v1/media/download/'));
    expect(asked.some((l) => l.includes('"status":200'))).toBe(true);
    const thumb = await synapse.fetch(`/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=crop`, { headers: { Authorization: `Bearer ${bob.access_token}` } });
    expect(thumb.status).toBe(200);
  }, 60_000);
});
