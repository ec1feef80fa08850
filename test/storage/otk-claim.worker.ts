// A claimer on its own database connection (used by e2ee-keys.test.ts to race several): the
// first message opens the connection and is answered with an empty list; each "go" claims
// one-time keys until none is left and answers with the ids it got.
import { createStorage, openDatabase, type Storage } from "../../src/storage";

declare const self: Worker;

let storage: Storage;
let owner: { userId: string; deviceId: string };

self.onmessage = (m: MessageEvent<"go" | { file: string; userId: string; deviceId: string }>) => {
  if (m.data !== "go") {
    storage = createStorage(openDatabase(m.data.file, { companion: true }));
    owner = m.data;
    self.postMessage([]);
    return;
  }
  const claimed: string[] = [];
  for (;;) {
    const key = storage.e2eeKeys.claimOneTimeKey(owner.userId, owner.deviceId, "signed_curve25519");
    if (!key) break;
    claimed.push(key.key_id);
  }
  self.postMessage(claimed);
};
