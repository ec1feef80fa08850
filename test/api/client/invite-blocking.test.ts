// Invite blocking on one server (spec v1.18, MSC4380): `m.invite_permission_config` with
// `block_all` refuses every form of local invite with 403 M_INVITE_BLOCKED and hides stored
// invites from /sync until the block is lifted.
import { beforeAll, describe, expect, test } from "bun:test";
import { api, expectError, registerUser, type Session } from "../../helpers/client";
import { serverForTests } from "../../helpers/server";
import { createRoom, enc } from "../../helpers/rooms";

const srv = serverForTests();
const as = <T = Record<string, unknown>>(who: Session, method: string, path: string, body?: unknown) =>
  api<T>(srv.baseUrl, method, `/_matrix/client/v3${path}`, { token: who.access_token, body });
const setBlock = (who: Session, type: string, content: Record<string, unknown>) => as(who, "PUT", `/user/${enc(who.user_id)}/account_data/${type}`, content);

describe("a user who blocks invites", () => {
  let inviter: Session;
  let shy: Session;
  beforeAll(async () => {
    inviter = await registerUser(srv.baseUrl, undefined);
    shy = await registerUser(srv.baseUrl, undefined);
    await setBlock(shy, "m.invite_permission_config", { block_all: true });
  });

  test("POST /invite, createRoom's invite list and an invite state event are 403 M_INVITE_BLOCKED", async () => {
    const roomId = await createRoom(srv.baseUrl, inviter);
    expectError(await as(inviter, "POST", `/rooms/${enc(roomId)}/invite`, { user_id: shy.user_id }), 403, "M_INVITE_BLOCKED");
    expectError(await as(inviter, "POST", "/createRoom", { invite: [shy.user_id] }), 403, "M_INVITE_BLOCKED");
    expectError(await as(inviter, "PUT", `/rooms/${enc(roomId)}/state/m.room.member/${enc(shy.user_id)}`, { membership: "invite" }), 403, "M_INVITE_BLOCKED");
    const member = await as(inviter, "GET", `/rooms/${enc(roomId)}/state/m.room.member/${enc(shy.user_id)}`);
    expectError(member, 404, "M_NOT_FOUND");
  });

  test("block_all false (or any other value) lets invites through", async () => {
    const open = await registerUser(srv.baseUrl, undefined);
    await setBlock(open, "m.invite_permission_config", { block_all: "yes" });
    const roomId = await createRoom(srv.baseUrl, inviter);
    expect((await as(inviter, "POST", `/rooms/${enc(roomId)}/invite`, { user_id: open.user_id })).status).toBe(200);
  });
});

test("a stored invite is hidden from /sync while the block holds (the unstable type too) and shows again after", async () => {
  const inviter = await registerUser(srv.baseUrl, undefined);
  const later = await registerUser(srv.baseUrl, undefined);
  const roomId = await createRoom(srv.baseUrl, inviter);
  await as(inviter, "POST", `/rooms/${enc(roomId)}/invite`, { user_id: later.user_id });
  const invites = async () => Object.keys((await as<{ rooms: { invite: Record<string, unknown> } }>(later, "GET", "/sync")).body.rooms.invite);
  expect(await invites()).toEqual([roomId]);
  await setBlock(later, "org.matrix.msc4380.invite_permission_config", { block_all: true });
  expect(await invites()).toEqual([]);
  await setBlock(later, "org.matrix.msc4380.invite_permission_config", { block_all: false });
  expect(await invites()).toEqual([roomId]);
});
