/**
 * The checks every PDU from another server passes before anything else looks at it, whatever
 * the ingress (/send, backfill, missing events, state, send_join answers, invites): the room
 * version's format, the signatures of every server that must have signed it (the sender's; the
 * event id's domain in rooms 1-2; the authorising server of a restricted join), with keys valid
 * at `origin_server_ts` since room version 5, and the content hash — a mismatch redacts the event
 * rather than refusing it. Auth rules come after, in the room pipeline.
 *
 * The checks proper (`checkPdu`) are pure, given the keys: the checker fetches the keys a batch
 * needs first, then checks small batches here and large ones (a join's state) in the check
 * workers, off the event loop.
 */
import {
  checkContentHash,
  eventIdFor,
  isJsonObject,
  redact,
  validatePdu,
  verifyEventSignature,
  type JsonObject,
  type Pdu,
  type RoomVersionRules,
} from "../../../core";
import type { KeyRing, KnownKey } from "../keys/key-ring";
import { usableAt } from "../../../core/signing/key-validity";

export type CheckedPdu = Pdu & { event_id: string };

export type PduVerdict =
  | { ok: true; pdu: CheckedPdu; redacted: boolean }
  | { ok: false; eventId?: string; reason: string };

/** Keys by `server \0 key id`. */
export type KeyTable = ReadonlyMap<string, KnownKey>;

/** Checks many PDUs with the keys at hand, elsewhere (the check workers). */
export interface PduCheckRunner {
  check(raws: readonly unknown[], rules: RoomVersionRules, keys: KeyTable): Promise<PduVerdict[]>;
}

const serverOf = (id: string) => id.slice(id.indexOf(":") + 1);
const keyName = (server: string, keyId: string) => `${server}\u0000${keyId}`;

/** The servers whose signatures an event needs (spec "Validating hashes and signatures"). */
export function requiredSigners(pdu: Pdu, eventId: string, rules: RoomVersionRules): string[] {
  const servers = new Set([serverOf(pdu.sender)]);
  // Rooms 1-2: the server that minted the event id vouches for it too.
  if (rules.eventFormat === "v1") servers.add(serverOf(eventId));
  // since v8: a restricted join is signed by the server of the user who authorised it.
  const via = isJsonObject(pdu.content) ? pdu.content.join_authorised_via_users_server : undefined;
  if (rules.restrictedJoins && pdu.type === "m.room.member" && pdu.content.membership === "join" && typeof via === "string") {
    servers.add(serverOf(via));
  }
  return [...servers];
}

/** The room of a checked event (since v12 the create event names none: its id does). */
export function roomIdOf(pdu: CheckedPdu): string {
  return typeof pdu.room_id === "string" ? pdu.room_id : `!${pdu.event_id.slice(1)}`;
}

/** Whether a checked event belongs to `roomId` (since v12 the create event names no room: its id does). */
export function belongsTo(pdu: CheckedPdu, roomId: string, rules: RoomVersionRules): boolean {
  if (pdu.room_id === roomId) return true;
  return rules.roomIdIsCreateEventHash && pdu.type === "m.room.create" && `!${pdu.event_id.slice(1)}` === roomId;
}

/** `unsigned` is the sender's business: it is neither hashed, signed nor kept. */
function withoutUnsigned(raw: JsonObject): JsonObject {
  const { unsigned: _unsigned, ...rest } = raw;
  return rest;
}

/**
 * The event as its sender signed it. Since room version 3 the id is derived, never part of the
 * event, but a checked event carries it locally: verifying (or countersigning) with it attached
 * would cover bytes no other server signs.
 */
export function asSigned(pdu: Pdu, rules: RoomVersionRules): Pdu {
  if (rules.eventFormat === "v1" || pdu.event_id === undefined) return pdu;
  const { event_id: _derived, ...signed } = pdu;
  return signed as Pdu;
}

/** True when `server` signed the event with a key it held at the time (v5+) or ever (v1-4). */
export function signedWith(checked: Pdu, server: string, rules: RoomVersionRules, keys: KeyTable): boolean {
  const pdu = asSigned(checked, rules);
  const byServer = isJsonObject(pdu.signatures) ? pdu.signatures[server] : undefined;
  if (!isJsonObject(byServer)) return false;
  const validAt = rules.enforceKeyValidity ? pdu.origin_server_ts : undefined;
  for (const keyId of Object.keys(byServer)) {
    const known = keyId.startsWith("ed25519:") ? keys.get(keyName(server, keyId)) : undefined;
    if (known && usableAt(known, validAt) && verifyEventSignature(pdu, rules, server, keyId, known.key)) return true;
  }
  return false;
}

/** Every check but the auth rules, with the signing keys already looked up. */
export function checkPdu(raw: unknown, rules: RoomVersionRules, keys: KeyTable): PduVerdict {
  const format = validatePdu(isJsonObject(raw) ? withoutUnsigned(raw) : raw, rules);
  if (!format.valid) {
    const claimed = isJsonObject(raw) && typeof raw.event_id === "string" ? raw.event_id : undefined;
    return { ok: false, eventId: claimed, reason: format.reason };
  }
  const pdu = format.pdu;
  let eventId: string;
  try {
    eventId = eventIdFor(pdu, rules);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  for (const server of requiredSigners(pdu, eventId, rules)) {
    if (!signedWith(pdu, server, rules, keys)) return { ok: false, eventId, reason: `not validly signed by ${server}` };
  }
  // A wrong content hash means the content was altered: keep only what the signatures cover.
  if (!checkContentHash(pdu)) {
    return { ok: true, pdu: Object.assign(redact(pdu, rules), { event_id: eventId }), redacted: true };
  }
  return { ok: true, pdu: Object.assign({ ...pdu }, { event_id: eventId }), redacted: false };
}

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
