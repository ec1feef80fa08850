/**
 * The storage seam: one repository per area over one database handle. Services receive this
 * object and never see SQL, so another backend can provide the same functions.
 */
import type { Database } from "bun:sqlite";
import { createAccountDataRepo } from "./account-data";
import { createAccountsRepo } from "./accounts";
import { createAliasesRepo } from "./aliases";
import { createMaintenanceRepo } from "./maintenance";
import { closeDatabase } from "./db";
import { createEventsRepo } from "./events";
import { createFiltersRepo } from "./filters";
import { createMembershipsRepo } from "./memberships";
import { createPresenceRepo } from "./presence";
import { createReceiptsRepo } from "./receipts";
import { createRoomActivityRepo } from "./room-activity";
import { createRoomsRepo } from "./rooms";
import { createServerKeysRepo } from "./server-keys";
import { createStateRepo } from "./state";
import { createStreamPositions } from "./stream-positions";
import { createTxnIdsRepo } from "./txn-ids";
import { createRemoteKeysRepo } from "./remote-keys";
import { createFederationQueueRepo } from "./federation-queue";
import { createFederationTxnsRepo } from "./federation-txns";
import { createAppservicesRepo } from "./appservices";
import { createAppserviceRoomListsRepo } from "./appservice-room-lists";
import { createAppserviceQueueRepo } from "./appservice-queue";
import { createOpenIdTokensRepo } from "./openid-tokens";
import { createMediaRepo } from "./media";
import { createPushersRepo } from "./pushers";
import { createPushNotificationsRepo } from "./push-notifications";
import { createPushQueueRepo } from "./push-queue";
import { createPushRulesRepo } from "./push-rules";
import { createE2eeKeysRepo } from "./e2ee-keys";
import { createToDeviceRepo } from "./to-device";
import { createDeviceListsRepo } from "./device-lists";
import { createKeyBackupRepo } from "./key-backup";
import { createRoomBlocksRepo } from "./room-blocks";
import { createRoomPurgeRepo } from "./room-purge";
import { createServerStatsRepo } from "./server-stats";
import { createRegistrationTokensRepo } from "./registration-tokens";
import { createReportsRepo } from "./reports";
import { createDelayedEventsRepo } from "./delayed-events";
import { createRelationsRepo } from "./relations";
import { createSearchRepo } from "./search";
import { createUserDirectoryRepo } from "./user-directory";
import { createIgnoredUsersRepo } from "./ignored-users";
import { createSlidingSyncRepo } from "./sliding-sync";

export function createStorage(db: Database) {
  const streams = createStreamPositions(db);
  return {
    accounts: createAccountsRepo(db),
    serverKeys: createServerKeysRepo(db),
    rooms: createRoomsRepo(db),
    events: createEventsRepo(db),
    state: createStateRepo(db),
    memberships: createMembershipsRepo(db),
    aliases: createAliasesRepo(db),
    txnIds: createTxnIdsRepo(db),
    filters: createFiltersRepo(db),
    accountData: createAccountDataRepo(db, streams),
    receipts: createReceiptsRepo(db, streams),
    presence: createPresenceRepo(db, streams),
    roomActivity: createRoomActivityRepo(db),
    remoteKeys: createRemoteKeysRepo(db),
    federationQueue: createFederationQueueRepo(db),
    federationTxns: createFederationTxnsRepo(db),
    appservices: createAppservicesRepo(db),
    appserviceQueue: createAppserviceQueueRepo(db),
    appserviceRoomLists: createAppserviceRoomListsRepo(db),
    openIdTokens: createOpenIdTokensRepo(db),
    media: createMediaRepo(db),
    pushRules: createPushRulesRepo(db, streams),
    pushers: createPushersRepo(db),
    pushNotifications: createPushNotificationsRepo(db),
    pushQueue: createPushQueueRepo(db),
    e2eeKeys: createE2eeKeysRepo(db),
    toDevice: createToDeviceRepo(db, streams),
    deviceLists: createDeviceListsRepo(db, streams),
    keyBackup: createKeyBackupRepo(db),
    roomBlocks: createRoomBlocksRepo(db),
    roomPurge: createRoomPurgeRepo(db),
    serverStats: createServerStatsRepo(db),
    registrationTokens: createRegistrationTokensRepo(db),
    reports: createReportsRepo(db),
    delayedEvents: createDelayedEventsRepo(db),
    relations: createRelationsRepo(db),
    search: createSearchRepo(db),
    userDirectory: createUserDirectoryRepo(db),
    ignoredUsers: createIgnoredUsersRepo(db),
    maintenance: createMaintenanceRepo(db),
    slidingSync: createSlidingSyncRepo(db),
    /**
     * Runs `fn` in one transaction (one COMMIT, so one fsync, for all of a request's writes). It
     * takes the write lock at once (IMMEDIATE): the federation sender writes through its own
     * connection, and a deferred transaction that read before that commit could not write after.
     */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    /**
     * A transaction whose commit does not wait for the disk (WAL, synchronous=NORMAL): it survives
     * the process being killed, and reaches the disk with the next synced commit or checkpoint, so
     * only a power loss can undo it. For state a client can rebuild (sliding sync connections).
     */
    unsyncedTransaction<T>(fn: () => T): T {
      db.run("PRAGMA synchronous = NORMAL");
      try {
        return db.transaction(fn).immediate();
      } finally {
        db.run("PRAGMA synchronous = FULL");
      }
    },
    close(): void {
      closeDatabase(db);
    },
  };
}
export type Storage = ReturnType<typeof createStorage>;
export { openDatabase, openForTool, checkpoint, scheduleCheckpoints, integrityCheckOwed, integrityCheckPassed } from "./db";
export { checkIntegrity, type IntegrityReport } from "./integrity";
