// Keys and request authentication between real instances over TLS on loopback: the published key
// document, the notary (direct fetch, cache, countersignature, stale answers when the server is
// gone), X-Matrix signed requests from one instance to another (and every way to get them
// refused), keys fetched through trusted_servers, /version, and allow_federation = false.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeBase64,
  encodeBase64,
  generateSigningSeed,
  publicKeyFromSeed,
  signJson,
  verifyJsonSignature,
  type JsonObject,
} from "../../../../src/core";
import { RemoteError } from "../../../../src/net/federation-client";
import { signRequest } from "../../../../src/net/x-matrix";
import { createTestCa, type TestCa } from "../../../helpers/tls";
import { api, registerUser, trustTestCa } from "../../../helpers/client";
import {
  freePort,
  startFederatedServer,
  startInProcessServer,
  type FederatedServer,
  type FederationSetup,
  type InProcessServer,
} from "../../../helpers/federation";

let ca: TestCa;
let setup: FederationSetup;
/** Receives requests; uses `notary` as its trusted server. */
let b: FederatedServer;
let notary: FederatedServer;
/** Sends requests from inside the test process. */
let a: InProcessServer;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  notary = await startFederatedServer(setup);
  b = await startFederatedServer(setup, { env: { CONDUIT_TRUSTED_SERVERS: `["${notary.serverName}"]` } });
  a = await startInProcessServer(setup);
});
afterAll(async () => {
  await a?.close();
  await b?.stop();
  await notary?.stop();
  ca?.remove();
});

function verifiesWithOwnKeys(doc: JsonObject, serverName: string): boolean {
  const keys = doc.verify_keys as Record<string, { key: string }>;
  return Object.entries(keys).every(([id, k]) => verifyJsonSignature(doc, serverName, id, decodeBase64(k.key)));
}

