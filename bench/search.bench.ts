/**
 * Server-side search over 200,000 messages, in process over a database file:
 *   1. p50/p99 of `POST /search` (the service call: query, visibility, filter, count, format) for
 *      common, mid-frequency and rare words, two words, a prefix, a CJK word, and recent order;
 *   2. the FTS index size per message;
 *   3. the tokenizer choice, side by side on the same texts: unicode61 (accents folded, CJK by
 *      character, what the server uses) against trigram, size and the same queries at SQL level.
 * The corpus (Zipf-distributed words, some accented, one message in ten Chinese) is written
 * through the storage layer's insert functions and the indexer's text rules, in big
 * transactions; it lives in a temporary directory. Run alone: `bun bench/search.bench.ts`.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { canonicalJson } from "../src/core/json/canonical-json";
import { indexableText } from "../src/core/search/text";
import { createLogger } from "../src/runtime/logger";
import { systemClock } from "../src/runtime/clock";
import { buildServices } from "../src/services";
import type { Requester } from "../src/services/accounts/access-tokens";
import { loadOrCreateSigningKey } from "../src/services/federation/keys/signing-key";
import { searchableText } from "../src/services/search/indexer";
import { createStorage, openDatabase } from "../src/storage";
import { createFederationSender } from "../src/workers/federation-sender/sender";
import { createThumbnailer } from "../src/workers/thumbnailer/pool";
import { percentile } from "./bench-server.ts";

const MESSAGES = Number(process.env.SEARCH_BENCH_MESSAGES ?? 200_000);
const ROOMS = 50;
const VOCABULARY = 20_000;
const RUNS = 200;

/** Deterministic PRNG (mulberry32): the same corpus every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);

/** Draws ranks 0..n-1 with Zipf weights 1/(r+1)^s, as word frequencies fall in real text. */
function zipf(n: number, s = 1.07): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cumulative[r] = sum += 1 / Math.pow(r + 1, s);
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "pa", "dor", "lin", "mar", "que", "tis", "ber", "gan", "hol", "ves", "cri"];
const ACCENTED: Record<string, string> = { a: "á", e: "é", i: "í", o: "ö", u: "ü" };
const words: string[] = [];
const seen = new Set<string>();
while (words.length < VOCABULARY) {
  let w = "";
  const n = 2 + Math.floor(random() * 3);
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  if (seen.has(w)) continue;
  seen.add(w);
  // One word in twenty carries an accent (found without it too).
  words.push(random() < 0.05 ? w.replace(/[aeiou]/, (c) => ACCENTED[c]!) : w);
}
const hanCount = 3000;
const nextWord = zipf(VOCABULARY);
const nextHan = zipf(hanCount, 0.9);

function message(): string {
  if (random() < 0.1) {
    let s = "";
    const n = 8 + Math.floor(random() * 22);
    for (let i = 0; i < n; i++) s += String.fromCodePoint(0x4e00 + nextHan());
    return s;
  }
  const n = 4 + Math.floor(random() * 16);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(words[nextWord()]!);
  return out.join(" ");
}

function timeEach(runs: number, fn: (i: number) => void): number[] {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn(i);
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}
const line = (label: string, ms: number[]) =>
  console.log(`${label.padEnd(58)} p50 ${percentile(ms, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(ms, 99).toFixed(2).padStart(7)} ms`);

