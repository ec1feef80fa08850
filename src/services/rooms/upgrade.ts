/**
 * `POST /rooms/{roomId}/upgrade` (spec "Room Upgrades", server behaviour): check the requester may
 * send m.room.tombstone; create the replacement room with `predecessor` and the old room's `type`,
 * the transferable state, local aliases and directory publication, and tombstone the old room, in
 * one transaction; then restrict the old room's power levels so only moderators speak or invite.
 */
import { powerLevelOf, requiredPowerLevel } from "../../core";
import { isSupportedRoomVersion, rulesFor } from "../../core/room-versions";
import { stateKeyOf, type JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { authMapOf } from "./auth-inputs";
import type { EventDraft } from "./event-builder";
import type { EventStore } from "./event-store";
import type { EventsService } from "./send";
import { MatrixError, forbidden, notFound } from "../matrix-error";
import { memberContent } from "./member-content";
import { unsupportedRoomVersion, type RoomCreation } from "./creation";
import type { StateService } from "./state";
import type { RoomQueue } from "./queue";
import type { RoomHeads } from "./heads";

/** The state the spec recommends carrying over (never memberships). */
const TRANSFERABLE = [
  "m.room.server_acl",
  "m.room.encryption",
  "m.room.name",
  "m.room.avatar",
  "m.room.topic",
  "m.room.guest_access",
  "m.room.history_visibility",
  "m.room.join_rules",
];

/** The old room's local aliases and room-directory entry follow it to its replacement. */
export function moveDirectoryEntries(storage: Storage, oldRoomId: string, newRoomId: string): void {
  storage.transaction(() => {
    storage.aliases.moveAll(oldRoomId, newRoomId);
    if (storage.rooms.get(oldRoomId)?.published === 1) {
      storage.rooms.setPublished(newRoomId, true);
      storage.rooms.setPublished(oldRoomId, false);
    }
  });
}

export function createRoomUpgrades(deps: {
  storage: Storage;
  state: StateService;
  eventStore: EventStore;
  events: EventsService;
  roomCreation: RoomCreation;
  queue: RoomQueue;
  heads: RoomHeads;
  /** Drops in-memory views after an aborted upgrade (its writes were rolled back). */
  invalidate(): void;
}) {
  const { storage, state, eventStore, events, roomCreation, queue, heads, invalidate } = deps;

  return {
    async upgrade(requester: Requester, roomId: string, newVersion: string, additionalCreators: string[] = []): Promise<{ replacement_room: string }> {
      const room = storage.rooms.get(roomId);
      if (!room || room.state_group === null) throw notFound(`Room ${roomId} is not known to this server`);
      if (!isSupportedRoomVersion(newVersion)) throw unsupportedRoomVersion(newVersion);
      const user = requester.userId;
      if (storage.memberships.get(roomId, user)?.membership !== "join") throw forbidden(`${user} is not in room ${roomId}`);
      const oldRules = rulesFor(room.room_version);
      const newRules = rulesFor(newVersion);
      const current = state.stateOfGroup(room.state_group);
      const auth = authMapOf(current, eventStore, [stateKeyOf("m.room.create", ""), stateKeyOf("m.room.power_levels", "")]);
      if (powerLevelOf(user, auth, oldRules) < requiredPowerLevel("m.room.tombstone", true, auth, oldRules)) {
        throw forbidden("You do not have permission to upgrade this room");
      }
      const content = (type: string): JsonObject | undefined => {
        const id = current.get(stateKeyOf(type, ""));
        return id === undefined ? undefined : eventStore.getPdu(id)?.content;
      };

      const predecessor: JsonObject = { room_id: roomId };
      const createContent: JsonObject = { room_version: newVersion, predecessor };
      if (!newRules.useCreatorFromSender) createContent.creator = user;
      const oldCreate = content("m.room.create");
      // The room's type and whether it federates are part of what it is (as Synapse copies them).
      if (oldCreate?.type !== undefined) createContent.type = oldCreate.type;
      if (oldCreate?.["m.federate"] !== undefined) createContent["m.federate"] = oldCreate["m.federate"];
      if (newRules.privilegedCreators && additionalCreators.length > 0) createContent.additional_creators = [...new Set(additionalCreators)];

      // Power levels: copied; since v12 creators are implicit and must not be listed; before v12
      // the upgrader needs power in the new room, so they keep at least 100.
      const oldLevels = content("m.room.power_levels") ?? {};
      const users: JsonObject = { ...((oldLevels.users as JsonObject | undefined) ?? {}) };
      if (newRules.privilegedCreators) {
        delete users[user];
        for (const c of additionalCreators) delete users[c];
      } else {
        const level = typeof users[user] === "number" ? (users[user] as number) : 0;
        users[user] = Math.max(level, 100);
      }
      const stateDraft = (type: string, body: JsonObject, state_key = ""): EventDraft => ({ type, state_key, content: body, sender: user });
      const drafts: EventDraft[] = [
        stateDraft("m.room.member", memberContent(storage, user, "join"), user),
        stateDraft("m.room.power_levels", { ...oldLevels, users }),
      ];
      for (const type of TRANSFERABLE) {
        const body = content(type);
        if (body !== undefined) drafts.push(stateDraft(type, body));
      }
      // Bans carry over (as Synapse does), where the upgrader's level allows them in the new room.
      const numberOr = (value: unknown, fallback: number) => (typeof value === "number" ? value : fallback);
      const usersDefault = numberOr(oldLevels.users_default, 0);
      const upgraderLevel = newRules.privilegedCreators ? Infinity : (users[user] as number);
      for (const target of storage.memberships.usersWith(roomId, "ban")) {
        const canBan = upgraderLevel >= numberOr(oldLevels.ban, 50) && upgraderLevel > numberOr(users[target], usersDefault);
        const ban = current.get(stateKeyOf("m.room.member", target));
        const body = ban === undefined ? undefined : eventStore.getPdu(ban)?.content;
        if (canBan && body !== undefined) drafts.push(stateDraft("m.room.member", body, target));
      }
      const canonical = content("m.room.canonical_alias");
      if (canonical !== undefined && Object.keys(canonical).length > 0) drafts.push(stateDraft("m.room.canonical_alias", canonical));

      const newRoom = { creator: user, rules: newRules, createContent, drafts, inside: (id: string) => moveDirectoryEntries(storage, roomId, id) };
      const tombstone = (replacement: string): EventDraft => ({
        type: "m.room.tombstone",
        state_key: "",
        content: { body: "This room has been replaced", replacement_room: replacement },
        sender: user,
      });
      // The new room and the old room's tombstone are written in one transaction, so neither is
      // ever left without the other.
      const newRoomId = await queue.run(roomId, (ctx) => {
        const head = heads.get(roomId);
        if (!head) throw forbidden(`${user} is not in room ${roomId}`);
        try {
          return storage.transaction(() => {
            // since v12 the room id is the create event's hash: the tombstone can only follow,
            // and the predecessor may leave its event id out.
            if (newRules.roomIdIsCreateEventHash) {
              const id = roomCreation.writeRoom(ctx, newRoom);
              events.append(head, tombstone(id), ctx);
              return id;
            }
            // before, the predecessor names the old room's last event: the tombstone itself.
            const id = roomCreation.mintRoomId();
            predecessor.event_id = events.append(head, tombstone(id), ctx).eventId;
            return roomCreation.writeRoom(ctx, { ...newRoom, roomId: id });
          });
        } catch (e) {
          invalidate();
          throw e;
        }
      });
      if (canonical !== undefined && Object.keys(canonical).length > 0) {
        await events.send(roomId, { type: "m.room.canonical_alias", state_key: "", content: {}, sender: user });
      }
      // Mute the old room: speaking and inviting need more than an ordinary member's level.
      const restricted = Math.max(50, usersDefault + 1);
      await events
        .send(roomId, {
          type: "m.room.power_levels",
          state_key: "",
          content: { ...oldLevels, events_default: restricted, invite: restricted },
          sender: user,
        })
        .catch((e: unknown) => {
          // "If possible": the upgrader may lack the power to change levels.
          if (!(e instanceof MatrixError && e.status === 403)) throw e;
        });
      return { replacement_room: newRoomId };
    },
  };
}
export type RoomUpgrades = ReturnType<typeof createRoomUpgrades>;
