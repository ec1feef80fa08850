/**
 * Wires the end-to-end encryption area: device keys and their queries, cross-signing, the
 * device-list stream (local changes and other servers' lists), send-to-device messaging, key
 * backups and dehydrated devices. The server stores, counts, hands out and announces keys; it
 * never sees plaintext. Built over federation (remote queries, EDUs both ways) and before sync,
 * whose to-device and device-list streams it fills.
 */
import type { Edu, JsonObject, StateKey } from "../../core";
import type { FederationClient } from "../../net/federation-client";
import type { Accounts } from "../accounts";
import type { UiaService } from "../accounts/uia";
import type { SharedDeps } from "../shared-deps";
import { createCrossSigning } from "./cross-signing";
import { createDehydratedDevices } from "./dehydrated-devices";
import { createDeviceKeys } from "./device-keys";
import { createDeviceListChanges } from "./device-list-changes";
import { createKeyBackup } from "./key-backup";
import { createKeyQueries } from "./key-queries";
import { createRemoteDevices } from "./remote-devices";
import { createToDevice } from "./to-device";

export interface E2eeDeps extends Pick<SharedDeps, "storage" | "clock" | "log" | "notifier"> {
  serverName: string;
  uia: UiaService;
  /** Requests to other servers (key queries and claims, device-list resyncs). */
  federation: FederationClient;
  /** Where EDUs for other servers are queued, inside the caller's transaction. */
  queueEdu(destinations: Iterable<string>, edu: Edu): void;
}

/** Where inbound EDUs of the area are registered (the federation transaction receiver). */
export interface EduReceiver {
  onEdu(eduType: string, handler: (origin: string, content: JsonObject) => void | Promise<void>): void;
}

export function buildE2ee(deps: E2eeDeps) {
  const { serverName, storage, clock } = deps;
  const wakeUsers = (userIds: Iterable<string>) => deps.notifier.wakeUsers(userIds);
  const changes = createDeviceListChanges({ serverName, storage, wakeUsers, queueEdu: deps.queueEdu });
  const deviceKeys = createDeviceKeys({ storage, changes });
  const remote = createRemoteDevices({ serverName, storage, clock, log: deps.log, federation: deps.federation, changes });
  const queries = createKeyQueries({ serverName, storage, deviceKeys, remote, federation: deps.federation });
  const crossSigning = createCrossSigning({ serverName, storage, uia: deps.uia, changes, deviceKeys, remote });
  const toDevice = createToDevice({ serverName, storage, clock, wakeUsers, queueEdu: deps.queueEdu });
  const backup = createKeyBackup({ storage });
  const dehydrated = createDehydratedDevices({ storage, clock, deviceKeys, changes });

  return {
    changes,
    deviceKeys,
    remote,
    queries,
    crossSigning,
    toDevice,
    backup,
    dehydrated,

    /** Follows the accounts area: deleted and renamed devices are device-list changes. */
    followDevices(accounts: Pick<Accounts, "deviceChanges">): void {
      accounts.deviceChanges.subscribe(({ userId, deviceIds, kind }) => {
        changes.devicesChanged(userId, deviceIds, (id) => (kind === "deleted" ? null : deviceKeys.describeDevice(userId, id)));
      });
    },

    /**
     * A room's membership changed (inside the persisting transaction): a remote user nobody here
     * shares a room with any more is no longer tracked.
     */
    membershipsChanged(roomId: string, changed: ReadonlyMap<StateKey, string | null>): void {
      for (const key of changed.keys()) {
        const [type, userId] = key.split("\u0000") as [string, string];
        if (type !== "m.room.member" || storage.memberships.get(roomId, userId)?.membership === "join") continue;
        if (userId.endsWith(`:${serverName}`)) {
          // A local user left: the room's remote members may have lost their last local company.
          for (const member of storage.memberships.usersWith(roomId, "join")) remote.untrackIfAlone(member);
        } else remote.untrackIfAlone(userId);
      }
    },

    /** Registers the area's inbound EDUs. */
    receiveEdus(receiver: EduReceiver): void {
      receiver.onEdu("m.device_list_update", remote.onDeviceListUpdate);
      receiver.onEdu("m.signing_key_update", remote.onSigningKeyUpdate);
      receiver.onEdu("m.direct_to_device", toDevice.onDirectToDevice);
    },
  };
}
export type E2ee = ReturnType<typeof buildE2ee>;
