/**
 * The storage seam: one repository per area over one database handle. Services receive this
 * object and never see SQL, so another backend can provide the same functions.
 */
import type { Database } from "bun:sqlite";
import { createAccountDataRepo } from "./account-data";
import { createAccountsRepo } from "./accounts";
import { closeDatabase } from "./db";
import { createFiltersRepo } from "./filters";
import { createPresenceRepo } from "./presence";
import { createReceiptsRepo } from "./receipts";
import { createServerKeysRepo } from "./server-keys";
import { createStreamPositions } from "./stream-positions";
import { createRemoteKeysRepo } from "./remote-keys";

export function createStorage(db: Database) {
  const streams = createStreamPositions(db);
  return {
    accounts: createAccountsRepo(db),
    serverKeys: createServerKeysRepo(db),
    filters: createFiltersRepo(db),
    accountData: createAccountDataRepo(db, streams),
    receipts: createReceiptsRepo(db, streams),
    presence: createPresenceRepo(db, streams),
    remoteKeys: createRemoteKeysRepo(db),
    /** Runs `fn` in one transaction (one COMMIT, so one fsync, for all of a request's writes). */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn)();
    },
    close(): void {
      closeDatabase(db);
    },
  };
}
export type Storage = ReturnType<typeof createStorage>;
export { openDatabase, checkpoint, scheduleCheckpoints } from "./db";
