/**
 * The checks every PDU from another server passes before anything else looks at it, whatever
 * the ingress (/send, backfill, missing events, state, send_join answers, invites): the room
 * version's format, the signatures of every server that must have signed it (the sender's; the
 * event id's domain in rooms 1-2; the authorising server of a restricted join), with keys valid
 * at `origin_server_ts` since room version 5, and the content hash — a mismatch redacts the event
 * rather than refusing it. Auth rules come after, in the room pipeline.
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
} from "../../core";
import type { KeyRing } from "./key-ring";

export type CheckedPdu = Pdu & { event_id: string };

export type PduVerdict =
  | { ok: true; pdu: CheckedPdu; redacted: boolean }
  | { ok: false; eventId?: string; reason: string };

const serverOf = (id: string) => id.slice(id.indexOf(":") + 1);

/** The servers whose signatures an event needs (spec "Validating hashes and signatures"). */
export function requiredSigners(pdu: Pdu, eventId: string, rules: RoomVersionRules): string[] {
  const servers = new Set([serverOf(pdu.sender)]);
  // Rooms 1-2: the server that minted the event id vouches for it too.
  if (rules.eventFormat === "v1") servers.add(serverOf(eventId));
  // since v8: a restricted join is signed by the server of the user who authorised it.
  const via = pdu.content.join_authorised_via_users_server;
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

export function createPduChecker(keys: KeyRing) {
  /** True when `server` signed the event with a key it held at the time (v5+) or ever (v1-4). */
  async function signedBy(pdu: Pdu, server: string, rules: RoomVersionRules): Promise<boolean> {
    const byServer = isJsonObject(pdu.signatures) ? pdu.signatures[server] : undefined;
    if (!isJsonObject(byServer)) return false;
    const validAt = rules.enforceKeyValidity ? pdu.origin_server_ts : undefined;
    for (const keyId of Object.keys(byServer)) {
      if (!keyId.startsWith("ed25519:")) continue;
      const key = await keys.getVerifyKey(server, keyId, validAt);
      if (key && verifyEventSignature(pdu, rules, server, keyId, key)) return true;
    }
    return false;
  }

  async function check(raw: unknown, rules: RoomVersionRules): Promise<PduVerdict> {
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
      if (!(await signedBy(pdu, server, rules))) {
        return { ok: false, eventId, reason: `not validly signed by ${server}` };
      }
    }
    // A wrong content hash means the content was altered: keep only what the signatures cover.
    if (!checkContentHash(pdu)) {
      return { ok: true, pdu: Object.assign(redact(pdu, rules), { event_id: eventId }), redacted: true };
    }
    return { ok: true, pdu: Object.assign({ ...pdu }, { event_id: eventId }), redacted: false };
  }

  return {
    check,
    signedBy,
    /**
     * Checks many PDUs (a join's state and auth chain): the keys of every signing server are
     * fetched first, all at once, so the checks themselves need no network.
     */
    async checkMany(raws: readonly unknown[], rules: RoomVersionRules): Promise<PduVerdict[]> {
      const wanted = new Set<string>();
      for (const raw of raws) {
        if (!isJsonObject(raw) || !isJsonObject(raw.signatures)) continue;
        for (const [server, sigs] of Object.entries(raw.signatures)) {
          if (isJsonObject(sigs)) for (const keyId of Object.keys(sigs)) wanted.add(`${server}\u0000${keyId}`);
        }
      }
      await Promise.all(
        [...wanted].map((k) => {
          const [server, keyId] = k.split("\u0000") as [string, string];
          return keys.getVerifyKey(server, keyId).catch(() => null);
        }),
      );
      const verdicts: PduVerdict[] = [];
      for (const raw of raws) verdicts.push(await check(raw, rules));
      return verdicts;
    },
  };
}
export type PduChecker = ReturnType<typeof createPduChecker>;
