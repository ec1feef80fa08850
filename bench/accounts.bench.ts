/**
 * Account hot paths: authenticating an access token (the first step of every client request),
 * a whole `GET /account/whoami` through the app without a socket, taking a rate-limit token,
 * and argon2id hashing and verification (the cost of a registration or login, run by Bun's
 * thread pool: two in flight at once on this 2-core machine).
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../src/api/app.ts";
import { loadConfig } from "../src/config.ts";
import { buildServices } from "../src/services/index.ts";
import { hashPassword, verifyPassword } from "../src/services/accounts/passwords.ts";
import { hashToken, newAccessToken } from "../src/services/accounts/access-tokens.ts";
import { loadOrCreateSigningKey } from "../src/services/federation/keys/signing-key.ts";
import { createRateLimiter } from "../src/services/rate-limit.ts";
import { createFederationSender } from "../src/workers/federation-sender/sender.ts";
import { systemClock } from "../src/runtime/clock.ts";
import { createLogger } from "../src/runtime/logger.ts";
import { createStorage, openDatabase } from "../src/storage/index.ts";
import { createThumbnailer } from "../src/workers/thumbnailer/pool.ts";
import { opsPerSecond, report } from "./measure.ts";

const dir = mkdtempSync(join(tmpdir(), "conduit-bench-"));
const config = await loadConfig({ env: { CONDUIT_RATE_LIMITS_ENABLED: "false" }, warn: () => {} });
const storage = createStorage(openDatabase(join(dir, "conduit.db")));
const log = createLogger("error", () => {});
const signingKey = loadOrCreateSigningKey(storage, systemClock);
const outbound = createFederationSender({ config, storage, clock: systemClock, log, signingKey });
const services = buildServices({ config, storage, clock: systemClock, log, signingKey, outbound, thumbnailer: createThumbnailer() });

// A thousand users with a device and token each, so the token lookup is not a one-row table.
let token = "";
storage.transaction(() => {
  for (let i = 0; i < 1000; i++) {
    const userId = `@u${i}:localhost`;
    storage.accounts.insertUser({ userId, passwordHash: null, displayname: null, isGuest: false, createdTs: 0 });
    storage.accounts.ensureDevice(userId, "DEVICE", null, 0);
    token = newAccessToken();
    storage.accounts.insertToken(hashToken(token), userId, "DEVICE", 0);
  }
});

report("authenticate (token -> requester)", opsPerSecond(() => services.accounts.tokens.authenticate(token, "127.0.0.1")));

const app = createApp(services);
const whoami = () =>
  app.handle(new Request("http://localhost/_matrix/client/v3/account/whoami", { headers: { authorization: `Bearer ${token}` } }));
let done = 0;
const until = performance.now() + 1000;
while (performance.now() < until) {
  await Promise.all(Array.from({ length: 50 }, whoami));
  done += 50;
}
report("GET /account/whoami through the app", done);

// Enabled, with a rate no loop here reaches: every call does the full bucket arithmetic.
const limits = createRateLimiter({ ...config.rate_limits, enabled: true, message: { per_second: 1e9, burst: 1e9 } }, systemClock);
let n = 0;
report("rate limit take (10,000 keys)", opsPerSecond(() => limits.take("message", `@u${n++ % 10_000}:localhost`)));

const hash = await hashPassword("correct horse battery staple");
async function timed(label: string, op: () => Promise<unknown>): Promise<void> {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < 2000) {
    await Promise.all([op(), op()]);
    count += 2;
  }
  report(label, count / ((performance.now() - start) / 1000), "(2 in flight)");
}
await timed("argon2id hash (19 MiB, t=2)", () => hashPassword("correct horse battery staple"));
await timed("argon2id verify", () => verifyPassword("correct horse battery staple", hash));

storage.close();
rmSync(dir, { recursive: true, force: true });
