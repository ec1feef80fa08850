// Request bodies over HTTP: size limit (413 M_TOO_LARGE), text that is not JSON (M_NOT_JSON), JSON
// that Matrix forbids or that has the wrong shape (M_BAD_JSON naming the problem).
import { describe, expect, test } from "bun:test";
import { api, registerUser } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";

const MAX = 1024;
const server = serverForTests({ toml: `max_request_size = ${MAX}` });

/** POSTs a raw body to /login, where a well-formed body would reach the password check. */
function postLogin(body: string | Uint8Array | ReadableStream<Uint8Array>, contentType = "application/json") {
  return fetch(`${server.baseUrl}/_matrix/client/v3/login`, { method: "POST", headers: { "content-type": contentType }, body });
}

function padded(bytes: number): string {
  const head = '{"type":"m.login.password","user":"nobody","password":"x","pad":"';
  return `${head}${"p".repeat(bytes - head.length - 2)}"}`;
}

describe("size", () => {
  test("a body of exactly max_request_size is accepted", async () => {
    const res = await postLogin(padded(MAX));
    expect(res.status).toBe(403); // parsed, then refused for the credentials
  });

  test("a body over max_request_size is 413 M_TOO_LARGE", async () => {
    const res = await postLogin(padded(MAX + 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
  });

  test("a streamed body without a declared length is cut off at the limit too", async () => {
    const text = new TextEncoder().encode(padded(MAX * 1.5));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < text.length; i += 256) controller.enqueue(text.slice(i, i + 256));
        controller.close();
      },
    });
    const res = await postLogin(stream);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ errcode: "M_TOO_LARGE" });
  });
});

describe("not JSON at all: 400 M_NOT_JSON", () => {
  for (const [name, body] of [
    ["truncated", '{"type": "m.login.password",'],
    ["a bare word", "hello"],
    ["single quotes", "{'type': 'm.login.password'}"],
    ["a trailing comma", '{"type": "m.login.password",}'],
  ]) {
    test(name, async () => {
      const res = await postLogin(body!);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ errcode: "M_NOT_JSON" });
    });
  }

  test("bytes that are not UTF-8", async () => {
    const res = await postLogin(new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: "M_NOT_JSON" });
  });
});

describe("JSON that Matrix forbids: 400 M_BAD_JSON", () => {
  const base = '"type": "m.login.password", "user": "nobody", "password": "x"';
  for (const [name, body, mentions] of [
    ["a duplicate key", `{${base}, "user": "someone else"}`, "duplicate"],
    ["a lone surrogate", `{${base}, "s": "\\ud800"}`, "surrogate"],
  ]) {
    test(name, async () => {
      const res = await postLogin(body!);
      expect(res.status).toBe(400);
      const err = (await res.json()) as { errcode: string; error: string };
      expect(err.errcode).toBe("M_BAD_JSON");
      expect(err.error).toContain(mentions!);
    });
  }
});

describe("numbers: any JSON number in client bodies, canonical integers in events and federation", () => {
  const noncanonical = [
    ["a float", "1.5", "float"],
    ["an exponent", "1e2", "exponent"],
    ["an integer past 2^53", "9007199254740993", "integer"],
    ["negative zero", "-0", "-0"],
  ];

  for (const [name, number] of noncanonical) {
    test(`a client body that is not an event takes ${name}`, async () => {
      const res = await postLogin(`{"type": "m.login.password", "user": "nobody", "password": "x", "n": ${number}}`);
      expect(res.status).toBe(403); // parsed, then refused for the credentials
    });
  }

  test("a tag's fractional order is kept", async () => {
    const alice = await registerUser(server.baseUrl, undefined);
    const room = await api<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: {} });
    const path = `/_matrix/client/v3/user/${encodeURIComponent(alice.user_id)}/rooms/${encodeURIComponent(room.body.room_id)}/tags`;
    const put = await fetch(`${server.baseUrl}${path}/u.work`, {
      method: "PUT",
      headers: { authorization: `Bearer ${alice.access_token}`, "content-type": "application/json" },
      body: '{"order": 0.25}',
    });
    expect(put.status).toBe(200);
    const tags = await api<{ tags: Record<string, { order: number }> }>(server.baseUrl, "GET", path, { token: alice.access_token });
    expect(tags.body.tags["u.work"]).toEqual({ order: 0.25 });
  });

  test("an event whose content has a float is 400 M_BAD_JSON and is not stored", async () => {
    const alice = await registerUser(server.baseUrl, undefined);
    const room = await api<{ room_id: string }>(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: {} });
    const roomPath = `/_matrix/client/v3/rooms/${encodeURIComponent(room.body.room_id)}`;
    const res = await fetch(`${server.baseUrl}${roomPath}/send/m.room.message/float1`, {
      method: "PUT",
      headers: { authorization: `Bearer ${alice.access_token}`, "content-type": "application/json" },
      body: '{"msgtype": "m.text", "body": "x", "n": 0.5}',
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { errcode: string; error: string };
    expect(err.errcode).toBe("M_BAD_JSON");
    expect(err.error).toContain("only integers");
    const messages = await api<{ chunk: { type: string }[] }>(server.baseUrl, "GET", `${roomPath}/messages?dir=b&limit=50`, { token: alice.access_token });
    expect(messages.body.chunk.filter((e) => e.type === "m.room.message")).toEqual([]);
  });

  for (const [name, number, mentions] of noncanonical) {
    test(`a federation body with ${name} is 400 M_BAD_JSON`, async () => {
      const res = await fetch(`${server.baseUrl}/_matrix/key/v2/query`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"server_keys": {"example.org": {"ed25519:a": {"minimum_valid_until_ts": ${number}}}}}`,
      });
      expect(res.status).toBe(400);
      const err = (await res.json()) as { errcode: string; error: string };
      expect(err.errcode).toBe("M_BAD_JSON");
      expect(err.error).toContain(mentions!);
    });
  }
});

describe("JSON of the wrong shape: 400 M_BAD_JSON naming the field", () => {
  test("a field of the wrong type", async () => {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", {
      body: { type: "m.login.password", user: "nobody", password: 12345 },
    });
    expect(res.status).toBe(400);
    expect(res.body.errcode).toBe("M_BAD_JSON");
    expect(res.body.error).toContain("password");
  });

  test("an array instead of an object", async () => {
    const res = await postLogin("[]");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errcode: "M_BAD_JSON" });
  });

  test("JSON sent without a JSON content type is still read as JSON", async () => {
    const body = JSON.stringify({ type: "m.login.password", user: "nobody", password: "x" });
    const res = await postLogin(body, "application/x-www-form-urlencoded");
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errcode: "M_FORBIDDEN" });
  });
});
