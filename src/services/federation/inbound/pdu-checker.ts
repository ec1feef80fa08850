/**
 * The federation PDU checker: looks up the signing keys a batch of PDUs needs (fetching the
 * unknown ones), then runs the pure checks of `core/events/pdu-checks` here in small slices or,
 * for a large batch (a join's state), in the check workers, off the event loop.
 */
import {
  checkPdu,
  isJsonObject,
  keyName,
  requiredSigners,
  signedWith,
  type KeyTable,
  type KnownKey,
  type Pdu,
  type PduCheckRunner,
  type PduVerdict,
  type RoomVersionRules,
} from "../../../core";
import type { KeyRing } from "../keys/key-ring";

/** Batches at least this large go to the check workers. */
const OFFLOAD_AT = 256;
/** Checked between two pauses when checking here, so other requests keep being served. */
const SLICE = 128;

export function createPduChecker(ring: KeyRing, runner?: PduCheckRunner) {
  /**
   * The keys the events' required signers used, fetched when unknown or not valid late enough
   * (the latest `origin_server_ts` among the events each key signed, since v5).
   */
  async function keysFor(raws: readonly unknown[], rules: RoomVersionRules, servers?: readonly string[]): Promise<KeyTable> {
    const wanted = new Map<string, number | undefined>();
    for (const raw of raws) {
      if (!isJsonObject(raw) || !isJsonObject(raw.signatures) || typeof raw.sender !== "string" || !isJsonObject(raw.content)) continue;
      const signers = servers ?? requiredSigners(raw as unknown as Pdu, typeof raw.event_id === "string" ? raw.event_id : "", rules);
      const ts = rules.enforceKeyValidity && typeof raw.origin_server_ts === "number" ? raw.origin_server_ts : undefined;
      for (const server of signers) {
        const sigs = raw.signatures[server];
        if (!isJsonObject(sigs)) continue;
        for (const keyId of Object.keys(sigs)) {
          if (!keyId.startsWith("ed25519:")) continue;
          const name = keyName(server, keyId);
          const before = wanted.get(name);
          wanted.set(name, ts === undefined ? before : Math.max(before ?? ts, ts));
        }
      }
    }
    const table = new Map<string, KnownKey>();
    await Promise.all(
      [...wanted].map(async ([name, validAt]) => {
        const [server, keyId] = name.split("\u0000") as [string, string];
        await ring.getVerifyKey(server, keyId, validAt).catch(() => null);
        const known = ring.knownKey(server, keyId);
        if (known) table.set(name, known);
      }),
    );
    return table;
  }

  return {
    async check(raw: unknown, rules: RoomVersionRules): Promise<PduVerdict> {
      return checkPdu(raw, rules, await keysFor([raw], rules));
    },

    /** True when `server` (not necessarily a required signer) signed the event. */
    async signedBy(pdu: Pdu, server: string, rules: RoomVersionRules): Promise<boolean> {
      return signedWith(pdu, server, rules, await keysFor([pdu], rules, [server]));
    },

    /**
     * Checks many PDUs (a join's state and auth chain): every key is fetched first, all at once;
     * then a large batch is checked by the workers, a small one here in slices.
     */
    async checkMany(raws: readonly unknown[], rules: RoomVersionRules): Promise<PduVerdict[]> {
      const keys = await keysFor(raws, rules);
      if (runner && raws.length >= OFFLOAD_AT) return runner.check(raws, rules, keys);
      const verdicts: PduVerdict[] = [];
      for (let i = 0; i < raws.length; i++) {
        verdicts.push(checkPdu(raws[i], rules, keys));
        if (i % SLICE === SLICE - 1) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return verdicts;
    },
  };
}
export type PduChecker = ReturnType<typeof createPduChecker>;
