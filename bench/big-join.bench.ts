/**
 * Joining a big room over federation, between two real instances over TLS on loopback (test CA):
 * the host (in this process, so its members and history are made through its services directly)
 * holds the room, and a user of the joining server (its own process) joins it with /join (make_join,
 * send_join, checking and storing the state and auth chain). Two rooms:
 *   1. 10,000 members, no history. Target: under 10 s.
 *   2. 20,000 members and 200,000 events of history, with the joining server's memory capped at
 *      1 GiB. Target: under 60 s without being killed.
 * The cap is a memory cgroup: cgroup v2's `memory.max` where the kernel offers the memory controller
 * there, else cgroup v1's `memory.limit_in_bytes` (this machine's kernel mounts the memory controller
 * as v1); the bench says which it used, or that it could not cap. Reports the time of the /join,
 * the joining server's peak resident memory (VmHWM) and the cgroup's peak (which also counts the
 * page cache of the files it wrote). `bun bench/big-join.bench.ts [--small-only]`.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, registerUser, trustTestCa } from "../test/helpers/client.ts";
import { createRoom } from "../test/helpers/federated-rooms.ts";
import { startFederatedServer, startInProcessServer, type FederatedServer, type InProcessServer } from "../test/helpers/federation.ts";
import { createTestCa } from "../test/helpers/tls.ts";

const GiB = 1024 ** 3;
/** Events the host makes at once: they share group commits. */
const BATCH = 2_000;

const ca = createTestCa();
const setup = { ca, cert: ca.issue("localhost", ["127.0.0.1", "localhost"]) };
trustTestCa(ca.caCert);

function peakMiB(server: FederatedServer): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))?.[1];
  return Number(kb ?? 0) / 1024;
}

interface MemoryCap {
  how: string;
  /** The cgroup's peak memory (resident and page cache) in MiB. */
  peakMiB(): number;
  /** Whether the kernel killed a process of the cgroup for memory. */
  oomKilled(): boolean;
  remove(): void;
}

/** Puts `pid` in a new memory cgroup limited to `bytes`; undefined when the kernel refuses both kinds. */
function capMemory(pid: number, bytes: number): MemoryCap | undefined {
  const name = `conduit-bench-${process.pid}`;
  const attempts: Array<() => MemoryCap> = [
    () => {
      const root = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
      if (!readFileSync(join(root, "cgroup.controllers"), "utf8").split(/\s+/).includes("memory")) throw new Error("no memory controller in cgroup v2");
      writeFileSync(join(root, "cgroup.subtree_control"), "+memory");
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, "memory.max"), String(bytes));
      writeFileSync(join(dir, "cgroup.procs"), String(pid));
      const read = (file: string) => readFileSync(join(dir, file), "utf8");
      return {
        how: `cgroup v2 memory.max = ${bytes / GiB} GiB`,
        peakMiB: () => (existsSync(join(dir, "memory.peak")) ? Number(read("memory.peak")) / 2 ** 20 : Number.NaN),
        oomKilled: () => /oom_kill (\d+)/.exec(read("memory.events"))?.[1] !== "0",
        remove: () => rmdirSync(dir),
      };
    },
    () => {
      const dir = join("/sys/fs/cgroup/memory", name);
      mkdirSync(dir);
      writeFileSync(join(dir, "memory.limit_in_bytes"), String(bytes));
      // The memory the server already has moves with it where the kernel still can (v1 charges
      // stay behind by default; newer kernels refuse to move them).
      try {
        writeFileSync(join(dir, "memory.move_charge_at_immigrate"), "3");
      } catch {
        // Its peak then counts only what it allocates from now on, which is the join.
      }
      writeFileSync(join(dir, "cgroup.procs"), String(pid));
      const read = (file: string) => readFileSync(join(dir, file), "utf8");
      return {
        how: `cgroup v1 memory.limit_in_bytes = ${bytes / GiB} GiB`,
        peakMiB: () => Number(read("memory.max_usage_in_bytes")) / 2 ** 20,
        oomKilled: () => (/oom_kill (\d+)/.exec(read("memory.oom_control"))?.[1] ?? "0") !== "0",
        remove: () => rmdirSync(dir),
      };
    },
  ];
  const refusals: string[] = [];
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch (e) {
      refusals.push(e instanceof Error ? e.message : String(e));
      for (const dir of [join("/sys/fs/cgroup", name), join("/sys/fs/cgroup/unified", name), join("/sys/fs/cgroup/memory", name)]) {
        if (existsSync(dir)) rmdirSync(dir);
      }
    }
  }
  console.log(`(the kernel refused a memory cgroup: ${refusals.join("; ")})`);
  return undefined;
}

