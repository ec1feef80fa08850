/**
 * The scale fixture: a database built through the server's own services (room creation, joins,
 * leaves, state changes, messages; accounts through the accounts repository), not raw SQL, at a
 * chosen scale. Scale 1: 50 users, 100 rooms (2 of them with every user, the rest with 2-10
 * members), 2,000 messages, with state churn (renames, topic changes, members leaving and coming
 * back). Each user is in about the same number of rooms at every scale, so what a user asks for
 * stays the same size while the database grows. Writes `tokens.json` (an access token per user)
 * beside the database. `bun bench/scale-fixture.ts DIR SCALE` builds one alone; the output belongs
 * under `bench/.fixtures/` (ignored by git) or a temporary directory.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/runtime/logger";
import { systemClock } from "../src/runtime/clock";
import { buildServices } from "../src/services";
import { hashToken, newAccessToken, type Requester } from "../src/services/accounts/access-tokens";
import { loadOrCreateSigningKey } from "../src/services/federation/keys/signing-key";
import { createStorage, openDatabase } from "../src/storage";
import { createFederationSender } from "../src/workers/federation-sender/sender";
import { createThumbnailer } from "../src/workers/thumbnailer/pool";

export interface FixtureSummary {
  users: number;
  rooms: number;
  events: number;
  /** The rooms with every user, for sends and /messages in a big room. */
  bigRooms: string[];
  tokens: Record<string, string>;
}

/** A small deterministic generator, so every build of a scale is the same fixture. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export async function buildFixture(dir: string, scale: number, serverName = "localhost"): Promise<FixtureSummary> {
  mkdirSync(dir, { recursive: true });
  const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false", CONDUIT_SERVER_NAME: serverName }, warn: () => {} });
  const storage = createStorage(openDatabase(join(dir, "conduit.db")));
  const log = createLogger("error", () => {});
  const signingKey = loadOrCreateSigningKey(storage, systemClock);
  const outbound = createFederationSender({ config, storage, clock: systemClock, log, signingKey });
  const services = buildServices({ config, storage, clock: systemClock, log, signingKey, outbound, thumbnailer: createThumbnailer() });
  const rnd = random(scale);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  try {
    const users: Requester[] = [];
    const tokens: Record<string, string> = {};
    for (let i = 0; i < 50 * scale; i++) {
      const userId = `@user${i}:${serverName}`;
      storage.accounts.insertUser({ userId, passwordHash: null, displayname: `User ${i}`, isGuest: false, createdTs: 0 });
      storage.accounts.ensureDevice(userId, "BENCH", null, 0);
      const token = newAccessToken();
      storage.accounts.insertToken(hashToken(token), userId, "BENCH", 0);
      tokens[userId] = token;
      users.push({ userId, deviceId: "BENCH", isGuest: false });
    }
    const members = new Map<string, Requester[]>();
    const bigRooms: string[] = [];
    for (let r = 0; r < 100 * scale; r++) {
      const owner = pick(users);
      const { room_id } = await services.rooms.creation.createRoom(owner, { preset: "public_chat", name: `room ${r}` });
      const big = r < 2;
      const inRoom = big ? users : [owner, ...Array.from({ length: 1 + Math.floor(rnd() * 9) }, () => pick(users))];
      const joined = new Set<string>([owner.userId]);
      for (const u of inRoom) {
        if (joined.has(u.userId)) continue;
        await services.membership.join(u, room_id);
        joined.add(u.userId);
      }
      // The owner first: it holds the power to change the topic.
      members.set(room_id, [owner, ...users.filter((u) => u !== owner && joined.has(u.userId))]);
      if (big) bigRooms.push(room_id);
    }
    const rooms = [...members.keys()];
    for (let e = 0; e < 2_000 * scale; e++) {
      const roomId = rnd() < 0.3 ? pick(bigRooms) : pick(rooms);
      const inRoom = members.get(roomId)!;
      const who = pick(inRoom);
      const roll = rnd();
      if (roll < 0.03) {
        await services.rooms.actions.setState(inRoom[0]!, roomId, "m.room.topic", "", { topic: `topic ${e}` });
      } else if (roll < 0.05 && who.userId !== inRoom[0]!.userId) {
        // A member leaves and comes back: two membership events, the state moves twice.
        await services.membership.leave(who, roomId);
        await services.membership.join(who, roomId);
      } else {
        await services.rooms.actions.sendMessage(who, roomId, "m.room.message", `f${e}`, { msgtype: "m.text", body: `fixture message ${e}` });
      }
    }
    // Every event the database holds (creation events included); stream orderings count them.
    const summary: FixtureSummary = { users: users.length, rooms: rooms.length, events: storage.events.maxStreamOrdering(), bigRooms, tokens };
    writeFileSync(join(dir, "tokens.json"), JSON.stringify(summary));
    return summary;
  } finally {
    await outbound.stop();
    storage.close();
  }
}

if (import.meta.main) {
  const [dir, scale] = process.argv.slice(2);
  if (!dir) throw new Error("usage: bun bench/scale-fixture.ts DIR [SCALE]");
  const t0 = performance.now();
  const summary = await buildFixture(dir, Number(scale ?? 1));
  console.log(`${summary.users} users, ${summary.rooms} rooms, ${summary.events} events in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(0);
}
