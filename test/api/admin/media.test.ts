// Media in the admin API over HTTP: a user's uploads listed and deleted, one media deleted,
// quarantine and release (quarantined media is served to nobody), and the purge of other servers'
// cached media not accessed since a time (two real servers over TLS).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { createAdmin, serverWithAdmin } from "../../helpers/admin";
import { startFederatedPair, type FederatedPair } from "../../helpers/federation";

interface Upload {
  media_id: string;
  media_type: string;
  media_length: number;
  upload_name: string;
  quarantined_by: string | null;
}

async function upload(baseUrl: string, who: Session, body: string, name: string, fetcher: typeof fetch = fetch): Promise<string> {
  const res = await fetcher(`${baseUrl}/_matrix/media/v3/upload?filename=${name}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${who.access_token}`, "Content-Type": "text/plain" },
    body,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
}

describe("on one server", () => {
  const srv = serverWithAdmin();
  const call = <T = Record<string, unknown>>(method: string, path: string, token = srv.admin.access_token) => api<T>(srv.server.baseUrl, method, path, { token });
  const download = (mxc: string, who: Session) =>
    fetch(`${srv.server.baseUrl}/_matrix/client/v1/media/download/${mxc}`, { headers: { Authorization: `Bearer ${who.access_token}` } });
  let uploader: Session;
  beforeAll(async () => {
    uploader = await registerUser(srv.server.baseUrl, "uploader");
  });

  test("a user's uploads are listed with their metadata, ordered and paged", async () => {
    const who = await registerUser(srv.server.baseUrl, "lister");
    const first = await upload(srv.server.baseUrl, who, "short", "a.txt");
    const second = await upload(srv.server.baseUrl, who, "a longer text", "b.txt");
    const all = await call<{ media: Upload[]; total: number }>("GET", `/_synapse/admin/v1/users/${encodeURIComponent(who.user_id)}/media?order_by=media_length&dir=b`);
    expect(all.body.total).toBe(2);
    expect(all.body.media.map((m) => `${m.upload_name}:${m.media_length}`)).toEqual(["b.txt:13", "a.txt:5"]);
    expect(all.body.media[0]).toMatchObject({ media_id: second.split("/")[1], media_type: "text/plain", quarantined_by: null });
    const page = await call<{ media: Upload[]; next_token?: number }>("GET", `/_synapse/admin/v1/users/${encodeURIComponent(who.user_id)}/media?limit=1&order_by=created_ts`);
    expect(page.body.media.map((m) => m.media_id)).toEqual([first.split("/")[1]!]);
    expect(page.body.next_token).toBe(1);
    expectError(await call("GET", `/_synapse/admin/v1/users/${encodeURIComponent(who.user_id)}/media?order_by=sha256`), 400, "M_INVALID_PARAM");
  });

  test("quarantined media is served to nobody until released", async () => {
    const mxc = await upload(srv.server.baseUrl, uploader, "quarantine me", "q.txt");
    expect((await download(mxc, uploader)).status).toBe(200);
    expect((await call("POST", `/_synapse/admin/v1/media/quarantine/${mxc}`)).status).toBe(200);
    expect((await download(mxc, uploader)).status).toBe(404);
    const listed = await call<{ media: Upload[] }>("GET", `/_synapse/admin/v1/users/${encodeURIComponent(uploader.user_id)}/media`);
    expect(listed.body.media.find((m) => m.media_id === mxc.split("/")[1])!.quarantined_by).toBe(srv.admin.user_id);
    await call("POST", `/_synapse/admin/v1/media/unquarantine/${mxc}`);
    expect(await (await download(mxc, uploader)).text()).toBe("quarantine me");
    expectError(await call("POST", "/_synapse/admin/v1/media/quarantine/localhost/nosuchmedia"), 404, "M_NOT_FOUND");
  });

  test("quarantining all of a user's media, then deleting it all", async () => {
    const who = await registerUser(srv.server.baseUrl, "spammer-media");
    const one = await upload(srv.server.baseUrl, who, "one", "1.txt");
    const two = await upload(srv.server.baseUrl, who, "two", "2.txt");
    const q = await call("POST", `/_synapse/admin/v1/user/${encodeURIComponent(who.user_id)}/media/quarantine`);
    expect(q.body).toEqual({ num_quarantined: 2 });
    expect((await download(one, who)).status).toBe(404);
    const deleted = await call<{ deleted_media: string[]; total: number }>("DELETE", `/_synapse/admin/v1/users/${encodeURIComponent(who.user_id)}/media`);
    expect(deleted.body.total).toBe(2);
    expect(deleted.body.deleted_media.sort()).toEqual([one.split("/")[1]!, two.split("/")[1]!].sort());
    expect((await call<{ total: number }>("GET", `/_synapse/admin/v1/users/${encodeURIComponent(who.user_id)}/media`)).body.total).toBe(0);
  });

  test("one local media is deleted; another server's media cannot be deleted here; non-admins are refused", async () => {
    const mxc = await upload(srv.server.baseUrl, uploader, "delete me", "d.txt");
    const res = await call("DELETE", `/_synapse/admin/v1/media/${mxc}`);
    expect(res.body).toEqual({ deleted_media: [mxc.split("/")[1]], total: 1 });
    expect((await download(mxc, uploader)).status).toBe(404);
    expectError(await call("DELETE", `/_synapse/admin/v1/media/${mxc}`), 404, "M_NOT_FOUND");
    expectError(await call("DELETE", "/_synapse/admin/v1/media/elsewhere.org/abc"), 400, "M_INVALID_PARAM");
    expectError(await call("DELETE", `/_synapse/admin/v1/users/${encodeURIComponent(uploader.user_id)}/media`, uploader.access_token), 403, "M_FORBIDDEN");
  });

  test("purge_media_cache needs before_ts", async () => {
    expectError(await call("POST", "/_synapse/admin/v1/purge_media_cache"), 400, "M_MISSING_PARAM");
    expect((await call("POST", `/_synapse/admin/v1/purge_media_cache?before_ts=${Date.now()}`)).body).toEqual({ deleted: 0 });
  });
});

describe("another server's media", () => {
  let pair: FederatedPair;
  let adminB: Session;
  beforeAll(async () => {
    pair = await startFederatedPair({ a: "alice", b: "bob" });
    adminB = await createAdmin(pair.b, "root", "admin password", { CONDUIT_SERVER_NAME: pair.b.serverName });
  });
  afterAll(() => pair?.close());

  test("purge_media_cache drops the cached copy; the next download fetches it again", async () => {
    const tlsFetch: typeof fetch = ((url: string, init?: RequestInit) => fetch(url, { ...init, tls: { ca: pair.setup.ca.caCert } })) as typeof fetch;
    const mxc = await upload(pair.a.baseUrl, pair.userA, "from A", "a.txt", tlsFetch);
    const fromB = () => pair.b.fetch(`/_matrix/client/v1/media/download/${mxc}`, { headers: { Authorization: `Bearer ${pair.userB.access_token}` } });
    expect(await (await fromB()).text()).toBe("from A");
    const early = await api(pair.b.baseUrl, "POST", "/_synapse/admin/v1/purge_media_cache?before_ts=1", { token: adminB.access_token });
    expect(early.body).toEqual({ deleted: 0 });
    const purged = await api(pair.b.baseUrl, "POST", `/_synapse/admin/v1/purge_media_cache?before_ts=${Date.now() + 1000}`, { token: adminB.access_token });
    expect(purged.body).toEqual({ deleted: 1 });
    expect(await (await fromB()).text()).toBe("from A");
  });
});
