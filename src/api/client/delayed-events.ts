/**
 * Delayed events, MSC4140 (https://github.com/matrix-org/matrix-spec-proposals/pull/4140), under
 * its unstable prefix: the current text and the earlier forms Element Call and Synapse use.
 * PUT /_matrix/client/unstable/org.matrix.msc4140/rooms/{roomId}/delayed_event/{eventType}/{txnId}
 *   (current text: `delay_ms`, `state_key`, `content` in the body)
 * GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events (`delayed_events`: the scheduled
 *   ones; with `status=scheduled|finalised`, the earlier `scheduled`/`finalised` lists)
 * GET /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{delayId}
 * POST /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{delayId}/{action} (current text)
 * POST /_matrix/client/unstable/org.matrix.msc4140/delayed_events/{delayId} (earlier: `action` in the body)
 * The `delay` query parameter of PUT /send and /state is in room-events.ts.
 */
import { Elysia, t } from "elysia";
import { isJsonObject } from "../../core/types";
import type { Services } from "../../services";
import { delayNotAllowed, type DelayedEventAction } from "../../services/delayed-events/delayed-events";
import { badJson, invalidParam, missingParam } from "../../services/matrix-error";
import { timestamp } from "../http/query-values";
import { clientAuth } from "../plugins/client-auth";

const PREFIX = "/_matrix/client/unstable/org.matrix.msc4140";
const ACTIONS: readonly DelayedEventAction[] = ["send", "cancel", "restart"];

function actionOf(value: unknown): DelayedEventAction {
  if (value === undefined) throw missingParam("'action' is missing");
  const action = ACTIONS.find((a) => a === value);
  if (!action) throw invalidParam(`'action' must be one of ${ACTIONS.join(", ")}`);
  return action;
}

const Status = t.Union([t.Literal("scheduled"), t.Literal("finalised")]);

export const delayedEventsRoutes = ({ accounts: { tokens: auth }, delayedEvents: { delayed } }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .put(`${PREFIX}/rooms/:roomId/delayed_event/:eventType/:txnId`, ({ requester, params, body, query }) => {
      if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
      const { delay_ms: delayMs, state_key: stateKey, content } = body;
      if (typeof delayMs !== "number") throw missingParam("delay_ms must be a number of milliseconds");
      if (stateKey !== undefined && typeof stateKey !== "string") throw badJson("state_key must be a string");
      if (!isJsonObject(content)) throw badJson("content must be a JSON object");
      const { roomId, eventType: type, txnId } = params;
      return delayed.schedule(requester, { roomId, type, stateKey, content, delayMs, txnId, ts: timestamp(query.ts), tooLong: delayNotAllowed });
    }, { auth: true, query: t.Object({ ts: t.Optional(t.String()) }) })
    .get(`${PREFIX}/delayed_events`, ({ requester, query }) => {
      const { scheduled, finalised } = delayed.list(requester.userId);
      if (query.status === undefined) return { delayed_events: scheduled, scheduled, finalised };
      const statuses = Array.isArray(query.status) ? query.status : [query.status];
      return {
        ...(statuses.includes("scheduled") ? { scheduled } : {}),
        ...(statuses.includes("finalised") ? { finalised } : {}),
      };
    }, { auth: true, query: t.Object({ status: t.Optional(t.Union([Status, t.Array(Status)])) }) })
    .get(`${PREFIX}/delayed_events/:delayId`, ({ requester, params }) => delayed.get(requester, params.delayId), { auth: true })
    .post(`${PREFIX}/delayed_events/:delayId/:action`, ({ requester, params }) =>
      delayed.act(requester, params.delayId, actionOf(params.action)), { auth: true })
    .post(`${PREFIX}/delayed_events/:delayId`, ({ requester, params, body }) => {
      if (!isJsonObject(body)) throw badJson("The request body must be a JSON object");
      return delayed.act(requester, params.delayId, actionOf(body.action));
    }, { auth: true });
