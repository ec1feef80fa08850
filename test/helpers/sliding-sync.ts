/**
 * Simplified sliding sync (MSC4186) for API tests: a connection that remembers its `pos`, on the
 * path Element X calls (`unstable`, query parameters as matrix-rust-sdk sends them) or the
 * merged MSC's (`v4`, everything in the body).
 */
import { api, type ApiResponse, type Session } from "./client";
import type { TestServer } from "./server";
import type { SyncEvent } from "./sync";

export interface SlidingRoom {
  name?: string | null;
  avatar?: string | null;
  heroes?: { user_id: string; displayname?: string; avatar_url?: string }[];
  initial?: boolean;
  membership?: string;
  is_dm?: boolean;
  lists?: string[];
  required_state?: SyncEvent[];
  timeline?: SyncEvent[];
  prev_batch?: string;
  limited?: boolean;
  num_live?: number;
  joined_count?: number;
  invited_count?: number;
  notification_count?: number;
  highlight_count?: number;
  bump_stamp?: number;
  invite_state?: SyncEvent[];
  stripped_state?: SyncEvent[];
  unstable_expanded_timeline?: boolean;
  expanded_timeline?: boolean;
}

export interface SlidingBody {
  pos: string;
  txn_id?: string;
  lists: Record<string, { count: number }>;
  rooms: Record<string, SlidingRoom>;
  extensions: {
    to_device?: { next_batch: string; events: SyncEvent[] };
    e2ee?: { device_lists?: { changed: string[]; left: string[] }; device_one_time_keys_count?: Record<string, number>; device_unused_fallback_key_types?: string[] };
    account_data?: { global: SyncEvent[]; rooms: Record<string, SyncEvent[]> };
    receipts?: { rooms: Record<string, SyncEvent> };
    typing?: { rooms: Record<string, SyncEvent> };
  };
}

/** An answer: the body, or a Matrix error's. */
export type SlidingAnswer = ApiResponse<SlidingBody & { errcode?: string; error?: string }>;

export const unstablePath = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync";

export interface SlidingOptions {
  /** Long-poll for this many ms (0: answer at once). */
  timeout?: number;
  /** Send this `pos` instead of the remembered one (`null`: none). */
  pos?: string | null;
}

/** One sliding sync connection of `who`; `pos` advances with each 200 answer. */
export function slidingConnection(server: TestServer, who: Session, dialect: "unstable" | "v4" = "unstable") {
  const conn = {
    pos: undefined as string | undefined,
    async raw(body: Record<string, unknown>, opts: SlidingOptions = {}): Promise<SlidingAnswer> {
      const pos = opts.pos === null ? undefined : (opts.pos ?? conn.pos);
      let res: SlidingAnswer;
      if (dialect === "unstable") {
        const query = new URLSearchParams();
        if (pos !== undefined) query.set("pos", pos);
        query.set("timeout", String(opts.timeout ?? 0));
        res = await api(server.baseUrl, "POST", `${unstablePath}?${query}`, { token: who.access_token, body });
      } else {
        res = await api(server.baseUrl, "POST", "/_matrix/client/v4/sync", {
          token: who.access_token,
          body: { ...body, ...(pos !== undefined ? { pos } : {}), timeout: opts.timeout ?? 0 },
        });
      }
      if (res.status === 200) conn.pos = res.body.pos;
      return res;
    },
    async sync(body: Record<string, unknown>, opts: SlidingOptions = {}): Promise<SlidingBody> {
      const res = await conn.raw(body, opts);
      if (res.status !== 200) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
  return conn;
}
