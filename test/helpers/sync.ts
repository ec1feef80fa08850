/**
 * `/sync` for API tests: typed response shapes and a client that remembers its `next_batch`, so a
 * test reads "what did this user see since last time".
 */
import type { UserCall } from "./as-user";
import type { TestServer } from "./server";

export interface SyncEvent {
  type: string;
  content: Record<string, unknown>;
  sender?: string;
  state_key?: string;
  event_id?: string;
  unsigned?: Record<string, unknown>;
}

export interface JoinedRoom {
  timeline: { events: SyncEvent[]; limited: boolean; prev_batch?: string };
  state: { events: SyncEvent[] };
  ephemeral: { events: SyncEvent[] };
  account_data: { events: SyncEvent[] };
  summary?: Record<string, unknown>;
  unread_notifications: { notification_count: number; highlight_count: number };
}

export interface SyncBody {
  next_batch: string;
  rooms: {
    join: Record<string, JoinedRoom>;
    invite: Record<string, { invite_state: { events: SyncEvent[] } }>;
    knock: Record<string, { knock_state: { events: SyncEvent[] } }>;
    leave: Record<string, Omit<JoinedRoom, "ephemeral" | "unread_notifications" | "summary">>;
  };
  account_data: { events: SyncEvent[] };
  presence: { events: SyncEvent[] };
  to_device: { events: { sender: string; type: string; content: Record<string, unknown> }[] };
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
  errcode?: string;
}

export interface SyncClient {
  /** Syncs from the last `next_batch` (an initial sync the first time) and remembers the new one. */
  next(query?: Record<string, string>): Promise<SyncBody>;
  /** Forgets the token: the next call is an initial sync. */
  reset(): void;
  readonly token: string | undefined;
}

export function syncClient(call: UserCall): SyncClient {
  let since: string | undefined;
  return {
    async next(query = {}) {
      const params = new URLSearchParams(query);
      if (since !== undefined) params.set("since", since);
      const res = await call<SyncBody>("GET", `/sync?${params}`);
      if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body)}`);
      since = res.body.next_batch;
      return res.body;
    },
    reset() {
      since = undefined;
    },
    get token() {
      return since;
    },
  };
}

/** The events of `type` in a list. */
export const ofType = (events: readonly SyncEvent[], type: string) => events.filter((e) => e.type === type);

/** Resolves once `userId`'s next `/sync` is parked waiting for news (the server logs at debug). */
export function parked(server: TestServer, userId: string): Promise<string> {
  const user = JSON.stringify(userId);
  return server.nextLine((line) => line.includes('"msg":"sync waits for news"') && line.includes(`"user_id":${user}`));
}
