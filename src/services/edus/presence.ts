/**
 * Presence (spec "Presence"): each user's online/unavailable/offline state, status message and
 * last activity, visible to the user and to everyone sharing a room with them. `/sync` marks its
 * caller online (or as `set_presence` says); a user whose last sync ended more than
 * `offlineAfterMs` ago without a new one goes offline. A change clients must see moves the
 * presence stream and wakes everyone who can see it. Mere activity (each sync) is kept in memory
 * and written with the next visible change: a long-poll must not cost a disk flush.
 */
import type { JsonObject } from "../../core/types";
import type { Storage } from "../../storage";
import type { NewPresence, PresenceRow, PresenceState } from "../../storage/presence";
import type { Requester } from "../accounts/access-tokens";
import type { Clock } from "../../runtime/clock";
import { forbidden, notFound } from "../matrix-error";
import type { MembershipView } from "../rooms/membership-view";
import type { Notifier } from "../sync/notifier";

export type { PresenceState };

/** Synapse's figure: a client that stopped long-polling for this long is taken to be gone. */
const defaultOfflineAfterMs = 30_000;

interface Syncing {
  active: number;
  /** Cancels the pending check for idleness. */
  cancelIdle?: () => void;
}

export function createPresenceService(deps: {
  storage: Storage;
  members: MembershipView;
  notifier: Notifier;
  clock: Clock;
  offlineAfterMs?: number;
}) {
  const { storage, members, notifier, clock } = deps;
  const offlineAfterMs = deps.offlineAfterMs ?? defaultOfflineAfterMs;
  const syncing = new Map<string, Syncing>();
  const listeners = new Set<(row: NewPresence) => void>();
  /** Activity newer than the stored `last_active_ts`, by user. */
  const activeAt = new Map<string, number>();

  const lastActive = (row: PresenceRow) => Math.max(row.last_active_ts, activeAt.get(row.user_id) ?? 0);

  function content(row: PresenceRow): JsonObject {
    const out: JsonObject = { presence: row.state, last_active_ago: Math.max(0, clock.now() - lastActive(row)) };
    if (row.status_msg !== null) out.status_msg = row.status_msg;
    if (row.state === "online") out.currently_active = row.currently_active === 1;
    return out;
  }

  function presenceEvent(row: PresenceRow): JsonObject {
    return { type: "m.presence", sender: row.user_id, content: content(row) };
  }

  /** Writes a visible change when anything a client sees differs; returns whether it did. */
  function update(userId: string, state: PresenceState, statusMsg: string | null | undefined, active: boolean): boolean {
    const now = clock.now();
    const current = storage.presence.getPresence(userId);
    const status = statusMsg === undefined ? (current?.status_msg ?? null) : statusMsg;
    const currentlyActive = state === "online" ? 1 : 0;
    if (active) activeAt.set(userId, now);
    if (current && current.state === state && current.status_msg === status && current.currently_active === currentlyActive) return false;
    const lastActiveTs = current ? lastActive(current) : now;
    const row: NewPresence = { user_id: userId, state, status_msg: status, last_active_ts: lastActiveTs, currently_active: currentlyActive };
    storage.presence.putPresence(row);
    activeAt.delete(userId);
    notifier.wakeUsers(members.usersSharingRooms(userId));
    for (const listener of listeners) listener(row);
    return true;
  }

  function goOfflineIfIdle(userId: string): void {
    const entry = syncing.get(userId);
    if (entry && entry.active > 0) return;
    syncing.delete(userId);
    update(userId, "offline", undefined, false);
  }

  return {
    /** PUT /presence/{userId}/status: only your own. */
    setPresence(requester: Requester, userId: string, state: PresenceState, statusMsg: string | undefined): void {
      if (requester.userId !== userId) throw forbidden("Cannot set the presence of another user");
      update(userId, state, statusMsg, state === "online");
    },

    /** GET /presence/{userId}/status: yourself, or someone you share a room with. */
    getPresence(requester: Requester, userId: string): JsonObject {
      if (!members.sharesRoom(requester.userId, userId)) throw forbidden("You are not allowed to see their presence");
      const row = storage.presence.getPresence(userId);
      if (row) return content(row);
      if (!storage.accounts.getUser(userId)) throw notFound("No presence for this user");
      return { presence: "offline" };
    },

    /**
     * A `/sync` began: mark the user as `set_presence` asks (default online; `offline` leaves the
     * state alone). Returns the function to call when that request ends.
     */
    syncStarted(userId: string, setPresence: PresenceState | undefined): () => void {
      const entry = syncing.get(userId) ?? { active: 0 };
      syncing.set(userId, entry);
      entry.active++;
      entry.cancelIdle?.();
      entry.cancelIdle = undefined;
      const wanted = setPresence ?? "online";
      if (wanted !== "offline") update(userId, wanted, undefined, wanted === "online");
      return () => {
        entry.active--;
        if (entry.active > 0) return;
        entry.cancelIdle?.();
        entry.cancelIdle = clock.schedule(offlineAfterMs, () => goOfflineIfIdle(userId));
      };
    },

    /** A presence change from another server, for one of its users. */
    applyRemote(userId: string, state: PresenceState, statusMsg: string | null | undefined, currentlyActive: boolean): void {
      update(userId, state, statusMsg, currentlyActive);
    },

    /** Subscribes to every visible change (the federation sender relays our users' changes). */
    onChange(listener: (row: NewPresence) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** The `m.presence` event for a row, with `last_active_ago` as of now. */
    event: presenceEvent,

    changedSince(from: number, to: number): PresenceRow[] {
      return storage.presence.presenceSince(from, to);
    },

    of(userIds: readonly string[], to: number): PresenceRow[] {
      return storage.presence.presenceOf(userIds, to);
    },

    /** Presence events of these users as of `to`; one who never had any is offline (as GET answers). */
    eventsOf(userIds: readonly string[], to: number): JsonObject[] {
      const rows = storage.presence.presenceOf(userIds, to);
      const known = new Set(rows.map((r) => r.user_id));
      const events = rows.map((r) => presenceEvent(r));
      for (const userId of userIds) {
        if (!known.has(userId) && !storage.presence.getPresence(userId)) events.push({ type: "m.presence", sender: userId, content: { presence: "offline" } });
      }
      return events;
    },

    position: () => storage.presence.position(),
  };
}
export type PresenceService = ReturnType<typeof createPresenceService>;
