/**
 * Delayed events (MSC4140, as Element Call uses it for its "hang up" event): a user schedules an
 * event, restarts its delay as a heartbeat, and the server sends it when the delay runs out. The
 * rows live in SQLite; one clock timer waits for the earliest, and at start the overdue ones are
 * sent late, in order of their send time, rather than never. Power levels and rate limits apply
 * at sending. A state event someone else sets cancels the others' delayed events for that state.
 */
import { randomBytes } from "node:crypto";
import { stateKeyOf, type JsonObject, type StateKey } from "../../core/types";
import type { Clock } from "../../runtime/clock";
import type { Logger } from "../../runtime/logger";
import type { Storage } from "../../storage";
import type { DelayedEventRow } from "../../storage/delayed-events";
import { isRateLimited, type Requester } from "../accounts/access-tokens";
import { MatrixError, forbidden, limitExceeded, notFound } from "../matrix-error";
import type { RoomsService } from "../rooms/room-actions";

/** The MSC's suggested retention of finalised events: 7 days, or 1000 per user. */
const FINALISED_KEEP_MS = 7 * 86_400_000;
const FINALISED_KEEP_COUNT = 1000;
/** The longest single wait of the timer (timers overflow past 2^31 - 1 ms); a later event is waited for in steps. */
const MAX_WAIT_MS = 3_600_000;

export type DelayedEventAction = "send" | "cancel" | "restart";

export interface DelayedEventRequest {
  roomId: string;
  type: string;
  /** Set for a state event. */
  stateKey?: string;
  content: JsonObject;
  delayMs: number;
  /** Timestamp massaging (application services only). */
  ts?: number;
  /** The request's transaction id: a retry gets the same delay id. */
  txnId?: string;
  /** The error for a delay over the maximum (its form differs between versions of the MSC). */
  tooLong(maxDelayMs: number): MatrixError;
}

/** The error of the MSC's first versions, which the `delay` query parameter of /send and /state follows. */
export const maxDelayExceeded = (maxDelayMs: number) =>
  new MatrixError(400, "M_MAX_DELAY_EXCEEDED", "The requested delay exceeds the allowed maximum", { max_delay: maxDelayMs });
/** The error of the MSC's current text, for its own scheduling endpoint. */
export const delayNotAllowed = (maxDelayMs: number) => forbidden(`The requested delay exceeds the allowed maximum of ${maxDelayMs} ms`);

export interface DelayedEventsDeps {
  storage: Storage;
  clock: Clock;
  log: Logger;
  rooms: RoomsService;
  maxDelayMs: number;
  maxPerUser: number;
  /** Uses one message token of the user (429 M_LIMIT_EXCEEDED when none is left). */
  takeMessageToken(userId: string): void;
}

