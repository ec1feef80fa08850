/**
 * Pushers (spec "Pushers": GET /pushers, POST /pushers/set) and queueing pushes for them. Only
 * `http` pushers exist here; email pushers are refused, since this server sends no email. A
 * pusher belongs to the device that set it and goes when that device logs out or is deleted.
 * Whether a user has pushers at all is kept in a bounded cache, so a message in a big room does
 * not read the pushers table once per member; pushes are queued for the pushers the table holds
 * at that moment, so a cached "yes" that went stale costs nothing.
 */
import { isJsonObject, type JsonObject } from "../../core";
import type { Storage } from "../../storage";
import type { PusherRow } from "../../storage/pushers";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import { createLruMap } from "../../runtime/lru-map";
import { badJson, invalidParam, MatrixError, missingParam } from "../matrix-error";
import type { PushDelivery } from "./delivery";

const CACHE_ENTRIES = 10_000;
const MAX_APP_ID_CHARS = 64;
const MAX_PUSHKEY_BYTES = 512;
/** The one path a gateway URL may have (spec "PusherData": `url`). */
export const NOTIFY_PATH = "/_matrix/push/v1/notify";

/** A pusher as GET /pushers shows it. */
function shown(p: PusherRow): JsonObject {
  const out: JsonObject = {
    pushkey: p.pushkey,
    kind: p.kind,
    app_id: p.app_id,
    app_display_name: p.app_display_name,
    device_display_name: p.device_display_name,
    lang: p.lang,
    data: JSON.parse(p.data) as JsonObject,
  };
  if (p.profile_tag !== null) out.profile_tag = p.profile_tag;
  return out;
}

function checkGatewayUrl(url: unknown): void {
  if (typeof url !== "string") throw missingParam("Missing parameter: data.url");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidParam(`data.url is not a URL: ${url}`);
  }
  if (parsed.protocol !== "https:") throw invalidParam("data.url must be an https URL");
  if (parsed.pathname !== NOTIFY_PATH) throw invalidParam(`data.url must have the path ${NOTIFY_PATH}`);
}

export function createPushersService(deps: { storage: Storage; clock: Clock; delivery: PushDelivery }) {
  const { storage, clock, delivery } = deps;
  const hasPushers = createLruMap<string, boolean>({ maxEntries: CACHE_ENTRIES });

  /** Whether the user has a pusher (a stale "yes" is harmless, see above). */
  function canPush(userId: string): boolean {
    let known = hasPushers.get(userId);
    if (known === undefined) {
      known = storage.pushers.forUser(userId).length > 0;
      hasPushers.set(userId, known);
    }
    return known;
  }

  delivery.onPusherRemoved((userId) => hasPushers.delete(userId));

  return {
    /** GET /pushers */
    list(userId: string): JsonObject {
      return { pushers: storage.pushers.forUser(userId).map(shown) };
    },

    /** POST /pushers/set: create or update (`kind` "http"), or delete (`kind` null). */
    set(requester: Requester, body: unknown): void {
      if (requester.isGuest) throw new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests cannot set pushers");
      if (!isJsonObject(body)) throw badJson("The pusher must be a JSON object");
      const { kind, app_id, pushkey } = body;
      const missing = ["kind", "app_id", "pushkey"].filter((k) => body[k] === undefined);
      if (missing.length > 0) throw missingParam(`Missing parameters: ${missing.join(", ")}`);
      if (typeof app_id !== "string" || app_id === "" || [...app_id].length > MAX_APP_ID_CHARS) {
        throw invalidParam(`app_id must be a string of 1 to ${MAX_APP_ID_CHARS} characters`);
      }
      if (typeof pushkey !== "string" || pushkey === "" || Buffer.byteLength(pushkey) > MAX_PUSHKEY_BYTES) {
        throw invalidParam(`pushkey must be a string of 1 to ${MAX_PUSHKEY_BYTES} bytes`);
      }
      if (kind === null) {
        storage.pushers.delete(requester.userId, app_id, pushkey);
        hasPushers.delete(requester.userId);
        return;
      }
      if (kind === "email") throw invalidParam("Email pushers are not supported: this server sends no email");
      if (kind !== "http") throw invalidParam(`Unknown pusher kind ${JSON.stringify(kind)}: only "http" is supported`);
      const required = ["app_display_name", "device_display_name", "lang", "data"].filter((k) => body[k] === undefined);
      if (required.length > 0) throw missingParam(`Missing parameters: ${required.join(", ")}`);
      for (const k of ["app_display_name", "device_display_name", "lang"]) {
        if (typeof body[k] !== "string") throw invalidParam(`${k} must be a string`);
      }
      if (body.profile_tag !== undefined && typeof body.profile_tag !== "string") throw invalidParam("profile_tag must be a string");
      if (body.append !== undefined && typeof body.append !== "boolean") throw invalidParam("append must be a boolean");
      const data = body.data;
      if (!isJsonObject(data)) throw invalidParam("data must be an object");
      checkGatewayUrl(data.url);
      // Only "event_id_only" changes what is sent; another format is kept as given and gets the
      // full notification (as in Synapse).
      if (data.format !== undefined && typeof data.format !== "string") throw invalidParam("data.format must be a string");
      storage.pushers.set(
        {
          user_id: requester.userId,
          app_id,
          pushkey,
          kind,
          app_display_name: body.app_display_name as string,
          device_display_name: body.device_display_name as string,
          profile_tag: (body.profile_tag as string | undefined) ?? null,
          lang: body.lang as string,
          data: JSON.stringify(data),
          device_id: requester.deviceId ?? null,
          pushkey_ts: clock.now(),
        },
        body.append === true,
      );
      // Without `append` the pushkey may have been taken from other users: forget what was known.
      hasPushers.clear();
    },

    canPush,

    /**
     * Queues a push to every pusher of `userId` (inside the caller's transaction) and wakes the
     * sender once it commits. `notification` is the notify body's `notification` without `devices`.
     * `build` is only called when the user has a pusher.
     */
    queue(userId: string, build: () => JsonObject, tweaks: JsonObject): void {
      if (!canPush(userId)) return;
      const ids = storage.pushQueue.enqueueForUser(userId, JSON.stringify(build()), JSON.stringify(tweaks), clock.now());
      if (ids.length > 0) delivery.wakeLater(ids);
    },
  };
}
export type PushersService = ReturnType<typeof createPushersService>;
