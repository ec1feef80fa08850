/**
 * The room versions table: one row of feature flags per stable room version (1-12). Code asks for a
 * flag (`rules.restrictedJoins`), never compares version strings, so a new version is one new row.
 */

export type StateResAlgorithm = "v1" | "v2" | "v2.1";
export type EventFormat = "v1" | "v2" | "v3";
export type RedactionRules = "v1" | "v6" | "v8" | "v9" | "v11";

export interface RoomVersionRules {
  readonly id: string;
  /** v1: `event_id` on the event, `[id, hashes]` refs; v2: ids are `$` + std base64 reference hash; v3: url-safe. */
  readonly eventFormat: EventFormat;
  readonly stateRes: StateResAlgorithm;
  /** Which redaction algorithm keeps which keys. */
  readonly redaction: RedactionRules;
  /** v5+: a signing key must be valid at `origin_server_ts`. */
  readonly enforceKeyValidity: boolean;
  /** v6+: m.room.aliases has no special auth rule. */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: rooms may hold only canonical JSON (no floats, integers in range). */
  readonly strictCanonicalJson: boolean;
  /** v6+: `notifications` power levels are checked when power levels change. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v7+: `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: `restricted` join rule with `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestrictedJoins: boolean;
  /** v10+: power level values must be integers (not strings). */
  readonly integerPowerLevels: boolean;
  /** v11+: `creator` is gone from m.room.create; the sender is the creator. */
  readonly useCreatorFromSender: boolean;
  /** v11+: `redacts` lives in content, not at the top level. */
  readonly redactsInContent: boolean;
  /** v12+: room id is `!` + the create event's reference hash; create event absent from auth_events. */
  readonly roomIdIsCreateEventHash: boolean;
  /** v12+: the create sender and `additional_creators` hold infinite power. */
  readonly privilegedCreators: boolean;
}

const v1: RoomVersionRules = {
  id: "1",
  eventFormat: "v1",
  stateRes: "v1",
  redaction: "v1",
  enforceKeyValidity: false,
  specialCaseAliasesAuth: true,
  strictCanonicalJson: false,
  limitNotificationsPowerLevels: false,
  knocking: false,
  restrictedJoins: false,
  knockRestrictedJoins: false,
  integerPowerLevels: false,
  useCreatorFromSender: false,
  redactsInContent: false,
  roomIdIsCreateEventHash: false,
  privilegedCreators: false,
};
const v2: RoomVersionRules = { ...v1, id: "2", stateRes: "v2" };
const v3: RoomVersionRules = { ...v2, id: "3", eventFormat: "v2" };
const v4: RoomVersionRules = { ...v3, id: "4", eventFormat: "v3" };
const v5: RoomVersionRules = { ...v4, id: "5", enforceKeyValidity: true };
const v6: RoomVersionRules = {
  ...v5,
  id: "6",
  redaction: "v6",
  specialCaseAliasesAuth: false,
  strictCanonicalJson: true,
  limitNotificationsPowerLevels: true,
};
const v7: RoomVersionRules = { ...v6, id: "7", knocking: true };
const v8: RoomVersionRules = { ...v7, id: "8", redaction: "v8", restrictedJoins: true };
const v9: RoomVersionRules = { ...v8, id: "9", redaction: "v9" };
const v10: RoomVersionRules = { ...v9, id: "10", knockRestrictedJoins: true, integerPowerLevels: true };
const v11: RoomVersionRules = {
  ...v10,
  id: "11",
  redaction: "v11",
  useCreatorFromSender: true,
  redactsInContent: true,
};
const v12: RoomVersionRules = {
  ...v11,
  id: "12",
  stateRes: "v2.1",
  roomIdIsCreateEventHash: true,
  privilegedCreators: true,
};

export const roomVersions: Readonly<Record<string, RoomVersionRules>> = Object.freeze(
  Object.fromEntries([v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((r) => [r.id, r])),
);

/** The version new rooms get unless the creator asks otherwise (the spec recommends 12). */
export const DEFAULT_ROOM_VERSION = "12";

export function isSupportedRoomVersion(version: unknown): version is string {
  return typeof version === "string" && Object.hasOwn(roomVersions, version);
}

/** The rules of a supported version; throws on an unknown one (callers check first at trust boundaries). */
export function rulesFor(version: string): RoomVersionRules {
  const rules = roomVersions[version];
  if (!rules || !Object.hasOwn(roomVersions, version)) throw new Error(`unsupported room version ${version}`);
  return rules;
}
