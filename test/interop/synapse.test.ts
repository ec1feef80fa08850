// Interoperability with the reference homeserver, below rooms: a real Synapse and our server on
// loopback, both over TLS with a test CA, server names `127.0.0.1:PORT`: server keys, signed
// requests, transactions and queries, both ways. Run with
// `bun run interop` after `scripts/synapse/install.sh`; without Synapse the file is skipped (it is
// never part of `bun test`: bunfig.toml ignores test/interop/ unless asked for it). Tests marked
// `test.failing` name the finding that makes them fail; when it is fixed bun reports them as
// passing unexpectedly, and the marker must go.
import { beforeAll, describe, expect, test } from "bun:test";
import { decodeBase64, verifyJsonSignature, type JsonObject } from "../../src/core";
import { RemoteError } from "../../src/net/federation-client";
import { api, type Session } from "../helpers/client";
import { startInProcessServer, type FederatedServer, type InProcessServer } from "../helpers/federation";
import { createTestCa } from "../helpers/tls";
import { encode, interopPair, nonce, synapseVersion, waitFor } from "./pair";
import type { Synapse, SynapseUser } from "./synapse";

function ownKeysVerify(doc: JsonObject, serverName: string): boolean {
  const keys = doc.verify_keys as Record<string, { key: string }>;
  return Object.keys(keys).length > 0 && Object.entries(keys).every(([id, k]) => verifyJsonSignature(doc, serverName, id, decodeBase64(k.key)));
}

