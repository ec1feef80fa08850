/**
 * Who created a room, per room version: `content.creator` of the create event until v10, its
 * `sender` since v11, and since v12 the sender plus `content.additional_creators`, all of whom hold
 * infinite power.
 */
import type { RoomVersionRules } from "../room-versions.ts";
import type { Pdu } from "../types.ts";

/** The single creator the "first join" rule and the no-power-levels default refer to. */
export function roomCreatorOf(create: Pdu, rules: RoomVersionRules): string | undefined {
  if (rules.useCreatorFromSender) return create.sender;
  const creator = create.content.creator;
  return typeof creator === "string" ? creator : undefined;
}

const privilegedCreatorsCache = new WeakMap<Pdu, ReadonlySet<string>>();

/** since v12: the create sender and every entry of `additional_creators`. */
export function privilegedCreatorsOf(create: Pdu): ReadonlySet<string> {
  let creators = privilegedCreatorsCache.get(create);
  if (!creators) {
    const set = new Set<string>([create.sender]);
    const additional = create.content.additional_creators;
    if (Array.isArray(additional)) for (const user of additional) if (typeof user === "string") set.add(user);
    creators = set;
    privilegedCreatorsCache.set(create, creators);
  }
  return creators;
}

/** True if the user holds infinite power in this room (only possible since v12). */
export function isPrivilegedCreator(userId: string, create: Pdu | undefined, rules: RoomVersionRules): boolean {
  return rules.privilegedCreators && create !== undefined && privilegedCreatorsOf(create).has(userId);
}
