// Interoperability with the reference homeserver: a real Synapse and our server on loopback, both
// over TLS with a test CA, server names `127.0.0.1:PORT`. Run with `bun run interop` after
// `scripts/synapse/install.sh`; without Synapse the whole file is skipped (it is never part of
// `bun test`: bunfig.toml ignores test/interop/ unless asked for it).
//
// `ours` is the real server process; `probe` is our server built inside the test process, so a
// test can drive its federation client and sender directly where no client API triggers them yet.
// Tests marked `test.failing` name the finding that makes them fail; when it is fixed they start
// "failing" (i.e. passing) and the marker must go.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { decodeBase64, verifyJsonSignature, type JsonObject } from "../../src/core";
import { RemoteError } from "../../src/services/federation/client";
import { api, registerUser, trustTestCa, type Session } from "../helpers/client";
import { startFederatedServer, startInProcessServer, type FederatedServer, type InProcessServer } from "../helpers/federation";
import { createTestCa, type TestCa } from "../helpers/tls";
import { installedSynapseVersion, startSynapse, type Synapse, type SynapseUser } from "./synapse";

const synapseVersion = installedSynapseVersion();
if (!synapseVersion) {
  console.warn("Synapse interop tests skipped: Synapse is not installed. Run scripts/synapse/install.sh, then bun run interop.");
}

/** Polls `check` until it returns a value (not undefined), or fails naming `what` and the last value seen. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `; last error: ${String(last)}` : ""}`);
    await Bun.sleep(250);
  }
}

/**
 * The body of a `test.failing` test: runs it and, when it fails, prints the finding and how it
 * failed (bun hides the errors of expected failures), so each run records the current state.
 */
function failsWith(finding: string, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } catch (e) {
      const detail = (e instanceof Error ? e.message : String(e)).split("\n").filter((l) => l.trim() !== "").slice(0, 14);
      console.log(`[finding] ${finding}\n    failed with: ${detail.join("\n    ")}`);
      throw e;
    }
  };
}

const nonce = () => randomBytes(6).toString("hex");
const encode = encodeURIComponent;

function ownKeysVerify(doc: JsonObject, serverName: string): boolean {
  const keys = doc.verify_keys as Record<string, { key: string }>;
  return Object.keys(keys).length > 0 && Object.entries(keys).every(([id, k]) => verifyJsonSignature(doc, serverName, id, decodeBase64(k.key)));
}

