// Bodies a hostile or careless client sends to createRoom, send and state: the wrong JSON type,
// none at all, or numbers canonical JSON spells differently. Each is refused with the spec's
// error and changes nothing (Synapse answers the same).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { enc } from "../../helpers/as-user";
import { api, expectError } from "../../helpers/client";
import type { TestServer } from "../../helpers/server";
import { serverWithUsers, type TestUser } from "../../helpers/users";

let server: TestServer;
let alice: TestUser;
let roomId: string;
beforeAll(async () => {
  ({ server, users: { alice } } = await serverWithUsers(["alice"]));
  roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", {})).body.room_id;
});
afterAll(() => server.stop());

const raw = (method: string, path: string, body: string) =>
  api(server.baseUrl, method, `/_matrix/client/v3${path}`, { token: alice.session.access_token, body });

const joinedRooms = async () => (await alice.call<{ joined_rooms: string[] }>("GET", "/joined_rooms")).body.joined_rooms;

test("createRoom with a body that is not a JSON object is 400 M_BAD_JSON and creates nothing", async () => {
  const before = await joinedRooms();
  for (const body of ["[]", "42", '"str"', "null"]) expectError(await raw("POST", "/createRoom", body), 400, "M_BAD_JSON");
  expect(await joinedRooms()).toEqual(before);
});

test("send and state with no body or a non-object body are refused; nothing is stored", async () => {
  const room = enc(roomId);
  expectError(await raw("PUT", `/rooms/${room}/send/m.room.message/empty1`, ""), 400, "M_NOT_JSON");
  expectError(await raw("PUT", `/rooms/${room}/state/m.room.topic/`, ""), 400, "M_NOT_JSON");
  for (const body of ["[]", "7", '"x"']) {
    expectError(await raw("PUT", `/rooms/${room}/send/m.room.message/t${body.length}${body.charCodeAt(0)}`, body), 400, "M_BAD_JSON");
    expectError(await raw("PUT", `/rooms/${room}/state/m.room.topic/`, body), 400, "M_BAD_JSON");
  }
  const messages = await alice.call<{ chunk: { type: string }[] }>("GET", `/rooms/${room}/messages?dir=b&limit=50`);
  expect(messages.body.chunk.filter((e) => e.type === "m.room.message" || e.type === "m.room.topic")).toEqual([]);
});

test("event content with 1.0 or 1e3 is 400 M_BAD_JSON in room version 6+ (canonical JSON has no such numbers)", async () => {
  const room = enc(roomId);
  for (const n of ["1.0", "1e3", "1.5", "9007199254740993"]) {
    const res = await raw("PUT", `/rooms/${room}/send/m.room.message/n${n}`, `{"msgtype":"m.text","body":"n","n":${n}}`);
    expectError(res, 400, "M_BAD_JSON");
  }
  expect((await raw("PUT", `/rooms/${room}/send/m.room.message/ok`, '{"msgtype":"m.text","body":"n","n":1000}')).status).toBe(200);
});