describe.skipIf(!synapseVersion)(`Synapse ${synapseVersion ?? ""}`, () => {
  const pair = interopPair();
  let synapse: Synapse;
  let ours: FederatedServer;
  let probe: InProcessServer;
  let bob: SynapseUser;
  let alice: Session;
  beforeAll(() => ({ synapse, ours, probe, bob, alice } = pair));

  /** Our server's request log lines for `method` on paths starting with `prefix`. */
  const ourRequests = (method: string, prefix: string) =>
    ours.output.filter((line) => line.includes(`"method":"${method}"`) && line.includes(`"path":"${prefix}`));

  describe("server keys", () => {
    test("Synapse fetches our key documents and countersigns them as a notary", async () => {
      // Synapse's notary fetches from the origin only for named key ids with a minimum validity.
      const criteria: Record<string, Record<string, { minimum_valid_until_ts: number }>> = {};
      const published = new Map<string, JsonObject>();
      for (const server of [ours, probe]) {
        const own = (await (await server.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
        published.set(server.serverName, own);
        criteria[server.serverName] = Object.fromEntries(
          Object.keys(own.verify_keys as object).map((id) => [id, { minimum_valid_until_ts: Date.now() }]),
        );
      }
      const res = await synapse.api("POST", "/_matrix/key/v2/query", { body: { server_keys: criteria } });
      expect(res).toMatchObject({ status: 200 });
      const docs = res.body.server_keys as JsonObject[];
      expect(docs.map((d) => d.server_name).sort()).toEqual([...published.keys()].sort());
      for (const doc of docs) {
        const serverName = doc.server_name as string;
        expect(doc.verify_keys).toEqual(published.get(serverName)!.verify_keys);
        expect(ownKeysVerify(doc, serverName)).toBe(true);
        expect(verifyJsonSignature(doc, synapse.serverName, synapse.keyId, decodeBase64(synapse.publicKey))).toBe(true);
      }
      // Now cached, the document is also what a GET for all of our keys answers.
      const cached = await synapse.api("GET", `/_matrix/key/v2/query/${encode(ours.serverName)}`);
      expect((cached.body.server_keys as JsonObject[]).map((d) => d.verify_keys)).toEqual([published.get(ours.serverName)!.verify_keys]);
    });

    test("Synapse checks certificates: a server whose CA it does not trust gets no keys fetched", async () => {
      const otherCa = createTestCa();
      const stranger = await startInProcessServer({ ca: otherCa, cert: otherCa.issue("localhost", ["127.0.0.1", "localhost"]) });
      try {
        const own = (await (await stranger.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
        const keyId = Object.keys(own.verify_keys as object)[0]!;
        const res = await synapse.api("POST", "/_matrix/key/v2/query", {
          body: { server_keys: { [stranger.serverName]: { [keyId]: { minimum_valid_until_ts: Date.now() } } } },
        });
        expect(res).toMatchObject({ status: 200, body: { server_keys: [] } });
        expect(synapse.logLines(new RegExp(`${stranger.serverName}.*certificate verify failed`)).length).toBeGreaterThan(0);
      } finally {
        await stranger.close();
        otherCa.remove();
      }
    });

    test("we fetch Synapse's key document and countersign it as a notary", async () => {
      const own = (await (await ours.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
      const [ourKeyId, ourKey] = Object.entries(own.verify_keys as Record<string, { key: string }>)[0]!;
      const res = await api<{ server_keys: JsonObject[] }>(ours.baseUrl, "GET", `/_matrix/key/v2/query/${encode(synapse.serverName)}`);
      expect(res.status).toBe(200);
      expect(res.body.server_keys).toHaveLength(1);
      const doc = res.body.server_keys[0]!;
      expect(doc.server_name).toBe(synapse.serverName);
      expect(doc.verify_keys).toEqual({ [synapse.keyId]: { key: synapse.publicKey } });
      expect(ownKeysVerify(doc, synapse.serverName)).toBe(true);
      expect(verifyJsonSignature(doc, ours.serverName, ourKeyId, decodeBase64(ourKey.key))).toBe(true);
    });
  });

  describe("signed requests", () => {
    test("Synapse's /version answers our client", async () => {
      const version = await probe.services.federation.client.request(synapse.serverName, {
        method: "GET",
        path: "/_matrix/federation/v1/version",
      });
      expect(version).toMatchObject({ server: { name: "Synapse", version: expect.stringContaining(synapseVersion!) } });
    });

    test("Synapse accepts our X-Matrix signature: a profile query about its user", async () => {
      const path = `/_matrix/federation/v1/query/profile?user_id=${encode(bob.user_id)}&field=displayname`;
      expect(await probe.services.federation.client.request(synapse.serverName, { method: "GET", path })).toEqual({ displayname: "bob" });
      // An unknown user is an answer about the user, so the request itself was authenticated.
      const unknown = `/_matrix/federation/v1/query/profile?user_id=${encode(`@nobody:${synapse.serverName}`)}`;
      const err = await probe.services.federation.client.request(synapse.serverName, { method: "GET", path: unknown }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect({ status: (err as RemoteError).status, errcode: (err as RemoteError).errcode }).toEqual({ status: 404, errcode: "M_NOT_FOUND" });
    });

    test("we accept Synapse's X-Matrix signature: its user looks up our user's profile", async () => {
      const set = await api(ours.baseUrl, "PUT", `/_matrix/client/v3/profile/${encode(alice.user_id)}/displayname`, {
        token: alice.access_token,
        body: { displayname: "Alice on conduit" },
      });
      expect(set.status).toBe(200);
      const res = await synapse.api("GET", `/_matrix/client/v3/profile/${encode(alice.user_id)}`, { token: bob.access_token });
      expect(res).toMatchObject({ status: 200, body: { displayname: "Alice on conduit" } });
      // Info log lines are written in batches: wait for the one about Synapse's request.
      await waitFor("Synapse's profile query in our request log", async () =>
        ourRequests("GET", "/_matrix/federation/v1/query/profile").find((l) => l.includes('"status":200')),
      );
    });

    test("Synapse relays our 404 for an unknown user's profile", async () => {
      const res = await synapse.api("GET", `/_matrix/client/v3/profile/${encode(`@nobody:${ours.serverName}`)}`, {
        token: bob.access_token,
      });
      expect(res).toMatchObject({ status: 404, body: { errcode: "M_NOT_FOUND" } });
    });
  });

  describe("transactions", () => {
    test("our sender delivers an EDU that Synapse accepts and hands to its user (to-device)", async () => {
      const sent = new Promise<void>((resolve) =>
        probe.sender.onEvent((e) => e.type === "sent" && e.destination === synapse.serverName && resolve()),
      );
      const since = (await synapse.api("GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.access_token })).body.next_batch as string;
      const marker = nonce();
      probe.sender.queueEdu([synapse.serverName], {
        edu_type: "m.direct_to_device",
        content: {
          sender: `@probe:${probe.serverName}`,
          type: "org.conduit.interop.ping",
          message_id: marker,
          messages: { [bob.user_id]: { "*": { marker } } },
        },
      });
      await sent;
      const event = await waitFor("the to-device message in bob's /sync", async () => {
        const res = await synapse.api("GET", `/_matrix/client/v3/sync?timeout=5000&since=${since}`, { token: bob.access_token });
        const events = ((res.body.to_device as { events?: JsonObject[] } | undefined)?.events ?? []) as JsonObject[];
        return events.find((e) => (e.content as JsonObject).marker === marker);
      });
      expect(event).toMatchObject({ sender: `@probe:${probe.serverName}`, type: "org.conduit.interop.ping" });
    });

    test("Synapse's transaction to us is accepted (a to-device message from its user)", async () => {
      const before = ourRequests("PUT", "/_matrix/federation/v1/send/").length;
      const res = await synapse.api("PUT", `/_matrix/client/v3/sendToDevice/org.conduit.interop.ping/${nonce()}`, {
        token: bob.access_token,
        body: { messages: { [alice.user_id]: { "*": { marker: nonce() } } } },
      });
      expect(res).toMatchObject({ status: 200 });
      const lines = await waitFor("a PUT /send from Synapse in our request log", async () => {
        const lines = ourRequests("PUT", "/_matrix/federation/v1/send/");
        return lines.length > before ? lines.slice(before) : undefined;
      });
      expect(lines.every((l) => l.includes('"status":200'))).toBe(true);
    });
  });

  describe("queries", () => {
    test("Synapse resolves our room alias", async () => {
      const localpart = `interop-${nonce()}`;
      const room = await api(ours.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
        token: alice.access_token,
        body: { room_alias_name: localpart },
      });
      expect(room.status).toBe(200);
      const alias = `#${localpart}:${ours.serverName}`;
      const res = await synapse.api("GET", `/_matrix/client/v3/directory/room/${encode(alias)}`, { token: bob.access_token });
      expect(res).toMatchObject({ status: 200, body: { room_id: room.body.room_id, servers: expect.arrayContaining([ours.serverName]) } });
    });

    test("Synapse lists our published rooms", async () => {
      const room = await api(ours.baseUrl, "POST", "/_matrix/client/v3/createRoom", {
        token: alice.access_token,
        body: { visibility: "public", preset: "public_chat", name: `directory ${nonce()}` },
      });
      expect(room.status).toBe(200);
      const res = await synapse.api("GET", `/_matrix/client/v3/publicRooms?server=${encode(ours.serverName)}`, { token: bob.access_token });
      expect(res).toMatchObject({ status: 200 });
      expect((res.body.chunk as JsonObject[]).map((r) => r.room_id)).toContain(room.body.room_id as string);
    });
  });
});