export function createDelayedEvents(deps: DelayedEventsDeps) {
  const { storage, clock, log, rooms } = deps;
  const repo = storage.delayedEvents;
  /** Sends in progress, so the timer and a `send` action never send one event twice. */
  const inFlight = new Map<string, Promise<void>>();
  let cancelTimer: (() => void) | undefined;
  let timerDue: number | undefined;
  let draining = false;

  /** The wire form: the MSC's fields, the optional ones only when they apply. */
  function describe(row: DelayedEventRow): JsonObject {
    const out: JsonObject = { delay_id: row.delay_id, room_id: row.room_id, type: row.type };
    if (row.state_key !== null) out.state_key = row.state_key;
    Object.assign(out, { delay_ms: row.delay_ms, scheduled_at: row.scheduled_at, content: JSON.parse(row.content) as JsonObject });
    if (row.finalised_ts !== null) {
      if (row.event_id !== null) out.event_id = row.event_id;
      if (row.error !== null) out.error = JSON.parse(row.error) as JsonObject;
      out.finalised_ts = row.finalised_ts;
    }
    return out;
  }

  const finalise = (row: DelayedEventRow, outcome: { eventId?: string; error?: string }): boolean => {
    const now = clock.now();
    return storage.transaction(() => {
      const done = repo.finalise(row.delay_id, now, outcome);
      repo.prune(row.user_id, now - FINALISED_KEEP_MS, FINALISED_KEEP_COUNT);
      return done;
    });
  };

  /** Sends the event as its owner would have through /send or /state; throws what those throw. */
  async function sendNow(row: DelayedEventRow): Promise<string> {
    const requester = JSON.parse(row.requester) as Requester;
    const content = JSON.parse(row.content) as JsonObject;
    const opts = { ts: row.origin_ts ?? undefined, delayId: row.delay_id };
    const sent = row.state_key === null
      ? await rooms.sendMessage(requester, row.room_id, row.type, undefined, content, opts)
      : await rooms.setState(requester, row.room_id, row.type, row.state_key, content, opts);
    return sent.event_id;
  }

  /**
   * One send at a time per delayed event. `keepOnError`: a `send` action answers the error and
   * leaves the event scheduled (the cause may pass); at the send time an error finalises it.
   */
  function attempt(row: DelayedEventRow, keepOnError: boolean): Promise<void> {
    const running = inFlight.get(row.delay_id);
    if (running) return running;
    const run = (async () => {
      try {
        const eventId = await sendNow(row);
        finalise(row, { eventId });
      } catch (e) {
        if (keepOnError) throw e;
        const error = e instanceof MatrixError ? e.toJSON() : { errcode: "M_UNKNOWN", error: "The event could not be sent" };
        log.info("delayed event not sent", { delay_id: row.delay_id, room_id: row.room_id, errcode: error.errcode });
        finalise(row, { error: JSON.stringify(error) });
      } finally {
        inFlight.delete(row.delay_id);
      }
    })();
    inFlight.set(row.delay_id, run);
    return run;
  }

  /** Sends everything due, in order of send time, then waits for the next. */
  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      for (let due = repo.due(clock.now()); due.length > 0; due = repo.due(clock.now())) {
        // A `send` action's attempt in flight rejects with its own error; the row stays due and
        // is tried again at once as a timed send.
        for (const row of due) await attempt(row, false).catch(() => {});
      }
    } finally {
      draining = false;
      arm();
    }
  }

  /** Sets the one timer for the earliest scheduled event (a late one is due at once). */
  function arm(): void {
    if (draining) return; // drain arms when it is done
    const next = repo.nextSendTs();
    if (next === timerDue) return;
    cancelTimer?.();
    cancelTimer = undefined;
    timerDue = next ?? undefined;
    if (next === null) return;
    cancelTimer = clock.schedule(Math.min(next - clock.now(), MAX_WAIT_MS), () => {
      cancelTimer = undefined;
      timerDue = undefined;
      void drain();
    });
  }

  /** The caller's own delayed event, or 404 (another user's is not theirs to see). */
  function own(userId: string, delayId: string): DelayedEventRow {
    const row = repo.get(delayId);
    if (!row || row.user_id !== userId) throw notFound(`No delayed event ${delayId}`);
    return row;
  }

  const conflict = (msg: string) => new MatrixError(409, "M_UNKNOWN", msg);

  return {
    /** Schedules an event; answers its delay id (the same one for a retried transaction). */
    schedule(requester: Requester, req: DelayedEventRequest): { delay_id: string } {
      const userId = requester.userId;
      const txnKey = req.txnId === undefined ? null : `${requester.deviceId}\u0000${req.roomId}\u0000${req.type}\u0000${req.txnId}`;
      const earlier = txnKey === null ? null : repo.byTxn(userId, txnKey);
      if (earlier !== null) return { delay_id: earlier };
      if (deps.maxPerUser === 0) throw forbidden("Delayed events are disabled on this server");
      if (!Number.isSafeInteger(req.delayMs) || req.delayMs <= 0) throw new MatrixError(400, "M_INVALID_PARAM", "The delay must be a positive number of milliseconds");
      if (req.delayMs > deps.maxDelayMs) throw req.tooLong(deps.maxDelayMs);
      rooms.checkSendable(requester, req.roomId, req.type, req.stateKey, req.content);
      const { count, nextSendTs } = repo.scheduledCount(userId);
      if (count >= deps.maxPerUser) {
        const e = limitExceeded((nextSendTs ?? clock.now()) - clock.now());
        throw new MatrixError(429, "M_LIMIT_EXCEEDED", "The maximum number of delayed events has been reached", e.extra, e.headers);
      }
      if (isRateLimited(requester)) deps.takeMessageToken(userId);
      const now = clock.now();
      const delayId = `syd_${randomBytes(15).toString("base64url")}`;
      repo.insert({
        delay_id: delayId,
        user_id: userId,
        requester: JSON.stringify(requester),
        room_id: req.roomId,
        type: req.type,
        state_key: req.stateKey ?? null,
        content: JSON.stringify(req.content),
        origin_ts: req.ts !== undefined && requester.appservice ? req.ts : null,
        delay_ms: req.delayMs,
        scheduled_at: now,
        send_ts: now + req.delayMs,
        txn_key: txnKey,
      });
      arm();
      return { delay_id: delayId };
    },

    /** `restart`, `cancel` or `send`; repeating an action that already took effect succeeds. */
    async act(requester: Requester, delayId: string, action: DelayedEventAction): Promise<JsonObject> {
      let row = own(requester.userId, delayId);
      const running = inFlight.get(delayId);
      if (running) {
        await running.catch(() => {});
        row = own(requester.userId, delayId);
      }
      if (row.finalised_ts !== null) {
        const sent = row.event_id !== null;
        if (action === "send" && sent) return {};
        if (action === "cancel" && !sent) return {};
        throw conflict(sent ? "The delayed event has already been sent" : "The delayed event has been cancelled");
      }
      if (action === "restart") {
        repo.restart(delayId, clock.now());
        arm();
      } else if (action === "cancel") {
        finalise(row, {});
        arm();
      } else {
        await attempt(row, true);
        arm();
      }
      return {};
    },

    /** GET /delayed_events/{delay_id}: one of the caller's events, scheduled or finalised. */
    get(requester: Requester, delayId: string): JsonObject {
      return describe(own(requester.userId, delayId));
    },

    /** The caller's scheduled events (next to be sent first) and finalised ones (latest first). */
    list(userId: string): { scheduled: JsonObject[]; finalised: JsonObject[] } {
      return { scheduled: repo.scheduledFor(userId).map(describe), finalised: repo.finalisedFor(userId).map(describe) };
    },

    /**
     * Called in the transaction that changes a room's current state: a state event set by someone
     * cancels the scheduled delayed events of everyone else for that state, which would overwrite
     * it (the MSC's "conflicting delayed state events"; as Synapse does).
     */
    stateChanged(roomId: string, changed: ReadonlyMap<StateKey, string | null>): void {
      const pending = repo.scheduledStateIn(roomId);
      if (pending.length === 0) return;
      for (const { type, state_key } of pending) {
        const eventId = changed.get(stateKeyOf(type, state_key));
        const sender = eventId == null ? undefined : storage.events.get(eventId)?.sender;
        if (sender === undefined) continue;
        const error = JSON.stringify({ errcode: "M_CANCELLED_BY_STATE_UPDATE", error: "Another user set this state before the delayed event was sent" });
        repo.cancelForState(roomId, type, state_key, sender, clock.now(), error);
      }
    },

    /** Starts the timer: overdue events (the server was down when they were due) are sent now. */
    start(): void {
      arm();
    },

    /** Stops the timer (events stay scheduled for the next start). */
    stop(): void {
      cancelTimer?.();
      cancelTimer = undefined;
      timerDue = undefined;
    },
  };
}
export type DelayedEvents = ReturnType<typeof createDelayedEvents>;
