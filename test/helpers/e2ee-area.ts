/**
 * The E2EE area over an in-memory database with a controllable clock, for service-level tests:
 * it records whose syncs were woken and which EDUs were queued for which servers, and lets a
 * test play the other servers (`remote`), answering federation requests as they would.
 */
import { loadConfig } from "../../src/config";
import type { JsonObject } from "../../src/core";
import { hashPassword, createPasswordChecker } from "../../src/services/accounts/passwords";
import { createFakeClock } from "../../src/runtime/clock";
import { buildE2ee } from "../../src/services/e2ee";
import type { Edu } from "../../src/core";
import type { FederationClient, FederationRequest } from "../../src/net/federation-client";
import { createLogger } from "../../src/runtime/logger";
import { MatrixError } from "../../src/services/matrix-error";
import { createRateLimiter } from "../../src/services/rate-limit";
import { createNotifier } from "../../src/services/sync/notifier";
import { createUiaService } from "../../src/services/accounts/uia";
import { createStorage, openDatabase } from "../../src/storage";

export const SERVER = "a.test";

export type RemoteHandler = (destination: string, req: FederationRequest) => Promise<unknown>;

export async function e2eeArea() {
  const clock = createFakeClock();
  const config = await loadConfig({ env: { CONDUIT_SERVER_NAME: SERVER, CONDUIT_RATE_LIMITS_ENABLED: "false" }, warn: () => {} });
  const storage = createStorage(openDatabase(":memory:"));
  const rateLimits = createRateLimiter(config.rate_limits, clock);
  const uia = createUiaService({ clock, rateLimits, passwords: createPasswordChecker(storage, rateLimits, SERVER), registrationToken: undefined, storedTokens: storage.registrationTokens });
  const woken: string[] = [];
  const notifier = createNotifier(clock);
  const wake = notifier.wakeUsers;
  notifier.wakeUsers = (users) => {
    const list = [...users];
    woken.push(...list);
    wake(list);
  };
  const edus: { destinations: string[]; edu: Edu }[] = [];
  const requests: { destination: string; req: FederationRequest }[] = [];
  let remote: RemoteHandler = async (destination) => {
    throw new Error(`${destination} is unreachable`);
  };
  const federation: FederationClient = {
    request<T>(destination: string, req: FederationRequest): Promise<T> {
      requests.push({ destination, req });
      return remote(destination, req) as Promise<T>;
    },
  };
  const e2ee = buildE2ee({
    serverName: SERVER,
    storage,
    clock,
    log: createLogger("error", () => {}),
    uia,
    federation,
    notifier,
    queueEdu: (destinations, edu) => edus.push({ destinations: [...destinations].sort(), edu }),
  });

  let stream = 0;
  /** Sets a membership directly (what the rooms area records), at the next stream position. */
  function member(roomId: string, userId: string, membership = "join"): number {
    stream++;
    storage.memberships.set(roomId, userId, membership, `$m${stream}`, stream, userId);
    return stream;
  }

  async function addUser(localpart: string, devices: readonly string[] = ["DEV1"], password = "secret"): Promise<string> {
    const userId = `@${localpart}:${SERVER}`;
    storage.accounts.insertUser({ userId, passwordHash: await hashPassword(password), displayname: null, isGuest: false, createdTs: clock.now() });
    for (const d of devices) storage.accounts.ensureDevice(userId, d, `${d} name`, clock.now());
    return userId;
  }

  return {
    storage,
    e2ee,
    woken,
    edus,
    requests,
    setRemote(handler: RemoteHandler) {
      remote = handler;
    },
    advance: (ms: number) => clock.advance(ms),
    member,
    /** The current stream position of membership changes made with `member`. */
    events: () => stream,
    addUser,
    requester: (userId: string, deviceId = "DEV1") => ({ userId, deviceId, isGuest: false }),
    ctx: (operation: string) => ({ operation, clientAddress: "127.0.0.1" }),
    edusOfType: (type: string) => edus.filter((e) => e.edu.edu_type === type).map((e) => ({ destinations: e.destinations, content: e.edu.content as JsonObject })),
  };
}
export type E2eeArea = Awaited<ReturnType<typeof e2eeArea>>;

/** The MatrixError `run` throws (it must throw one). */
export function refusal(run: () => unknown): MatrixError {
  try {
    run();
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}

/** The MatrixError the promise of `run` rejects with (it must reject with one). */
export async function rejection(run: () => Promise<unknown>): Promise<MatrixError> {
  try {
    await run();
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
}
