/**
 * Profiles (spec "Profiles"): `displayname` and `avatar_url`, and since v1.16 `m.tz` and custom
 * namespaced fields. Anyone may read a local user's profile; only the user changes it. Changes to
 * the display name or avatar are announced to `AccountEvents` listeners, which propagate them into
 * the user's room memberships. Profiles of other servers' users are not fetched (yet): 404.
 */
import type { Storage } from "../../storage";
import type { AccountEvents } from "./account-events";
import { isLocalUserId } from "./user-ids";
import { assertNotSuspended, type Requester } from "./access-tokens";
import { MatrixError, badJson, forbidden, invalidParam, missingParam, notFound } from "../matrix-error";

type ProfileValue = unknown;
export type Profile = Record<string, ProfileValue>;

/** The spec's key grammar: the two classic fields, `m.tz`, or a namespaced identifier. */
const KEY_GRAMMAR = /^(avatar_url|displayname|m\.tz|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$/;
const MAX_KEY_BYTES = 255;
/** The spec caps a whole profile at 64 KiB. */
const MAX_PROFILE_BYTES = 64 * 1024;
/** Limits Synapse applies too, so names fit in member events and UIs. */
const MAX_DISPLAYNAME_LENGTH = 256;
const MAX_AVATAR_URL_LENGTH = 1000;
// The spec types avatar_url as a URI (clients upload mxc:// ones; bridges and appservices also set http(s) ones).
const URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

const DISPLAYNAME = "displayname";
const AVATAR_URL = "avatar_url";

function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new MatrixError(400, "M_KEY_TOO_LARGE", `Profile keys are at most ${MAX_KEY_BYTES} bytes`);
  }
  if (!KEY_GRAMMAR.test(key)) throw invalidParam(`Invalid profile key '${key}'`);
}

/** Checks a new value; returns null when it clears the field (an empty name or avatar, as in Synapse). */
function checkValue(key: string, value: ProfileValue): ProfileValue | null {
  if (key === DISPLAYNAME || key === AVATAR_URL || key === "m.tz") {
    if (typeof value !== "string") throw badJson(`Invalid field '${key}': expected a string`);
    if (value === "" && key !== "m.tz") return null;
  }
  if (key === DISPLAYNAME && (value as string).length > MAX_DISPLAYNAME_LENGTH) {
    throw invalidParam(`Display names are at most ${MAX_DISPLAYNAME_LENGTH} characters`);
  }
  if (key === AVATAR_URL && ((value as string).length > MAX_AVATAR_URL_LENGTH || !URI.test(value as string))) {
    throw invalidParam("avatar_url must be a URI (mxc://server/media)");
  }
  return value;
}

export function createProfileService(storage: Storage, events: AccountEvents, serverName: string) {
  function readProfile(userId: string): Profile | undefined {
    if (!isLocalUserId(userId, serverName)) return undefined;
    const user = storage.accounts.getUser(userId);
    if (!user || user.deactivated) return undefined;
    const profile: Profile = {};
    if (user.displayname !== null) profile[DISPLAYNAME] = user.displayname;
    if (user.avatar_url !== null) profile[AVATAR_URL] = user.avatar_url;
    for (const field of storage.accounts.getProfileFields(userId)) profile[field.key] = JSON.parse(field.value);
    return profile;
  }

  function ownProfile(requester: Requester, userId: string): Profile {
    if (userId !== requester.userId) throw forbidden("You may only change your own profile");
    return readProfile(userId) ?? {};
  }

  /** Writes one field (null removes it) and announces display name and avatar changes. */
  async function writeField(userId: string, key: string, value: ProfileValue | null): Promise<void> {
    if (key === DISPLAYNAME) storage.accounts.setDisplayname(userId, value as string | null);
    else if (key === AVATAR_URL) storage.accounts.setAvatarUrl(userId, value as string | null);
    else if (value === null) storage.accounts.deleteProfileField(userId, key);
    else storage.accounts.setProfileField(userId, key, JSON.stringify(value));
    if (key === DISPLAYNAME || key === AVATAR_URL) {
      const user = storage.accounts.getUser(userId)!;
      await events.emit({ type: "profile", userId, displayname: user.displayname, avatarUrl: user.avatar_url });
    }
  }

  return {
    /** `GET /profile/{userId}` */
    getProfile(userId: string): Profile {
      const profile = readProfile(userId);
      if (!profile) throw notFound("Profile not found");
      return profile;
    },

    /** `GET /profile/{userId}/{keyName}` */
    getField(userId: string, key: string): Profile {
      checkKey(key);
      const profile = readProfile(userId);
      if (!profile || !Object.hasOwn(profile, key)) throw notFound("Profile field not found");
      return { [key]: profile[key] };
    },

    /** `PUT /profile/{userId}/{keyName}`: the body holds the value under the key itself. */
    async setField(requester: Requester, userId: string, key: string, body: Record<string, unknown>): Promise<void> {
      checkKey(key);
      assertNotSuspended(requester, "change its profile");
      const profile = ownProfile(requester, userId);
      if (!Object.hasOwn(body, key)) throw missingParam(`Missing key '${key}'`);
      const value = checkValue(key, body[key]);
      if (value === null) delete profile[key];
      else profile[key] = value;
      if (Buffer.byteLength(JSON.stringify(profile)) > MAX_PROFILE_BYTES) {
        throw new MatrixError(400, "M_PROFILE_TOO_LARGE", `A profile is at most ${MAX_PROFILE_BYTES} bytes`);
      }
      await writeField(userId, key, value);
    },

    /** `DELETE /profile/{userId}/{keyName}`: succeeds when the field is already absent. */
    async deleteField(requester: Requester, userId: string, key: string): Promise<void> {
      checkKey(key);
      assertNotSuspended(requester, "change its profile");
      ownProfile(requester, userId);
      await writeField(userId, key, null);
    },
  };
}
export type ProfileService = ReturnType<typeof createProfileService>;
