/**
 * Wires VoIP: TURN credentials for 1:1 calls, and the MatrixRTC transports (MSC4143) Element Call
 * uses for group calls, from `[global.matrix_rtc] foci`.
 */
import type { JsonObject } from "../../core/types";
import type { SharedDeps } from "../shared-deps";
import { createTurnCredentials } from "./turn";

export function buildVoip(deps: Pick<SharedDeps, "config" | "clock">) {
  const { config } = deps;
  const transports: readonly JsonObject[] = config.matrix_rtc.foci.map((focus) => ({ ...focus }) as JsonObject);
  return {
    turn: createTurnCredentials(config, deps.clock),
    /** The configured transports, in the operator's order of preference. */
    rtcTransports: (): JsonObject[] => transports.map((t) => ({ ...t })),
  };
}
export type Voip = ReturnType<typeof buildVoip>;
