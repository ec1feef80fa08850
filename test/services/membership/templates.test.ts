// A membership template from a resident server is never signed as received: a hostile resident
// answers make_join and make_knock with templates naming another sender, another target, another
// type and membership, another room and extra content, and the events our server then signs and
// sends back (send_join, send_knock) carry our user, our membership and the room asked for, with
// only the graph position taken from the template. (Leaves are built by the same code.)
import { afterAll, beforeAll, expect, test } from "bun:test";
import { api, registerUser, trustTestCa, type Session } from "../../helpers/client";
import { freePort, startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;
let ours: FederatedServer;
let alice: Session;
/** The hostile resident: answers every make_* with a poisoned template, records every send_*. */
let resident: ReturnType<typeof Bun.serve>;
let residentName: string;
const received: { path: string; body: Record<string, unknown> }[] = [];

const roomId = () => `!hostile:${residentName}`;

beforeAll(async () => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
  const port = freePort();
  residentName = `127.0.0.1:${port}`;
  resident = Bun.serve({
    hostname: "127.0.0.1",
    port,
    tls: { cert: Bun.file(setup.cert.certPath), key: Bun.file(setup.cert.keyPath) },
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const make = /\/make_(join|leave|knock)\//.exec(path);
      if (make) {
        return Response.json({
          room_version: "10",
          event: {
            room_id: `!elsewhere:${residentName}`,
            sender: `@mallory:${residentName}`,
            state_key: `@victim:${residentName}`,
            type: "m.room.power_levels",
            origin: residentName,
            origin_server_ts: 1,
            depth: 7,
            prev_events: ["$prev"],
            auth_events: ["$auth"],
            hashes: { sha256: "forged" },
            signatures: { [residentName]: { "ed25519:x": "forged" } },
            content: { membership: "ban", users: { [`@mallory:${residentName}`]: 100 }, join_authorised_via_users_server: `@mallory:${residentName}` },
          },
        });
      }
      if (/\/send_(join|leave|knock)\//.test(path)) {
        received.push({ path, body: (await req.json()) as Record<string, unknown> });
        return Response.json({ errcode: "M_FORBIDDEN", error: "recorded, refused" }, { status: 403 });
      }
      return Response.json({ errcode: "M_UNRECOGNIZED", error: "no" }, { status: 404 });
    },
  });
  ours = await startFederatedServer(setup);
  alice = await registerUser(ours.baseUrl, "alice");
});
afterAll(async () => {
  resident?.stop(true);
  await ours?.stop();
  ca?.remove();
});

test.each([
  ["join", `/_matrix/client/v3/join/`, "/_matrix/federation/v2/send_join/"],
  ["knock", `/_matrix/client/v3/knock/`, "/_matrix/federation/v1/send_knock/"],
] as const)("%s: our event is rebuilt from our own fields, not the template's", async (membership, clientPath, sendPath) => {
  received.length = 0;
  const res = await api(ours.baseUrl, "POST", `${clientPath}${encodeURIComponent(roomId())}?via=${encodeURIComponent(residentName)}`, {
    token: alice.access_token,
    body: {},
  });
  expect(res.status).toBe(403); // the resident refused after recording what we sent
  expect(received).toHaveLength(1);
  expect(received[0]!.path.startsWith(`${sendPath}${encodeURIComponent(roomId())}/`)).toBe(true);
  const event = received[0]!.body;
  expect(event).toMatchObject({ room_id: roomId(), sender: alice.user_id, state_key: alice.user_id, type: "m.room.member", depth: 7 });
  expect(event.prev_events).toEqual(["$prev"]);
  expect(event.auth_events).toEqual(["$auth"]);
  const content = event.content as Record<string, unknown>;
  expect(content.membership).toBe(membership);
  expect(content.users).toBeUndefined();
  // Only a join keeps the resident's authorising user (restricted rooms need it).
  expect("join_authorised_via_users_server" in content).toBe(membership === "join");
  // Hashes and signatures are ours, not the template's.
  expect((event.hashes as Record<string, string>).sha256).not.toBe("forged");
  expect(Object.keys(event.signatures as object)).toEqual([ours.serverName]);
  expect(event.origin_server_ts).not.toBe(1);
});
