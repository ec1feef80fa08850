// Conduit's admin room over HTTP: created by @conduit at the first start, admins invited (at start
// and when promoted), and the text commands answered in the room.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { api, loginUser, registerUser, type Session } from "../../helpers/client";
import { asUser } from "../../helpers/as-user";
import { createAdmin } from "../../helpers/admin";
import { startServer, type TestServer } from "../../helpers/server";
import { syncClient, type SyncClient, type SyncEvent } from "../../helpers/sync";
import { createRoom, enc } from "../../helpers/rooms";

const SERVER_USER = "@conduit:localhost";
let server: TestServer;
let root: Session;
let roomId: string;
let sync: SyncClient;

/** Restarting the server invites the admin the CLI made while it ran. */
beforeAll(async () => {
  const first = await startServer();
  await createAdmin(first, "root");
  const dataDir = first.dataDir;
  first.proc.kill("SIGTERM");
  await first.proc.exited;
  server = await startServer({ dataDir });
  root = await loginUser(server.baseUrl, "root", "admin password");
  const alias = await api<{ room_id: string }>(server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#admins:localhost")}`);
  roomId = alias.body.room_id;
  sync = syncClient(asUser(server.baseUrl, root));
  await sync.next({ timeout: "0" });
});
afterAll(async () => {
  await server.stop();
});

let txn = 0;
/** Sends `body` to the admin room as `who` and returns the server user's next notice there. */
async function command(body: string, who: Session = root, client: SyncClient = sync): Promise<string> {
  const sent = await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/c${++txn}`, {
    token: who.access_token,
    body: { msgtype: "m.text", body },
  });
  expect(sent.status).toBe(200);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const res = await client.next({ timeout: "5000" });
    const events: SyncEvent[] = res.rooms.join[roomId]?.timeline.events ?? [];
    const notice = events.find((e) => e.sender === SERVER_USER && e.content.msgtype === "m.notice");
    if (notice) return notice.content.body as string;
  }
  throw new Error(`no answer to ${body}:\n${server.output.slice(-30).join("\n")}`);
}

describe("the room", () => {
  test("#admins is @conduit's private room and the admin is invited; joining works", async () => {
    expect(roomId).toMatch(/^!/);
    const invited = await api<{ membership: string }>(server.baseUrl, "GET", `/_synapse/admin/v1/rooms/${enc(roomId)}/state`, { token: root.access_token });
    const mine = (invited.body as unknown as { state: { type: string; state_key: string; content: { membership?: string } }[] }).state.find((e) => e.type === "m.room.member" && e.state_key === root.user_id);
    expect(mine?.content.membership).toBeDefined();
    const join = await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: root.access_token, body: {} });
    expect(join.status).toBe(200);
    const rule = await api<{ join_rule: string }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.join_rules/`, { token: root.access_token });
    expect(rule.body.join_rule).toBe("invite");
    const creator = await api<{ sender: string }[]>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token: root.access_token });
    expect((creator.body as unknown as { type: string; sender: string }[]).find((e) => e.type === "m.room.create")!.sender).toBe(SERVER_USER);
  });

  test("an account promoted through the admin API is invited at once; a plain user cannot join", async () => {
    const second = await registerUser(server.baseUrl, "second-admin");
    const plain = await registerUser(server.baseUrl, "plain-user");
    await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: root.access_token, body: {} });
    await api(server.baseUrl, "PUT", `/_synapse/admin/v1/users/${enc(second.user_id)}/admin`, { token: root.access_token, body: { admin: true } });
    const member = await api<{ membership: string }>(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(second.user_id)}`, { token: root.access_token });
    expect(member.body.membership).toBe("invite");
    const refused = await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: plain.access_token, body: {} });
    expect(refused.status).toBe(403);
  });
});

describe("commands", () => {
  beforeAll(async () => {
    await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: root.access_token, body: {} });
    await sync.next({ timeout: "0" });
  });

  test("help lists the commands; the three prefixes all work; other messages get no answer", async () => {
    const help = await command("@conduit:localhost: help");
    for (const name of ["list-users", "create-user", "reset-password", "deactivate-user", "list-rooms", "delete-room", "purge-room", "list-appservices", "register-appservice", "unregister-appservice", "show-stats"]) {
      expect(help).toContain(name);
    }
    expect(await command("conduit: frobnicate")).toContain('Unknown command "frobnicate"');
    // A message that addresses nobody gets no answer: the next notice answers the next command.
    await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/plain${++txn}`, { token: root.access_token, body: { msgtype: "m.text", body: "help" } });
    expect(await command("!admin show-stats")).toMatch(/local users: \d+\nrooms: \d+\nevents: \d+/);
  });

  test("create-user, list-users, reset-password and deactivate-user manage accounts", async () => {
    const created = await command("!admin create-user roommade");
    const password = /with the password (\S+)\.$/.exec(created)![1]!;
    const made = await loginUser(server.baseUrl, "roommade", password);
    expect(await command("!admin list-users")).toContain("@roommade:localhost");
    expect(await command("!admin list-users")).toContain("@root:localhost (admin)");
    const reset = await command("!admin reset-password roommade");
    const newPassword = /is now (\S+)$/.exec(reset)![1]!;
    expect((await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: made.access_token })).status).toBe(401);
    await loginUser(server.baseUrl, "roommade", newPassword);
    expect(await command("!admin deactivate-user @roommade:localhost")).toBe("@roommade:localhost is deactivated.");
    const login = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", identifier: { type: "m.id.user", user: "roommade" }, password: newPassword } });
    expect(login.status).toBe(403);
    expect(await command("!admin deactivate-user @conduit:localhost")).toContain("Error: The server user cannot be deactivated");
    expect(await command("!admin create-user")).toContain("Usage: create-user USERNAME");
  });

  test("list-rooms and purge-room: the members leave and the room is gone from the server", async () => {
    const owner = await registerUser(server.baseUrl, "spamroomowner");
    const spam = await createRoom(server.baseUrl, owner, { name: "Spam palace", room_alias_name: "spam" });
    expect(await command("!admin list-rooms")).toContain(`${spam}\t1 member(s)\tSpam palace`);
    const answer = await command(`!admin purge-room ${spam}`);
    expect(answer).toBe(`${spam} is purged and blocked; 1 local member(s) left it: ${owner.user_id}.`);
    const gone = await api(server.baseUrl, "GET", `/_synapse/admin/v1/rooms/${enc(spam)}`, { token: root.access_token });
    expect(gone.status).toBe(404);
    expect((await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc("#spam:localhost")}`)).status).toBe(404);
    const rejoin = await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(spam)}`, { token: owner.access_token, body: {} });
    expect(rejoin.status).toBe(403);
  });

  test("register-appservice, list-appservices and unregister-appservice", async () => {
    const yaml = [
      "id: roombridge",
      "url: null",
      "as_token: as-token-roombridge",
      "hs_token: hs-token-roombridge",
      "sender_localpart: roombridge",
      "namespaces:",
      "  users:",
      "    - exclusive: true",
      "      regex: '@rb_.*:localhost'",
    ].join("\n");
    expect(await command(`!admin register-appservice\n\`\`\`yaml\n${yaml}\n\`\`\``)).toBe("Registered the appservice roombridge (sender @roombridge:localhost).");
    const whoami = await api<{ user_id: string }>(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: "as-token-roombridge" });
    expect(whoami.body.user_id).toBe("@roombridge:localhost");
    expect(await command("!admin list-appservices")).toContain("roombridge\tregistered here");
    expect(await command("!admin register-appservice")).toContain("code block");
    expect(await command("!admin unregister-appservice roombridge")).toBe("Unregistered the appservice roombridge.");
    expect((await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: "as-token-roombridge" })).status).toBe(401);
  });

  test("a non-admin's command is refused", async () => {
    const helper = await registerUser(server.baseUrl, "not-admin-here");
    // Made an admin to be invited, then demoted: in the room but no admin.
    await api(server.baseUrl, "PUT", `/_synapse/admin/v1/users/${enc(helper.user_id)}/admin`, { token: root.access_token, body: { admin: true } });
    await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: helper.access_token, body: {} });
    await api(server.baseUrl, "PUT", `/_synapse/admin/v1/users/${enc(helper.user_id)}/admin`, { token: root.access_token, body: { admin: false } });
    expect(await command("!admin list-users", helper)).toBe(`${helper.user_id} is not a server admin.`);
  });
});