/** Runs `make(i)` for i < count, BATCH at a time. */
async function inBatches(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, count - start) }, (_, k) => make(start + k)));
  }
}

/**
 * A public room on the host with `members` joined members and `history` events in all: the
 * messages first (from a few early members), then the members join. Members of the host are
 * local users there, and every message in a room counts as unread for each local member (a row
 * write each): a history written after 20,000 joins would cost the host 20,000 writes per message
 * to build, and what the joining server is given is the same either way (the state at the join
 * and its auth chain).
 */
async function bigRoom(host: InProcessServer, tag: string, members: number, history: number): Promise<string> {
  const owner = await registerUser(host.baseUrl, `owner-${tag}`);
  const roomId = await createRoom(host, owner, { preset: "public_chat", name: `big ${tag}` });
  const t0 = performance.now();
  const member = (i: number) => `@${tag}-member${i}:${host.serverName}`;
  const send = host.services.rooms.send;
  const join = (i: number) =>
    send.send(roomId, { type: "m.room.member", state_key: member(i), sender: member(i), content: { membership: "join", displayname: `Member ${i}` } });
  const EARLY = Math.min(members, 10);
  await inBatches(EARLY, join);
  const messages = Math.max(0, history - members);
  await inBatches(messages, (i) => send.send(roomId, { type: "m.room.message", sender: member(i % EARLY), content: { msgtype: "m.text", body: `history message ${i}` } }));
  const t1 = performance.now();
  await inBatches(members - EARLY, (i) => join(EARLY + i));
  const s = (from: number, to: number) => ((to - from) / 1000).toFixed(1);
  console.log(`(setup: ${messages} messages in ${s(t0, t1)} s, then ${members} members in ${s(t1, performance.now())} s, on the host)`);
  return roomId;
}

async function joinOnce(host: InProcessServer, label: string, roomId: string, targetSeconds: number, capBytes?: number): Promise<void> {
  const b = await startFederatedServer(setup, {});
  const cap = capBytes === undefined ? undefined : capMemory(b.proc.pid, capBytes);
  try {
    const joiner = await registerUser(b.baseUrl, "joiner");
    const rssBefore = peakMiB(b);
    const start = performance.now();
    const res = await api(b.baseUrl, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}?via=${encodeURIComponent(host.serverName)}`, {
      token: joiner.access_token,
      body: {},
    }).catch((e: unknown) => ({ status: 0, body: String(e) }));
    const seconds = (performance.now() - start) / 1000;
    const killed = cap?.oomKilled() ?? false;
    const met = res.status === 200 && seconds < targetSeconds && !killed;
    console.log(
      label.padEnd(58) +
        `${seconds.toFixed(2).padStart(8)} s   ${res.status === 200 ? "joined" : `FAILED (${res.status} ${JSON.stringify(res.body).slice(0, 200)})`}` +
        `   peak memory of the joining server ${Math.round(peakMiB(b))} MiB (${Math.round(rssBefore)} MiB before)` +
        (cap ? `   ${cap.how}: peak ${Math.round(cap.peakMiB())} MiB with page cache, ${killed ? "KILLED" : "not killed"}` : capBytes ? "   (not capped)" : "") +
        `   target < ${targetSeconds} s: ${met ? "met" : "MISSED"}`,
    );
  } finally {
    await b.stop();
    cap?.remove();
  }
}

const host = await startInProcessServer(setup);
try {
  const small = await bigRoom(host, "small", 10_000, 10_000);
  await joinOnce(host, "join a room of 10,000 members", small, 10);
  if (process.argv[2] !== "--small-only") {
    const big = await bigRoom(host, "big", 20_000, 200_000);
    await joinOnce(host, "join 20,000 members, 200,000 events, 1 GiB cap", big, 60, GiB);
  }
} finally {
  await host.close();
  ca.remove();
}