describe.skipIf(!synapseVersion)(`Synapse ${synapseVersion ?? ""}`, () => {
  let ca: TestCa;
  let synapse: Synapse;
  let ours: FederatedServer;
  let probe: InProcessServer;
  let bob: SynapseUser;
  let alice: Session;

  beforeAll(async () => {
    ca = createTestCa();
    const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
    trustTestCa(ca.caCert);
    [synapse, ours, probe] = await Promise.all([startSynapse(setup), startFederatedServer(setup), startInProcessServer(setup)]);
    [bob, alice] = await Promise.all([synapse.registerUser("bob"), registerUser(ours.baseUrl, "alice")]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([synapse?.stop(), ours?.stop(), probe?.close()]);
    ca?.remove();
  }, 30_000);

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
        probe.services.federation.sender.onEvent((e) => e.type === "sent" && e.destination === synapse.serverName && resolve()),
      );
      const since = (await synapse.api("GET", "/_matrix/client/v3/sync?timeout=0", { token: bob.access_token })).body.next_batch as string;
      const marker = nonce();
      probe.services.federation.sender.queueEdu([synapse.serverName], {
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

    // Finding: we answer no /_matrix/federation/v1/user/keys/query, so remote users cannot get our
    // users' device keys (no end-to-end encryption across servers).
    test.failing("Synapse queries our user's device keys", failsWith("no federation user/keys/query", async () => {
      const res = await synapse.api("POST", "/_matrix/client/v3/keys/query", {
        token: bob.access_token,
        body: { device_keys: { [alice.user_id]: [] } },
      });
      expect(res.status).toBe(200);
      // Synapse reports a server it could not ask under `failures`, with that server's status.
      expect(res.body.failures).toEqual({});
      expect((res.body.device_keys as JsonObject)[alice.user_id]).toBeDefined();
    }));
  });

  describe("rooms", () => {
    /** Client-API helpers for each side, returning status and body. */
    const onSynapse = (method: string, path: string, body?: unknown) =>
      synapse.api(method, `/_matrix/client/v3${path}`, { token: bob.access_token, body });
    const onOurs = (method: string, path: string, body?: unknown) =>
      api(ours.baseUrl, method, `/_matrix/client/v3${path}`, { token: alice.access_token, body });

    const synapseRoom = async (extra: JsonObject = {}): Promise<string> => {
      const res = await onSynapse("POST", "/createRoom", { preset: "public_chat", name: `interop ${nonce()}`, ...extra });
      expect(res).toMatchObject({ status: 200 });
      return res.body.room_id as string;
    };
    const ourRoom = async (extra: JsonObject = {}): Promise<string> => {
      const res = await onOurs("POST", "/createRoom", { preset: "public_chat", name: `interop ${nonce()}`, ...extra });
      expect(res).toMatchObject({ status: 200 });
      return res.body.room_id as string;
    };

    const joinedOnSynapse = (roomId: string, userId: string) =>
      waitFor(`${userId} joined in Synapse's view of ${roomId}`, async () => {
        const res = await onSynapse("GET", `/rooms/${encode(roomId)}/joined_members`);
        return (res.body.joined as Record<string, unknown> | undefined)?.[userId];
      });
    const joinedOnOurs = (roomId: string, userId: string) =>
      waitFor(`${userId} joined in our view of ${roomId}`, async () => {
        const res = await onOurs("GET", `/rooms/${encode(roomId)}/joined_members`);
        return (res.body.joined as Record<string, unknown> | undefined)?.[userId];
      });

    /** Alice joins a room of Synapse's through /join with `via`; resolves once Synapse sees her joined. */
    async function aliceJoins(roomId: string): Promise<void> {
      const join = await onOurs("POST", `/join/${encode(roomId)}?via=${encode(synapse.serverName)}`, {});
      expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnSynapse(roomId, alice.user_id);
    }

    /** Bob sends a text; returns its event id. */
    async function bobSays(roomId: string, body: string): Promise<string> {
      const sent = await onSynapse("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body });
      expect(sent).toMatchObject({ status: 200 });
      return sent.body.event_id as string;
    }

    /** Waits until `side` can read `eventId` in `roomId`. */
    const eventArrives = (side: "ours" | "synapse", roomId: string, eventId: string) =>
      waitFor(`${eventId} on ${side === "ours" ? "our side" : "Synapse"}`, async () => {
        const res = await (side === "ours" ? onOurs : onSynapse)("GET", `/rooms/${encode(roomId)}/event/${encode(eventId)}`);
        return res.status === 200 ? true : undefined;
      });

    /** Waits until `side`'s state of `roomId` has `userId` with `membership`. */
    const membershipOn = (side: "ours" | "synapse", roomId: string, userId: string, membership: string) =>
      waitFor(`${userId} ${membership} in ${side === "ours" ? "our" : "Synapse's"} view of ${roomId}`, async () => {
        const get = side === "ours" ? onOurs : onSynapse;
        const res = await get("GET", `/rooms/${encode(roomId)}/state/m.room.member/${encode(userId)}`);
        return res.body.membership === membership ? true : undefined;
      });

    /** Bob joins one of our rooms through Synapse; resolves once we see him joined. */
    async function bobJoinsOurs(roomId: string): Promise<void> {
      const join = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(ours.serverName)}&via=${encode(ours.serverName)}`, {});
      expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnOurs(roomId, bob.user_id);
    }

    /** Waits until `side`'s /sync lists `roomId` under `section` (invite, join, leave, knock). */
    async function roomInSync(side: "ours" | "synapse", section: string, roomId: string): Promise<void> {
      const get = side === "ours" ? onOurs : onSynapse;
      let since: string | undefined;
      await waitFor(`${roomId} under rooms.${section} in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
        const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
        since = res.body.next_batch as string;
        return ((res.body.rooms as JsonObject | undefined)?.[section] as Record<string, unknown> | undefined)?.[roomId] !== undefined
          ? true
          : undefined;
      });
    }

    /** Sends a text on one side and waits until the other side's /messages has it. */
    async function messageCrosses(roomId: string, from: "ours" | "synapse"): Promise<void> {
      const text = `from ${from} ${nonce()}`;
      const send = from === "ours" ? onOurs : onSynapse;
      const sent = await send("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: text });
      expect(sent).toMatchObject({ status: 200 });
      const read = from === "ours" ? onSynapse : onOurs;
      await waitFor(`the message ${from === "ours" ? "we" : "Synapse"} sent in the other side's /messages`, async () => {
        const res = await read("GET", `/rooms/${encode(roomId)}/messages?dir=b&limit=20`);
        return (res.body.chunk as JsonObject[] | undefined)?.find((e) => e.event_id === sent.body.event_id);
      });
    }

    /** The typing user ids in `roomId` from one /sync after `since` (long-polled); undefined: no news. */
    async function typingOn(side: "ours" | "synapse", roomId: string, since: string | undefined) {
      const get = side === "ours" ? onOurs : onSynapse;
      const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
      const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
      const typing = ((room?.ephemeral as { events?: JsonObject[] } | undefined)?.events ?? []).find((e) => e.type === "m.typing");
      const userIds = (typing?.content as { user_ids?: string[] } | undefined)?.user_ids;
      // An initial sync may leave out m.typing when nobody types; an incremental one leaves it out
      // when nothing changed.
      return { next: res.body.next_batch as string, userIds: userIds ?? (since === undefined ? [] : undefined) };
    }

    /** Waits until `side`'s /sync reports `expected` as the room's typing users. */
    async function typingSeen(side: "ours" | "synapse", roomId: string, expected: string[]): Promise<void> {
      let since: string | undefined;
      await waitFor(`typing ${JSON.stringify(expected)} in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
        const { next, userIds } = await typingOn(side, roomId, since);
        since = next;
        return userIds !== undefined && JSON.stringify([...userIds].sort()) === JSON.stringify(expected) ? true : undefined;
      });
    }

    /** Waits until `side`'s /sync shows `userId`'s m.read receipt on `eventId`. */
    async function receiptSeen(side: "ours" | "synapse", roomId: string, eventId: string, userId: string): Promise<void> {
      const get = side === "ours" ? onOurs : onSynapse;
      let since: string | undefined;
      await waitFor(`${userId}'s receipt in ${side === "ours" ? "our" : "Synapse's"} /sync`, async () => {
        const res = await get("GET", `/sync?timeout=2000${since ? `&since=${encode(since)}` : ""}`);
        since = res.body.next_batch as string;
        const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
        const events = ((room?.ephemeral as { events?: JsonObject[] } | undefined)?.events ?? []) as JsonObject[];
        const receipts = events.filter((e) => e.type === "m.receipt").map((e) => e.content as Record<string, JsonObject>);
        return receipts.some((c) => ((c[eventId]?.["m.read"] as JsonObject | undefined)?.[userId]) !== undefined) ? true : undefined;
      });
    }

    const setTyping = (side: "ours" | "synapse", roomId: string, typing: boolean) => {
      const [call, userId] = side === "ours" ? [onOurs, alice.user_id] : [onSynapse, bob.user_id];
      return call("PUT", `/rooms/${encode(roomId)}/typing/${encode(userId)}`, typing ? { typing, timeout: 30_000 } : { typing });
    };

    test("our user joins a Synapse room through /join with via; messages cross both ways", async () => {
      const roomId = await synapseRoom();
      const join = await onOurs("POST", `/join/${encode(roomId)}?via=${encode(synapse.serverName)}`, {});
      expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnSynapse(roomId, alice.user_id);
      await messageCrosses(roomId, "synapse");
      await messageCrosses(roomId, "ours");
    });

    test("typing starts and stops, seen on both sides", async () => {
      const roomId = await synapseRoom();
      const join = await onOurs("POST", `/join/${encode(roomId)}?via=${encode(synapse.serverName)}`, {});
      expect(join).toMatchObject({ status: 200 });
      await joinedOnSynapse(roomId, alice.user_id);
      expect(await setTyping("ours", roomId, true)).toMatchObject({ status: 200 });
      await typingSeen("synapse", roomId, [alice.user_id]);
      expect(await setTyping("ours", roomId, false)).toMatchObject({ status: 200 });
      await typingSeen("synapse", roomId, []);
      expect(await setTyping("synapse", roomId, true)).toMatchObject({ status: 200 });
      await typingSeen("ours", roomId, [bob.user_id]);
      expect(await setTyping("synapse", roomId, false)).toMatchObject({ status: 200 });
      await typingSeen("ours", roomId, []);
    });

    test("a Synapse user invites our user, who sees the invite and joins", async () => {
      const roomId = await synapseRoom();
      const invite = await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id });
      expect(invite).toMatchObject({ status: 200 });
      await waitFor("the invite in our /sync", async () => {
        const res = await onOurs("GET", "/sync?timeout=1000");
        return ((res.body.rooms as JsonObject | undefined)?.invite as Record<string, unknown> | undefined)?.[roomId];
      });
      const join = await onOurs("POST", `/join/${encode(roomId)}`, {});
      expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnSynapse(roomId, alice.user_id);
      await messageCrosses(roomId, "ours");
    });

    describe.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("our room of version %s", (roomVersion) => {
      test("a Synapse user joins it; messages cross both ways", async () => {
        const roomId = await ourRoom({ room_version: roomVersion });
        const join = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(ours.serverName)}&via=${encode(ours.serverName)}`, {});
        expect(join).toMatchObject({ status: 200, body: { room_id: roomId } });
        await joinedOnOurs(roomId, bob.user_id);
        await messageCrosses(roomId, "ours");
        await messageCrosses(roomId, "synapse");
      });
    });

    test("read receipts cross both ways", async () => {
      const roomId = await synapseRoom();
      await aliceJoins(roomId);
      const fromBob = await bobSays(roomId, "read me");
      await eventArrives("ours", roomId, fromBob);
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/receipt/m.read/${encode(fromBob)}`, {})).toMatchObject({ status: 200 });
      await receiptSeen("synapse", roomId, fromBob, alice.user_id);
      const sent = await onOurs("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: "read me too" });
      expect(sent).toMatchObject({ status: 200 });
      const fromAlice = sent.body.event_id as string;
      await eventArrives("synapse", roomId, fromAlice);
      expect(await onSynapse("POST", `/rooms/${encode(roomId)}/receipt/m.read/${encode(fromAlice)}`, {})).toMatchObject({ status: 200 });
      await receiptSeen("ours", roomId, fromAlice, bob.user_id);
    });

    test("redactions cross both ways", async () => {
      const roomId = await synapseRoom();
      await aliceJoins(roomId);
      const fromBob = await bobSays(roomId, "to be redacted by bob");
      const redactedOn = async (side: "ours" | "synapse", eventId: string) =>
        waitFor(`${eventId} redacted on ${side === "ours" ? "our side" : "Synapse"}`, async () => {
          const res = await (side === "ours" ? onOurs : onSynapse)("GET", `/rooms/${encode(roomId)}/event/${encode(eventId)}`);
          const unsigned = res.body.unsigned as JsonObject | undefined;
          return res.status === 200 && unsigned?.redacted_because !== undefined && Object.keys(res.body.content as object).length === 0
            ? true
            : undefined;
        });
      await eventArrives("ours", roomId, fromBob);
      expect(await onSynapse("PUT", `/rooms/${encode(roomId)}/redact/${encode(fromBob)}/${nonce()}`, { reason: "interop" })).toMatchObject({ status: 200 });
      await redactedOn("ours", fromBob);
      const sent = await onOurs("PUT", `/rooms/${encode(roomId)}/send/m.room.message/${nonce()}`, { msgtype: "m.text", body: "to be redacted by alice" });
      expect(sent).toMatchObject({ status: 200 });
      const fromAlice = sent.body.event_id as string;
      expect(await onOurs("PUT", `/rooms/${encode(roomId)}/redact/${encode(fromAlice)}/${nonce()}`, { reason: "interop" })).toMatchObject({ status: 200 });
      await redactedOn("synapse", fromAlice);
    });

    // Finding (room versions 1 and 2): Synapse refers to events it created in one batch (the room's
    // initial state) as `[event_id, {}]`, without the sha256 hash; core/events/pdu-format.ts
    // (checkRefs) requires the hash, so the join_rules and history_visibility events of the
    // send_join answer are refused, the state has no join rule, and our join is refused
    // (403 "join rule is invite") after Synapse has already accepted it.
    const versionFindings: Record<string, string> = {
      "1": "v1 event references without a hash (`[id, {}]`) are refused",
      "2": "v1 event references without a hash (`[id, {}]`) are refused",
    };
    describe.each(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"])("room version %s", (roomVersion) => {
      const name = "our user joins a Synapse room; messages cross both ways";
      const body = async () => {
        const roomId = await synapseRoom({ room_version: roomVersion });
        await aliceJoins(roomId);
        await messageCrosses(roomId, "ours");
        await messageCrosses(roomId, "synapse");
      };
      const finding = versionFindings[roomVersion];
      if (finding) test.failing(name, failsWith(`room v${roomVersion}: ${finding}`, body));
      else test(name, body);
    });

    // Finding: Synapse signs the invite and returns it, but we call it unsigned (502 "returned an
    // invite it did not sign"): services/federation/remote-membership.ts (invite) verifies
    // Synapse's signature on the checked event, which carries the `event_id` the checker attached;
    // redaction keeps `event_id`, so the signed form differs from what Synapse signed (it verifies
    // without `event_id`, as Synapse's own signedjson confirms).
    test.failing("our user invites a Synapse user to our room; the invite reaches Synapse and they join", failsWith("our check of the invitee's signature includes event_id", async () => {
      const roomId = await ourRoom({ preset: "private_chat" });
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/invite`, { user_id: bob.user_id })).toMatchObject({ status: 200 });
      await roomInSync("synapse", "invite", roomId);
      expect(await onSynapse("POST", `/join/${encode(roomId)}`, {})).toMatchObject({ status: 200 });
      await joinedOnOurs(roomId, bob.user_id);
      await messageCrosses(roomId, "synapse");
    }));

    test("our user rejects a Synapse user's invite (a leave through make_leave/send_leave)", async () => {
      const roomId = await synapseRoom({ preset: "private_chat" });
      expect(await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
      await roomInSync("ours", "invite", roomId);
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/leave`, {})).toMatchObject({ status: 200 });
      await membershipOn("synapse", roomId, alice.user_id, "leave");
    });

    test("our user knocks on a Synapse room, is invited after the knock, and joins", async () => {
      const roomId = await synapseRoom({
        preset: "private_chat",
        initial_state: [{ type: "m.room.join_rules", state_key: "", content: { join_rule: "knock" } }],
      });
      const knock = await onOurs("POST", `/knock/${encode(roomId)}?via=${encode(synapse.serverName)}`, { reason: "let me in" });
      expect(knock).toMatchObject({ status: 200, body: { room_id: roomId } });
      await membershipOn("synapse", roomId, alice.user_id, "knock");
      expect(await onSynapse("POST", `/rooms/${encode(roomId)}/invite`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
      await roomInSync("ours", "invite", roomId);
      expect(await onOurs("POST", `/join/${encode(roomId)}?via=${encode(synapse.serverName)}`, {})).toMatchObject({ status: 200 });
      await joinedOnSynapse(roomId, alice.user_id);
    });

    test("our user kicks, then bans, a Synapse user from our room", async () => {
      const roomId = await ourRoom();
      await bobJoinsOurs(roomId);
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/kick`, { user_id: bob.user_id, reason: "interop" })).toMatchObject({ status: 200 });
      await roomInSync("synapse", "leave", roomId);
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/ban`, { user_id: bob.user_id })).toMatchObject({ status: 200 });
      await waitFor("Synapse refusing bob's join to a room that banned him", async () => {
        const res = await onSynapse("POST", `/join/${encode(roomId)}?server_name=${encode(ours.serverName)}`, {});
        return res.status === 403 ? true : undefined;
      });
    });

    test("a Synapse user kicks our user from their room", async () => {
      const roomId = await synapseRoom();
      await aliceJoins(roomId);
      expect(await onSynapse("POST", `/rooms/${encode(roomId)}/kick`, { user_id: alice.user_id })).toMatchObject({ status: 200 });
      await roomInSync("ours", "leave", roomId);
    });

    test("presence crosses both ways between users who share a room", async () => {
      const roomId = await synapseRoom();
      await aliceJoins(roomId);
      const bobStatus = `bob ${nonce()}`;
      expect(await onSynapse("PUT", `/presence/${encode(bob.user_id)}/status`, { presence: "online", status_msg: bobStatus })).toMatchObject({
        status: 200,
      });
      await waitFor("bob's presence on our side", async () => {
        const res = await onOurs("GET", `/presence/${encode(bob.user_id)}/status`);
        return res.body.status_msg === bobStatus ? true : undefined;
      });
      const aliceStatus = `alice ${nonce()}`;
      expect(await onOurs("PUT", `/presence/${encode(alice.user_id)}/status`, { presence: "online", status_msg: aliceStatus })).toMatchObject({
        status: 200,
      });
      await waitFor("alice's presence on Synapse", async () => {
        const res = await onSynapse("GET", `/presence/${encode(alice.user_id)}/status`);
        return res.body.status_msg === aliceStatus ? true : undefined;
      });
    });

    test("our user joins a Synapse room by its alias", async () => {
      const localpart = `interop-${nonce()}`;
      const roomId = await synapseRoom({ room_alias_name: localpart });
      const alias = `#${localpart}:${synapse.serverName}`;
      const resolved = await onOurs("GET", `/directory/room/${encode(alias)}`);
      expect(resolved).toMatchObject({ status: 200, body: { room_id: roomId, servers: expect.arrayContaining([synapse.serverName]) } });
      expect(await onOurs("POST", `/join/${encode(alias)}`, {})).toMatchObject({ status: 200, body: { room_id: roomId } });
      await joinedOnSynapse(roomId, alice.user_id);
    });

    // Finding: our GET /profile/{userId} does not ask the user's server (no outbound
    // query/profile): 404 M_NOT_FOUND "Profile not found" for a Synapse user.
    test.failing("our user reads a Synapse user's profile", failsWith("remote profiles are not fetched", async () => {
      const res = await onOurs("GET", `/profile/${encode(bob.user_id)}`);
      expect(res).toMatchObject({ status: 200, body: { displayname: "bob" } });
    }));

    test("our user pages back through history from before the join (backfill)", async () => {
      const roomId = await synapseRoom();
      const first = await bobSays(roomId, "the first message");
      for (let i = 0; i < 40; i++) await bobSays(roomId, `filler ${i}`);
      await aliceJoins(roomId);
      const seen: string[] = [];
      let from: string | undefined;
      for (let page = 0; page < 10 && !seen.includes(first); page++) {
        const res = await onOurs("GET", `/rooms/${encode(roomId)}/messages?dir=b&limit=20${from ? `&from=${encode(from)}` : ""}`);
        expect(res.status).toBe(200);
        seen.push(...((res.body.chunk as JsonObject[]) ?? []).map((e) => e.event_id as string));
        from = res.body.end as string | undefined;
        if (!from) break;
      }
      expect(seen).toContain(first);
    });

    test("state changes and leaves cross: Synapse renames the room, our user sees it in /sync and leaves", async () => {
      const roomId = await synapseRoom();
      await aliceJoins(roomId);
      const since = (await onOurs("GET", "/sync?timeout=0")).body.next_batch as string;
      const name = `renamed ${nonce()}`;
      expect(await onSynapse("PUT", `/rooms/${encode(roomId)}/state/m.room.name`, { name })).toMatchObject({ status: 200 });
      await waitFor("the new name in our /sync", async () => {
        const res = await onOurs("GET", `/sync?timeout=2000&since=${encode(since)}`);
        const room = ((res.body.rooms as JsonObject | undefined)?.join as Record<string, JsonObject> | undefined)?.[roomId];
        const events = ((room?.timeline as { events?: JsonObject[] } | undefined)?.events ?? []) as JsonObject[];
        return events.find((e) => e.type === "m.room.name" && (e.content as JsonObject).name === name);
      });
      const state = await onOurs("GET", `/rooms/${encode(roomId)}/state/m.room.name`);
      expect(state).toMatchObject({ status: 200, body: { name } });
      expect(await onOurs("POST", `/rooms/${encode(roomId)}/leave`, {})).toMatchObject({ status: 200 });
      await waitFor("alice's leave in Synapse's view", async () => {
        const res = await onSynapse("GET", `/rooms/${encode(roomId)}/state/m.room.member/${encode(alice.user_id)}`);
        return res.body.membership === "leave" ? true : undefined;
      });
    });
  });
});
