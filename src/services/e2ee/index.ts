/**
 * Wires the end-to-end encryption area: device keys and their queries, cross-signing, the
 * device-list stream (local changes and other servers' lists), send-to-device messaging, key
 * backups and dehydrated devices. The server stores, counts, hands out and announces keys; it
 * never sees plaintext.
 */
import type { JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { Clock } from "../../runtime/clock";
import type { FederationClient } from "../../net/federation-client";
import type { Logger } from "../../runtime/logger";
import type { UiaService } from "../accounts/uia";
import { createCrossSigning } from "./cross-signing";
import { createDehydratedDevices } from "./dehydrated-devices";
import { createDeviceKeys } from "./device-keys";
import { createDeviceListChanges, type Edu } from "./device-list-changes";
import { createKeyBackup } from "./key-backup";
import { createKeyQueries } from "./key-queries";
import { createRemoteDevices } from "./remote-devices";
import { createToDevice } from "./to-device";

export interface E2eeDeps {
  serverName: string;
  storage: Storage;
  clock: Clock;
  log: Logger;
  uia: UiaService;
  federation: FederationClient;
  wakeUsers(userIds: Iterable<string>): void;
  queueEdu(destinations: Iterable<string>, edu: Edu): void;
}

/** Where inbound EDUs of the area are registered (the federation transaction receiver). */
export interface EduReceiver {
  onEdu(eduType: string, handler: (origin: string, content: JsonObject) => void | Promise<void>): void;
}

export function buildE2ee(deps: E2eeDeps) {
  const { serverName, storage, clock } = deps;
  const changes = createDeviceListChanges({ serverName, storage, wakeUsers: deps.wakeUsers, queueEdu: deps.queueEdu });
  const deviceKeys = createDeviceKeys({ storage, changes });
  const remote = createRemoteDevices({ serverName, storage, clock, log: deps.log, federation: deps.federation, changes });
  const queries = createKeyQueries({ serverName, storage, deviceKeys, remote, federation: deps.federation });
  const crossSigning = createCrossSigning({ serverName, storage, uia: deps.uia, changes, deviceKeys, remote });
  const toDevice = createToDevice({ serverName, storage, clock, wakeUsers: deps.wakeUsers, queueEdu: deps.queueEdu });
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

    /** Devices of a local user were deleted (inside the deleting transaction): others are told. */
    devicesDeleted(userId: string, deviceIds: readonly string[]): void {
      changes.devicesChanged(userId, deviceIds, () => null);
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
