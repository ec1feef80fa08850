/**
 * GET /_matrix/client/v3/voip/turnServer — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3voipturnserver
 * GET /_matrix/client/unstable/org.matrix.msc4143/rtc/transports — MSC4143 (MatrixRTC), "Discovery
 *   of transport infrastructure": the transports this server offers, as `rtc_transports`.
 * What clients need for calls: TURN relays for 1:1 calls, the SFUs (LiveKit) for group calls.
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { clientAuth } from "../plugins/client-auth";

export const voipRoutes = ({ accounts: { tokens: auth }, voip }: Services) =>
  new Elysia()
    .use(clientAuth(auth))
    .get("/_matrix/client/v3/voip/turnServer", ({ requester }) => voip.turn.forUser(requester.userId), { auth: true })
    .get("/_matrix/client/unstable/org.matrix.msc4143/rtc/transports", () => ({ rtc_transports: voip.rtcTransports() }), { auth: true });
