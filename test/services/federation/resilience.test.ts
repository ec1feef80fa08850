// Federation through failures, with real instances over TLS on loopback: a receiver that is down
// while 200 messages are sent gets every one, in order, once it is back; a sender killed with -9
// while its queue is full delivers it after a restart; two servers partitioned while both change
// the power levels and the topic converge on the same state once they can talk again.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { registerUser, trustTestCa } from "../../helpers/client";
import { messagesStartingWith, say, setState, sharedRoom, stateContent, texts, timeline, until } from "../../helpers/federated-rooms";
import { freePort, startFederatedServer, type FederatedServer, type FederationSetup } from "../../helpers/federation";
import { startTcpProxy } from "../../helpers/tcp-proxy";
import { createTestCa, type TestCa } from "../../helpers/tls";

let ca: TestCa;
let setup: FederationSetup;

beforeAll(() => {
  ca = createTestCa();
  setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
  trustTestCa(ca.caCert);
});
afterAll(() => ca?.remove());

/** A server whose data outlives its process: restarted on the same port, so with the same name. */
interface Durable {
  current(): FederatedServer;
  stop(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<FederatedServer>;
  dispose(): Promise<void>;
}

async function durableServer(opts: { namePort?: number; port?: number } = {}): Promise<Durable> {
  const dataDir = mkdtempSync(join(tmpdir(), "conduit-durable-"));
  const port = opts.port ?? freePort();
  const launch = () => startFederatedServer(setup, { dataDir, port, namePort: opts.namePort });
  let server: FederatedServer | undefined = await launch();
  return {
    current: () => server!,
    async stop(signal = "SIGTERM") {
      await server?.stop(signal);
      server = undefined;
    },
    async start() {
      server = await launch();
      return server;
    },
    async dispose() {
      await server?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test("a receiver that is down while 200 messages are sent gets all of them, in order", async () => {
  const a = await durableServer();
  const b = await durableServer();
  try {
    const [alice, bob] = await Promise.all([registerUser(a.current().baseUrl, "alice"), registerUser(b.current().baseUrl, "bob")]);
    const roomId = await sharedRoom(a.current(), alice, b.current(), bob);
    await b.stop();
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}`);
    for (const body of sent) await say(a.current(), alice, roomId, body);
    const back = await b.start();
    // A request from B tells A it is back (else A's backoff timer brings it there later).
    await say(back, bob, roomId, "back");
    expect(await messagesStartingWith(back, bob, roomId, "m", 200)).toEqual(sent);
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
}, 120_000);

test("a sender killed with -9 while its queue is full delivers it after a restart", async () => {
  const a = await durableServer();
  const b = await durableServer();
  try {
    const [alice, bob] = await Promise.all([registerUser(a.current().baseUrl, "alice"), registerUser(b.current().baseUrl, "bob")]);
    const roomId = await sharedRoom(a.current(), alice, b.current(), bob);
    await b.stop();
    const sent = Array.from({ length: 30 }, (_, i) => `q${i}`);
    for (const body of sent) await say(a.current(), alice, roomId, body);
    await a.stop("SIGKILL");
    const [aAgain, bAgain] = await Promise.all([a.start(), b.start()]);
    await say(bAgain, bob, roomId, "back");
    expect(await messagesStartingWith(bAgain, bob, roomId, "q", 30)).toEqual(sent);
    void aAgain;
  } finally {
    await Promise.all([a.dispose(), b.dispose()]);
  }
}, 120_000);

test("two partitioned servers that both change power levels and topic converge after healing", async () => {
  // Each server is named after a relay in front of it: cutting the relays partitions them.
  const [portA, portB] = [freePort(), freePort()];
  const relayA = startTcpProxy(portA);
  const relayB = startTcpProxy(portB);
  const a = await durableServer({ port: portA, namePort: relayA.port });
  const b = await durableServer({ port: portB, namePort: relayB.port });
  const [sa, sb] = [a.current(), b.current()];
  try {
    const [alice, bob] = await Promise.all([registerUser(sa.baseUrl, "alice"), registerUser(sb.baseUrl, "bob")]);
    const roomId = await sharedRoom(sa, alice, sb, bob);
    const levels = (await stateContent(sa, alice, roomId, "m.room.power_levels"))!;
    await setState(sa, alice, roomId, "m.room.power_levels", { ...levels, users: { ...(levels.users as object), [bob.user_id]: 100 } });
    await until("bob's power on B", async () => {
      const l = await stateContent(sb, bob, roomId, "m.room.power_levels");
      return (l?.users as Record<string, number> | undefined)?.[bob.user_id] === 100 ? true : undefined;
    });

    relayA.cut();
    relayB.cut();
    await setState(sa, alice, roomId, "m.room.topic", { topic: "topic from A" });
    await setState(sb, bob, roomId, "m.room.topic", { topic: "topic from B" });
    const onA = (await stateContent(sa, alice, roomId, "m.room.power_levels"))!;
    await setState(sa, alice, roomId, "m.room.power_levels", { ...onA, events_default: 10 });
    const onB = (await stateContent(sb, bob, roomId, "m.room.power_levels"))!;
    await setState(sb, bob, roomId, "m.room.power_levels", { ...onB, state_default: 60 });
    await say(sa, alice, roomId, "alone on A");
    await say(sb, bob, roomId, "alone on B");
    // While cut off, each still sees only its own changes.
    expect((await stateContent(sa, alice, roomId, "m.room.topic"))?.topic).toBe("topic from A");
    expect((await stateContent(sb, bob, roomId, "m.room.topic"))?.topic).toBe("topic from B");

    relayA.restore();
    relayB.restore();
    await say(sa, alice, roomId, "healed A");
    await say(sb, bob, roomId, "healed B");
    const converged = await until(
      "the same state on both sides",
      async () => {
        const state = await Promise.all(
          [[sa, alice], [sb, bob]].flatMap(([s, who]) =>
            ["m.room.topic", "m.room.power_levels"].map((type) =>
              stateContent(s as FederatedServer, who as typeof alice, roomId, type),
            ),
          ),
        );
        const [topicA, levelsA, topicB, levelsB] = state;
        const textsA = texts(await timeline(sa, alice, roomId));
        const textsB = texts(await timeline(sb, bob, roomId));
        const allMessages = ["alone on A", "alone on B", "healed A", "healed B"].every((m) => textsA.includes(m) && textsB.includes(m));
        return allMessages && Bun.deepEquals(topicA, topicB) && Bun.deepEquals(levelsA, levelsB) ? { topicA, levelsA } : undefined;
      },
      60_000,
    );
    expect(["topic from A", "topic from B"]).toContain(converged.topicA?.topic as string);
    expect(converged.levelsA?.users).toMatchObject({ [bob.user_id]: 100 });
  } finally {
    relayA.close();
    relayB.close();
    await Promise.all([a.dispose(), b.dispose()]);
  }
}, 120_000);
