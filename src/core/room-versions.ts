/**
 * The room versions table: one row of feature flags per stable room version (1-12). Code asks for a
 * flag (`rules.restrictedJoins`), never compares version strings, so a new version is one new row.
 */

export type RedactionRules = "v1" | "v6" | "v8" | "v9" | "v11";

export interface RoomVersionRules {
  readonly id: string;
  /** v1-2: an event carries the `event_id` its server minted (`$opaque:domain`); since v3 it is the reference hash. */
  readonly eventIdInEvent: boolean;
  /** v1-2: `prev_events` and `auth_events` cite `[event_id, {sha256}]` pairs; since v3 bare ids. */
  readonly hashedEventRefs: boolean;
  /** v1-2: the server that minted the event id signs the event too (spec "Validating hashes and signatures"). */
  readonly eventIdServerSigns: boolean;
  /** v1-2: a redaction is allowed when its id's server is the target's (auth rules, m.room.redaction); since v3 clients check. */
  readonly redactionsAuthorisedByDomain: boolean;
  /** v4+: event ids use url-safe base64 (room 3 uses standard base64). */
  readonly urlSafeEventIds: boolean;
  /** v1-10: events carry `origin`, the server that created them; removed in v11. */
  readonly eventsCarryOrigin: boolean;
  /** v2+: state resolution v2 (room 1 uses v1). */
  readonly stateResV2: boolean;
  /** v12+: state resolution v2.1 (MSC4297): the conflicted state subgraph joins the full conflicted set. */
  readonly conflictedStateSubgraph: boolean;
  /** v12+: state resolution v2.1 (MSC4297): the iterative auth checks start from empty state, not the unconflicted state. */
  readonly authChecksFromEmptyState: boolean;
  /** Which redaction algorithm keeps which keys (a lookup key of `core/events/redaction.ts`). */
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
  eventIdInEvent: true,
  hashedEventRefs: true,
  eventIdServerSigns: true,
  redactionsAuthorisedByDomain: true,
  urlSafeEventIds: false,
  eventsCarryOrigin: true,
  stateResV2: false,
  conflictedStateSubgraph: false,
  authChecksFromEmptyState: false,
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
const v2: RoomVersionRules = { ...v1, id: "2", stateResV2: true };
const v3: RoomVersionRules = {
  ...v2,
  id: "3",
  eventIdInEvent: false,
  hashedEventRefs: false,
  eventIdServerSigns: false,
  redactionsAuthorisedByDomain: false,
};
const v4: RoomVersionRules = { ...v3, id: "4", urlSafeEventIds: true };
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
  eventsCarryOrigin: false,
  useCreatorFromSender: true,
  redactsInContent: true,
};
const v12: RoomVersionRules = {
  ...v11,
  id: "12",
  conflictedStateSubgraph: true,
  authChecksFromEmptyState: true,
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
