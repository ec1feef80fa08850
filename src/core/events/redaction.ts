/**
 * The redaction algorithm (room versions spec, "Redactions"): what is left of an event once it is
 * redacted. The same stripped form is what event signatures and reference hashes (event ids)
 * cover, so every key list must match the spec exactly for each `rules.redaction` generation.
 */

import type { RedactionRules, RoomVersionRules } from "../room-versions.ts";
import { isJsonObject, type JsonObject, type Pdu } from "../types.ts";

interface RedactionSpec {
  /** Top-level keys that survive. */
  readonly topLevel: readonly string[];
  /** Per event type, the content keys that survive; `"all"` keeps the whole content. */
  readonly content: Readonly<Record<string, readonly string[] | "all">>;
  /** since v11: m.room.member keeps `third_party_invite.signed` (and nothing else of it). */
  readonly keepThirdPartyInviteSigned: boolean;
}

const POWER_LEVELS_V1 = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"];

const v1: RedactionSpec = {
  topLevel: [
    "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
    "prev_events", "prev_state", "auth_events", "origin", "origin_server_ts", "membership",
  ],
  content: {
    "m.room.member": ["membership"],
    "m.room.create": ["creator"],
    "m.room.join_rules": ["join_rule"],
    "m.room.power_levels": POWER_LEVELS_V1,
    "m.room.aliases": ["aliases"],
    "m.room.history_visibility": ["history_visibility"],
  },
  keepThirdPartyInviteSigned: false,
};

// since v6: m.room.aliases loses its special treatment.
const { "m.room.aliases": _aliases, ...contentV6 } = v1.content;
const v6: RedactionSpec = { ...v1, content: contentV6 };

// since v8: join rules keep `allow` (restricted rooms).
const v8: RedactionSpec = { ...v6, content: { ...v6.content, "m.room.join_rules": ["join_rule", "allow"] } };

// since v9: memberships keep `join_authorised_via_users_server`.
const v9: RedactionSpec = {
  ...v8,
  content: { ...v8.content, "m.room.member": ["membership", "join_authorised_via_users_server"] },
};

// since v11: `origin`, `membership` and `prev_state` are no longer protected; create keeps all of
// its content, power levels keep `invite`, redactions keep `redacts`, memberships keep
// `third_party_invite.signed`.
const v11: RedactionSpec = {
  topLevel: v9.topLevel.filter((key) => key !== "origin" && key !== "membership" && key !== "prev_state"),
  content: {
    ...v9.content,
    "m.room.create": "all",
    "m.room.power_levels": [...POWER_LEVELS_V1, "invite"],
    "m.room.redaction": ["redacts"],
  },
  keepThirdPartyInviteSigned: true,
};

const specs: Readonly<Record<RedactionRules, RedactionSpec>> = { v1, v6, v8, v9, v11 };

/**
 * The redacted form of `pdu` under the room version's rules. Returns a new top-level object and a
 * new `content`; nested values are shared with the input (events are treated as immutable).
 * Tolerates malformed input (missing or non-object content) so that checks can run on it.
 */
export function redact(pdu: Pdu, rules: RoomVersionRules): Pdu {
  const spec = specs[rules.redaction];
  const source = pdu as Record<string, unknown>;
  const redacted: Record<string, unknown> = {};
  for (const key of spec.topLevel) {
    if (Object.hasOwn(source, key)) redacted[key] = source[key];
  }
  redacted.content = redactContent(source.type, source.content, spec);
  return redacted as Pdu;
}

function redactContent(type: unknown, content: unknown, spec: RedactionSpec): JsonObject {
  if (!isJsonObject(content) || typeof type !== "string" || !Object.hasOwn(spec.content, type)) return {};
  const kept = spec.content[type]!;
  if (kept === "all") return { ...content };
  const out: JsonObject = {};
  for (const key of kept) {
    if (Object.hasOwn(content, key)) out[key] = content[key]!;
  }
  if (spec.keepThirdPartyInviteSigned && type === "m.room.member") {
    const invite = content.third_party_invite;
    if (isJsonObject(invite) && Object.hasOwn(invite, "signed")) out.third_party_invite = { signed: invite.signed! };
  }
  return out;
}