const dir = mkdtempSync(join(tmpdir(), "conduit-search-bench-"));
const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false", CONDUIT_SERVER_NAME: "bench.local" }, warn: () => {} });
const db = openDatabase(join(dir, "conduit.db"));
const storage = createStorage(db);
const log = createLogger("error", () => {});
const signingKey = loadOrCreateSigningKey(storage, systemClock);
const outbound = createFederationSender({ config, storage, clock: systemClock, log, signingKey });
const services = buildServices({ config, storage, clock: systemClock, log, signingKey, outbound, thumbnailer: createThumbnailer() });
const trigramDir = join(dir, "trigram.db");
try {
  const userId = "@searcher:bench.local";
  storage.accounts.insertUser({ userId, passwordHash: null, displayname: null, isGuest: false, createdTs: 0 });
  storage.accounts.ensureDevice(userId, "D", null, 0);
  const searcher: Requester = { userId, deviceId: "D", isGuest: false };
  const rooms: { roomId: string; group: number; depth: number }[] = [];
  for (let i = 0; i < ROOMS; i++) {
    const { room_id } = await services.rooms.creation.createRoom(searcher, { preset: "private_chat" });
    const head = services.rooms.heads.get(room_id)!;
    rooms.push({ roomId: room_id, group: head.stateGroup!, depth: head.depth });
  }

  // The corpus: message rows and their index entries, as the persister and indexer write them.
  const bodies: string[] = [];
  const seedStart = performance.now();
  const BATCH = 5_000;
  for (let start = 0; start < MESSAGES; start += BATCH) {
    storage.transaction(() => {
      for (let i = start; i < Math.min(start + BATCH, MESSAGES); i++) {
        const room = rooms[i % ROOMS]!;
        const body = message();
        bodies.push(body);
        const content = { msgtype: "m.text", body };
        const depth = ++room.depth;
        const pdu = { type: "m.room.message", room_id: room.roomId, sender: userId, content, origin_server_ts: 1_700_000_000_000 + i, depth, prev_events: [], auth_events: [], hashes: { sha256: "x" }, signatures: {} };
        const eventId = `$bench${i}`;
        const stream = storage.events.insert({
          event_id: eventId, room_id: room.roomId, depth, type: "m.room.message", state_key: null, sender: userId,
          origin_server_ts: pdu.origin_server_ts, membership: null, json: canonicalJson(pdu), outlier: false, rejected_reason: null,
          soft_failed: false, state_before: room.group, state_after: room.group, replaces_state: null, received_ts: 0,
        });
        storage.search.index(stream, room.roomId, searchableText({ ...pdu, event_id: eventId } as never)!);
      }
    });
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(`(seeded ${MESSAGES.toLocaleString("en-US")} messages in ${ROOMS} rooms in ${seedSeconds.toFixed(0)} s)`);

  const search = (criteria: Record<string, unknown>) => services.search.roomEvents.search(searcher, { search_categories: { room_events: criteria } }, undefined);
  const pick = (lo: number, hi: number) => (i: number) => words[lo + ((i * 7919) % (hi - lo))]!;
  const common = pick(10, 100);
  const mid = pick(1000, 3000);
  const rare = pick(12_000, 20_000);
  const cjk = (i: number) => {
    const body = bodies.filter((b) => b.codePointAt(0)! >= 0x4e00)[i % 1000]!;
    return body.slice(3, 5);
  };
  const queries: [string, (i: number) => string, string?][] = [
    ["a common word (rank 10-100), by rank", common],
    ["a mid-frequency word (rank 1,000-3,000), by rank", mid],
    ["a rare word (rank 12,000-20,000), by rank", rare],
    ["two words (mid + common), by rank", (i) => `${mid(i)} ${common(i + 1)}`],
    ["a prefix (3 letters of a mid word), by rank", (i) => mid(i).slice(0, 3)],
    ["a 2-character Chinese word, by rank", cjk],
    ["a common word, by recent", common, "recent"],
    ["a mid-frequency word, by recent", mid, "recent"],
  ];
  console.log(`POST /search, limit 10, over ${MESSAGES.toLocaleString("en-US")} messages (service call, in process):`);
  for (const [label, term, order] of queries) {
    search({ search_term: term(0), order_by: order ?? "rank" });
    line(`  ${label}`, timeEach(RUNS, (i) => search({ search_term: term(i), order_by: order ?? "rank" })));
  }

  const ftsBytes = storage.search.sizeBytes();
  console.log(`FTS index (unicode61, CJK by character): ${(ftsBytes / 1e6).toFixed(1)} MB, ${(ftsBytes / MESSAGES).toFixed(0)} bytes per message`);

  // The alternative tokenizer on the same texts: trigram needs no CJK splitting but cannot match
  // fewer than three characters.
  const tri = new Database(trigramDir);
  tri.run("CREATE VIRTUAL TABLE t USING fts5(body, content='', contentless_delete=1, tokenize='trigram remove_diacritics 1')");
  const uni = new Database(join(dir, "unicode61.db"));
  uni.run("CREATE VIRTUAL TABLE t USING fts5(body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')");
  for (const [target, text] of [[tri, (b: string) => b], [uni, indexableText]] as const) {
    const insert = target.query("INSERT INTO t (rowid, body) VALUES (?, ?)");
    target.transaction(() => bodies.forEach((b, i) => insert.run(i + 1, text(b))))();
  }
  const size = (d: Database) => d.query<{ b: number }, []>("SELECT SUM(pgsize) AS b FROM dbstat WHERE name LIKE 't%'").get()!.b;
  console.log(`tokenizers on the same ${MESSAGES.toLocaleString("en-US")} texts, index size per message:`);
  console.log(`  unicode61 + CJK by character ${(size(uni) / MESSAGES).toFixed(0)} bytes, trigram ${(size(tri) / MESSAGES).toFixed(0)} bytes (${(size(tri) / size(uni)).toFixed(1)}x)`);
  const top10 = (d: Database, match: string) => d.query("SELECT rowid FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10").all(match);
  const hits = (d: Database, match: string) => d.query<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM t WHERE t MATCH ?").get(match)!.n;
  const sqlQueries: [string, (i: number) => [string, string]][] = [
    ["a common word", (i) => [`"${common(i)}"`, `"${common(i)}"`]],
    ["a mid-frequency word", (i) => [`"${mid(i)}"`, `"${mid(i)}"`]],
    ["a rare word", (i) => [`"${rare(i)}"`, `"${rare(i)}"`]],
    ["a 3-letter prefix", (i) => [`"${mid(i).slice(0, 3)}" *`, `"${mid(i).slice(0, 3)}"`]],
    ["a 2-character Chinese word", (i) => [`"${indexableText(cjk(i)).trim()}"`, `"${cjk(i)}"`]],
  ];
  console.log("  top 10 by rank at SQL level (unicode61 vs trigram):");
  for (const [label, q] of sqlQueries) {
    const u = timeEach(RUNS, (i) => top10(uni, q(i)[0]));
    const t = timeEach(RUNS, (i) => top10(tri, q(i)[1]));
    const [um, tm] = q(0);
    console.log(`    ${label.padEnd(28)} p50 ${percentile(u, 50).toFixed(2)} vs ${percentile(t, 50).toFixed(2)} ms, p99 ${percentile(u, 99).toFixed(2)} vs ${percentile(t, 99).toFixed(2)} ms, hits ${hits(uni, um)} vs ${hits(tri, tm)}`);
  }
  tri.close();
  uni.close();
} finally {
  await outbound.stop();
  storage.close();
  if (process.env.SEARCH_BENCH_KEEP) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
