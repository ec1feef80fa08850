/**
 * Relations over real HTTP against a real server process (temporary database, WAL +
 * synchronous=FULL):
 *   1. `/relations` on a thread of 5,000 replies: the newest page, a page deep in the thread (by
 *      its token), the replies only (`/m.thread`), and with `recurse` (every reply also has a
 *      reaction, so the walk covers 10,000 events);
 *   2. what bundled aggregations cost on `/messages`: a page of 100 events in a room where every
 *      message is a thread root with a reply, an edit and a reference, side by side with a page of
 *      100 plain messages;
 * with the server's CPU time per request. Run alone: `bun bench/relations.bench.ts`.
 */
import { call, percentile, register, startServer, type Session } from "./bench-server.ts";

const THREAD_REPLIES = 5_000;
const PAGE = 50;
const SAMPLES = 300;
const WARMUP = 50;
const ROOTS = 100;
const SEED_CONCURRENCY = 8;

const enc = encodeURIComponent;
let txn = 0;

async function send(baseUrl: string, who: Session, roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
  const res = await call<{ event_id: string }>(baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/${type}/b${++txn}`, who.access_token, content);
  return res.event_id;
}

/** Runs `make(i)` for i in [0, count) with a few in flight at once. */
async function inParallel(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
    while (next < count) await make(next++);
  }));
}

const text = (body: string, extra: Record<string, unknown> = {}) => ({ msgtype: "m.text", body, ...extra });

interface Timed {
  ms: number[];
  cpuMs: number;
}

async function timed(server: { cpuMs(): number }, run: () => Promise<unknown>): Promise<Timed> {
  for (let i = 0; i < WARMUP; i++) await run();
  const ms: number[] = [];
  const cpu0 = server.cpuMs();
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return { ms, cpuMs: (server.cpuMs() - cpu0) / SAMPLES };
}

function line(label: string, t: Timed): number {
  const sorted = [...t.ms].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(2).padStart(7);
  const p50 = percentile(sorted, 50);
  console.log(`${label.padEnd(52)} p50 ${f(p50)} ms   p99 ${f(percentile(sorted, 99))} ms   server CPU ${f(t.cpuMs)} ms/request`);
  return p50;
}

const server = await startServer();
try {
  const { baseUrl } = server;
  const [alice, bob] = await Promise.all([register(baseUrl, "alice"), register(baseUrl, "bob")]);
  const createRoom = async () => {
    const { room_id } = await call<{ room_id: string }>(baseUrl, "POST", "/_matrix/client/v3/createRoom", alice.access_token, { preset: "public_chat" });
    await call(baseUrl, "POST", `/_matrix/client/v3/join/${enc(room_id)}`, bob.access_token, {});
    return room_id;
  };

  // 1. A thread of 5,000 replies, each with a reaction.
  const threadRoom = await createRoom();
  const root = await send(baseUrl, alice, threadRoom, text("root"));
  const seedStart = performance.now();
  await inParallel(THREAD_REPLIES, async (i) => {
    const reply = await send(baseUrl, i % 2 ? alice : bob, threadRoom, text(`reply ${i}`, { "m.relates_to": { rel_type: "m.thread", event_id: root } }));
    await send(baseUrl, alice, threadRoom, { "m.relates_to": { rel_type: "m.annotation", event_id: reply, key: "👍" } }, "m.reaction");
  });
  console.log(`seeded ${THREAD_REPLIES} thread replies and reactions in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

  const relations = (suffix: string, query: string) =>
    call<{ chunk: unknown[]; next_batch?: string }>(baseUrl, "GET", `/_matrix/client/v1/rooms/${enc(threadRoom)}/relations/${enc(root)}${suffix}?${query}`, bob.access_token);
  // A token halfway down the thread.
  let deep: string | undefined;
  for (let page = 0, from = ""; page < THREAD_REPLIES / 2 / 500; page++) {
    const res = await relations("/m.thread", `limit=500${from}`);
    deep = res.next_batch;
    from = `&from=${enc(deep!)}`;
  }
  line(`/relations newest ${PAGE} (5,000-reply thread)`, await timed(server, () => relations("", `limit=${PAGE}`)));
  line(`/relations/m.thread newest ${PAGE}`, await timed(server, () => relations("/m.thread", `limit=${PAGE}`)));
  line(`/relations/m.thread ${PAGE} from halfway down`, await timed(server, () => relations("/m.thread", `limit=${PAGE}&from=${enc(deep!)}`)));
  line(`/relations recurse newest ${PAGE} (10,000 related)`, await timed(server, () => relations("", `limit=${PAGE}&recurse=true`)));
  line(`/event of the root (m.thread bundle)`, await timed(server, () =>
    call(baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(threadRoom)}/event/${enc(root)}`, bob.access_token)));

  // 2. /messages: 100 thread roots with a reply, an edit and a reference each, against 100 plain messages.
  const related = await createRoom();
  await inParallel(ROOTS, async (i) => {
    const id = await send(baseUrl, alice, related, text(`root ${i}`));
    await send(baseUrl, bob, related, text(`reply ${i}`, { "m.relates_to": { rel_type: "m.thread", event_id: id } }));
    await send(baseUrl, alice, related, text(`* root ${i}!`, { "m.new_content": text(`root ${i}!`), "m.relates_to": { rel_type: "m.replace", event_id: id } }));
    await send(baseUrl, bob, related, text(`see ${i}`, { "m.relates_to": { rel_type: "m.reference", event_id: id } }));
  });
  const plain = await createRoom();
  await inParallel(ROOTS * 4, (i) => send(baseUrl, alice, plain, text(`plain ${i}`)));
  // Only the roots: the page is 100 events that each carry three aggregations.
  const onlyRoots = enc(JSON.stringify({ related_by_rel_types: ["m.thread"] }));
  const messages = (roomId: string, filter = "") =>
    call(baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=${ROOTS}${filter}`, bob.access_token);
  const withBundles = line(`/messages ${ROOTS} mixed events (roots, replies, edits, refs)`, await timed(server, () => messages(related)));
  const rootsOnly = line(`/messages ${ROOTS} thread roots (related_by filter)`, await timed(server, () => messages(related, `&filter=${onlyRoots}`)));
  const bare = line(`/messages ${ROOTS} plain messages (no relations)`, await timed(server, () => messages(plain)));
  console.log(`bundled aggregations on /messages: mixed page ${(withBundles / bare).toFixed(2)}x, all-roots page ${(rootsOnly / bare).toFixed(2)}x the plain page's p50`);
} finally {
  await server.stop();
}