describe("key publication", () => {
  test("GET /key/v2/server is a self-signed document with a future valid_until_ts", async () => {
    const res = await b.fetch("/_matrix/key/v2/server");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as JsonObject;
    expect(doc.server_name).toBe(b.serverName);
    expect(Object.keys(doc.verify_keys as object)).toHaveLength(1);
    expect(doc.old_verify_keys).toEqual({});
    expect(doc.valid_until_ts as number).toBeGreaterThan(Date.now() + 3_600_000);
    expect(verifiesWithOwnKeys(doc, b.serverName)).toBe(true);
  });

  test("GET /key/v2/server/{keyId}, the older form, answers the same document", async () => {
    const doc = (await (await b.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
    const [keyId] = Object.keys(doc.verify_keys as object);
    for (const id of [keyId!, "ed25519:unknown"]) {
      const res = await b.fetch(`/_matrix/key/v2/server/${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      const byId = (await res.json()) as JsonObject;
      expect(byId.verify_keys).toEqual(doc.verify_keys);
      expect(verifiesWithOwnKeys(byId, b.serverName)).toBe(true);
    }
  });

  test("/federation/v1/version needs no signature", async () => {
    const res = await b.fetch("/_matrix/federation/v1/version");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ server: { name: "conduit" } });
  });
});

describe("notary", () => {
  test("POST /key/v2/query fetches the server's keys and countersigns them", async () => {
    const res = await notary.fetch("/_matrix/key/v2/query", {
      method: "POST",
      body: JSON.stringify({ server_keys: { [a.serverName]: {} } }),
    });
    expect(res.status).toBe(200);
    const { server_keys } = (await res.json()) as { server_keys: JsonObject[] };
    expect(server_keys).toHaveLength(1);
    const doc = server_keys[0]!;
    expect(doc.server_name).toBe(a.serverName);
    expect(verifiesWithOwnKeys(doc, a.serverName)).toBe(true);
    const notaryDoc = (await (await notary.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
    const [notaryKeyId, notaryKey] = Object.entries(notaryDoc.verify_keys as Record<string, { key: string }>)[0]!;
    expect(verifyJsonSignature(doc, notary.serverName, notaryKeyId, decodeBase64(notaryKey.key))).toBe(true);
  });

  test("GET /key/v2/query/{serverName} answers for one server, itself included", async () => {
    const own = (await (await notary.fetch(`/_matrix/key/v2/query/${notary.serverName}`)).json()) as { server_keys: JsonObject[] };
    expect(own.server_keys.map((d) => d.server_name)).toEqual([notary.serverName]);
    const unknown = (await (await notary.fetch("/_matrix/key/v2/query/127.0.0.1:1")).json()) as { server_keys: JsonObject[] };
    expect(unknown.server_keys).toEqual([]);
  });
});

/**
 * An origin server that only serves `/_matrix/key/v2/server`, signed with keys the test chooses:
 * what it answers can change between requests, and it counts them.
 */
function fakeKeyOrigin() {
  const port = freePort();
  const serverName = `127.0.0.1:${port}`;
  const keys = new Map<string, Uint8Array>();
  let served: { keyIds: string[]; validUntilTs: number } = { keyIds: [], validUntilTs: 0 };
  let fetches = 0;
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port,
    tls: { cert: Bun.file(setup.cert.certPath), key: Bun.file(setup.cert.keyPath) },
    fetch(request) {
      if (new URL(request.url).pathname !== "/_matrix/key/v2/server") return new Response("", { status: 404 });
      fetches++;
      let doc: JsonObject = {
        server_name: serverName,
        valid_until_ts: served.validUntilTs,
        verify_keys: Object.fromEntries(served.keyIds.map((id) => [id, { key: encodeBase64(publicKeyFromSeed(keys.get(id)!)) }])),
        old_verify_keys: {},
      };
      for (const id of served.keyIds) doc = signJson(doc, serverName, id, keys.get(id)!);
      return Response.json(doc);
    },
  });
  return {
    serverName,
    get fetches() {
      return fetches;
    },
    /** From now on, serve a document listing these keys (created on first use). */
    serve(keyIds: string[], validUntilTs: number) {
      for (const id of keyIds) if (!keys.has(id)) keys.set(id, generateSigningSeed());
      served = { keyIds, validUntilTs };
    },
    stop: () => http.stop(true),
  };
}

describe("notary answers per key", () => {
  const query = async (server: string, keys: Record<string, { minimum_valid_until_ts?: number }>) => {
    const res = await notary.fetch("/_matrix/key/v2/query", { method: "POST", body: JSON.stringify({ server_keys: { [server]: keys } }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { server_keys: JsonObject[] }).server_keys;
  };
  const keyIdsOf = (docs: JsonObject[]) => docs.map((d) => Object.keys(d.verify_keys as object));

  test("an origin that stops listing a key cannot make the notary forget it", async () => {
    const origin = fakeKeyOrigin();
    try {
      const now = Date.now();
      origin.serve(["ed25519:key_1"], now + 3_600_000);
      expect(keyIdsOf(await query(origin.serverName, { "ed25519:key_1": {} }))).toEqual([["ed25519:key_1"]]);
      expect(origin.fetches).toBe(1);

      // Asked for a longer validity, the notary fetches again; the origin now lists another key.
      origin.serve(["ed25519:key_2"], now + 7_200_000);
      const refetched = await query(origin.serverName, { "ed25519:key_1": { minimum_valid_until_ts: now + 5_400_000 } });
      expect(origin.fetches).toBe(2);
      // The best it has for key_1 is still the first document.
      expect(keyIdsOf(refetched)).toEqual([["ed25519:key_1"]]);

      // Within the first document's validity, key_1 is answered from storage, without a fetch.
      const stored = await query(origin.serverName, { "ed25519:key_1": { minimum_valid_until_ts: now } });
      expect(keyIdsOf(stored)).toEqual([["ed25519:key_1"]]);
      expect(origin.fetches).toBe(2);

      // Asked for every key, the notary answers every document it holds; by id, just that key's.
      const all = await query(origin.serverName, {});
      expect(keyIdsOf(all).sort()).toEqual([["ed25519:key_1"], ["ed25519:key_2"]]);
      const byGet = await notary.fetch(`/_matrix/key/v2/query/${origin.serverName}/ed25519:key_2`);
      expect(keyIdsOf(((await byGet.json()) as { server_keys: JsonObject[] }).server_keys)).toEqual([["ed25519:key_2"]]);
      for (const doc of all) expect(verifiesWithOwnKeys(doc, origin.serverName)).toBe(true);
    } finally {
      origin.stop();
    }
  });

  test("an expired key is still answered when the origin offers nothing better", async () => {
    const origin = fakeKeyOrigin();
    try {
      const expired = Date.now() - 86_400_000;
      origin.serve(["ed25519:key_0"], expired);
      expect(keyIdsOf(await query(origin.serverName, { "ed25519:key_0": {} }))).toEqual([["ed25519:key_0"]]);
      const again = await query(origin.serverName, { "ed25519:key_0": { minimum_valid_until_ts: expired + 1000 } });
      expect(again.map((d) => d.valid_until_ts)).toEqual([expired]);
      origin.stop();
      // With the origin gone, the stored document is the answer.
      const gone = await query(origin.serverName, { "ed25519:key_0": { minimum_valid_until_ts: expired + 1000 } });
      expect(gone.map((d) => d.valid_until_ts)).toEqual([expired]);
    } finally {
      origin.stop();
    }
  });
});

describe("signed requests", () => {
  const profilePath = (server: { serverName: string }) =>
    `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(`@nobody:${server.serverName}`)}`;

  test("a request signed by one instance is accepted by the other (which fetches the origin's keys)", async () => {
    const alice = await registerUser(b.baseUrl, "alice");
    const set = await api(b.baseUrl, "PUT", `/_matrix/client/v3/profile/${alice.user_id}/displayname`, {
      token: alice.access_token,
      body: { displayname: "Alice B." },
    });
    expect(set.status).toBe(200);
    const path = `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(alice.user_id)}&field=displayname`;
    expect(await a.services.federation.client.request(b.serverName, { method: "GET", path })).toEqual({ displayname: "Alice B." });
    // An unknown user is an answer about the user, not about the request.
    const err = await a.services.federation.client
      .request(b.serverName, { method: "GET", path: profilePath(b) })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).status).toBe(404);
    expect((err as RemoteError).errcode).toBe("M_NOT_FOUND");
  });

  const sign = (uri: string, destination: string, method = "GET") =>
    signRequest({ method, uri, origin: a.serverName, destination }, a.signingKey);

  test("an unsigned request is 401 M_UNAUTHORIZED", async () => {
    const res = await b.fetch(profilePath(b));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });

  test("a request addressed to another destination is 401", async () => {
    const res = await b.fetch(profilePath(b), { headers: { authorization: sign(profilePath(b), "elsewhere.test") } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });

  test("a signature over another request is 401", async () => {
    const other = `${profilePath(b)}&field=displayname`;
    const res = await b.fetch(profilePath(b), { headers: { authorization: sign(other, b.serverName) } });
    expect(res.status).toBe(401);
  });

  test("an origin that is not a server name is 400 M_UNAUTHORIZED (a malformed request, before any key lookup)", async () => {
    const header = sign(profilePath(b), b.serverName).replace(/origin="[^"]+"/, 'origin="localhost:http"');
    const res = await b.fetch(profilePath(b), { headers: { authorization: header } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: "M_UNAUTHORIZED" });
  });

  test("an unknown key id is 401", async () => {
    const header = sign(profilePath(b), b.serverName).replace(/key="[^"]+"/, 'key="ed25519:nosuchkey"');
    const res = await b.fetch(profilePath(b), { headers: { authorization: header } });
    expect(res.status).toBe(401);
  });

  test("parameters parse case-insensitively, unquoted, in any order, with unknown ones ignored", async () => {
    const parsed = /origin="([^"]+)",destination="([^"]+)",key="([^"]+)",sig="([^"]+)"/.exec(sign(profilePath(b), b.serverName))!;
    const header = `X-Matrix SIG=${parsed[4]},Key="${parsed[3]}", Something=else ,Destination=${parsed[2]},ORIGIN=${parsed[1]}`;
    const res = await b.fetch(profilePath(b), { headers: { authorization: header } });
    expect(res.status).toBe(404); // authenticated; the user does not exist
  });

  test("when the origin cannot be reached, its keys come through trusted_servers", async () => {
    // A third instance whose keys only the notary has seen; then it stops listening.
    const c = await startInProcessServer(setup);
    try {
      // (The notary may also hold documents of an earlier server on the same port: look for c's key.)
      const listsKeyOfC = (docs: JsonObject[]) => docs.some((d) => Object.keys(d.verify_keys as object).includes(c.signingKey.keyId));
      const seen = await notary.fetch(`/_matrix/key/v2/query/${c.serverName}`);
      expect(listsKeyOfC(((await seen.json()) as { server_keys: JsonObject[] }).server_keys)).toBe(true);
      await c.stopListening();
      const err = await c.services.federation.client
        .request(b.serverName, { method: "GET", path: profilePath(b) })
        .catch((e: unknown) => e);
      expect((err as RemoteError).status).toBe(404);
      // The notary still answers for it from its cache.
      const stale = (await (await notary.fetch(`/_matrix/key/v2/query/${c.serverName}`)).json()) as { server_keys: JsonObject[] };
      expect(listsKeyOfC(stale.server_keys)).toBe(true);
    } finally {
      await c.close();
    }
  });

  test("without a reachable origin or notary, the request is 401", async () => {
    const d = await startInProcessServer(setup);
    try {
      await d.stopListening();
      const err = await d.services.federation.client
        .request(b.serverName, { method: "GET", path: profilePath(b) })
        .catch((e: unknown) => e);
      expect((err as RemoteError).status).toBe(401);
    } finally {
      await d.close();
    }
  });
});

describe("key rotation", () => {
  test("the retired key moves to old_verify_keys and stays usable for what it signed before", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "conduit-rotate-"));
    let r = await startFederatedServer(setup, { dataDir });
    const port = Number(r.serverName.split(":")[1]);
    try {
      const before = (await (await r.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
      const [oldId, oldKey] = Object.entries(before.verify_keys as Record<string, { key: string }>)[0]!;
      const beforeRotation = Date.now();
      await r.stop();
      const rotate = Bun.spawnSync([process.execPath, join(import.meta.dir, "../../../../src/main.ts"), "--rotate-signing-key"], {
        env: { ...process.env, CONDUIT_CONFIG: join(dataDir, "conduit.toml") },
      });
      expect(rotate.exitCode).toBe(0);
      expect(rotate.stdout.toString()).toContain(`${oldId} is retired`);
      r = await startFederatedServer(setup, { dataDir, port });

      const after = (await (await r.fetch("/_matrix/key/v2/server")).json()) as JsonObject;
      const current = after.verify_keys as Record<string, { key: string }>;
      expect(Object.keys(current)).toHaveLength(1);
      expect(current[oldId]).toBeUndefined();
      const old = (after.old_verify_keys as Record<string, { key: string; expired_ts: number }>)[oldId]!;
      expect(old.key).toBe(oldKey.key);
      expect(old.expired_ts).toBeGreaterThanOrEqual(beforeRotation);
      expect(verifiesWithOwnKeys(after, r.serverName)).toBe(true);

      // A server that fetches the keys now trusts the old one only for what it signed before expiry.
      const keys = a.services.federation.keys;
      expect(await keys.getVerifyKey(r.serverName, oldId, old.expired_ts - 1)).toEqual(decodeBase64(oldKey.key));
      expect(await keys.getVerifyKey(r.serverName, oldId, old.expired_ts + 1)).toBeNull();
      expect(await keys.getVerifyKey(r.serverName, Object.keys(current)[0]!, Date.now())).toEqual(
        decodeBase64(Object.values(current)[0]!.key),
      );
    } finally {
      await r.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("allow_federation = false", () => {
  test("federation and key endpoints answer 403 M_FORBIDDEN", async () => {
    const off = await startFederatedServer(setup, { env: { CONDUIT_ALLOW_FEDERATION: "false" } });
    try {
      for (const path of ["/_matrix/federation/v1/version", "/_matrix/key/v2/server", "/_matrix/federation/v1/query/profile?user_id=x"]) {
        const res = await off.fetch(path);
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
      }
      expect((await off.fetch("/_matrix/client/versions")).status).toBe(200);
      // Nothing leaves it either: joining a room of another server is refused.
      const carol = await registerUser(off.baseUrl, "carol");
      const join = await api(off.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(`!room:${b.serverName}`)}`, {
        token: carol.access_token,
        body: {},
      });
      expect(join.status).toBe(403);
      expect(join.body).toMatchObject({ errcode: "M_FORBIDDEN" });
    } finally {
      await off.stop();
    }
  });
});
