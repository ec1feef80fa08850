/**
 * Reporting content (spec "Reporting content"): a user reports an event of a room they are
 * joined to, a room (v1.13, MSC4151) or a user (v1.14, MSC4260). Reports are stored for the
 * server admins; each costs one token of the reporter's `report` budget.
 */
import { parseUserId } from "../../core/ids";
import { isJsonObject } from "../../core/types";
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { NewReport } from "../../storage/reports";
import { isRateLimited, type Requester } from "../accounts/access-tokens";
import { badJson, invalidParam, notFound } from "../matrix-error";
import type { RateLimiter } from "../rate-limit";

export interface ReportBody {
  reason?: string;
  score?: number;
}

/** The request body: `reason` a string when given; `score` (events only) an integer from -100 to 0. */
function readBody(body: unknown, withScore: boolean): ReportBody {
  if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
  const { reason, score } = body;
  if (reason !== undefined && typeof reason !== "string") throw badJson("reason must be a string");
  if (withScore && score !== undefined && (typeof score !== "number" || !Number.isInteger(score) || score < -100 || score > 0)) {
    throw invalidParam("score must be an integer between -100 and 0");
  }
  return { reason, score: withScore ? (score as number | undefined) : undefined };
}

export function createContentReports(deps: { storage: Storage; clock: Clock; rateLimits: RateLimiter; serverName: string }) {
  const { storage } = deps;

  function store(requester: Requester, report: Omit<NewReport, "reporter" | "received_ts">): void {
    if (isRateLimited(requester)) deps.rateLimits.take("report", requester.userId);
    storage.reports.insert({ ...report, reporter: requester.userId, received_ts: deps.clock.now() });
  }

  return {
    /**
     * Reports an event. Not being joined, an unknown event and a redacted one all answer the same
     * 404, so a report reveals nothing about rooms the reporter cannot read.
     */
    reportEvent(requester: Requester, roomId: string, eventId: string, body: unknown): void {
      const { reason, score } = readBody(body, true);
      const notVisible = () => notFound("The event was not found or you are not joined to the room");
      if (storage.memberships.get(roomId, requester.userId)?.membership !== "join") throw notVisible();
      const event = storage.events.get(eventId);
      if (!event || event.room_id !== roomId || event.outlier || event.rejected_reason !== null || event.redacted_by !== null) throw notVisible();
      store(requester, { kind: "event", room_id: roomId, event_id: eventId, target_user_id: event.sender, reason: reason ?? null, score: score ?? null });
    },

    /** Reports a room this server knows; the reporter need not be in it. */
    reportRoom(requester: Requester, roomId: string, body: unknown): void {
      const { reason } = readBody(body, false);
      if (!storage.rooms.get(roomId)) throw notFound("The room was not found");
      store(requester, { kind: "room", room_id: roomId, event_id: null, target_user_id: null, reason: reason ?? null, score: null });
    },

    /** Reports a user: a local one must exist; another server's user is taken at its word. */
    reportUser(requester: Requester, userId: string, body: unknown): void {
      const { reason } = readBody(body, false);
      const parsed = parseUserId(userId);
      if (!parsed) throw invalidParam(`${userId} is not a user id`);
      if (parsed.serverName === deps.serverName && !storage.accounts.getUser(userId)) throw notFound("The user was not found");
      store(requester, { kind: "user", room_id: null, event_id: null, target_user_id: userId, reason: reason ?? null, score: null });
    },
  };
}
export type ContentReports = ReturnType<typeof createContentReports>;
