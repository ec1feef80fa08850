/**
 * TURN credentials for VoIP (spec "Voice over IP", GET /voip/turnServer) from Conduit's keys:
 * with `turn_secret`, time-limited credentials of the TURN REST API that coturn checks
 * (username "<expiry>:<user id>", password the base64 HMAC-SHA1 of it under the secret); else the
 * fixed `turn_username`/`turn_password`. No `turn_uris`: an empty object, as Synapse answers.
 */
import { createHmac } from "node:crypto";
import type { Config } from "../../config";
import type { JsonObject } from "../../core/types";
import type { Clock } from "../../runtime/clock";

export type TurnConfig = Pick<Config, "turn_uris" | "turn_secret" | "turn_username" | "turn_password" | "turn_ttl">;

export function createTurnCredentials(config: TurnConfig, clock: Clock) {
  return {
    /** The `/voip/turnServer` answer for `userId`. */
    forUser(userId: string): JsonObject {
      if (config.turn_uris.length === 0) return {};
      const base = { uris: [...config.turn_uris], ttl: config.turn_ttl };
      if (config.turn_secret !== undefined) {
        const username = `${Math.floor(clock.now() / 1000) + config.turn_ttl}:${userId}`;
        const password = createHmac("sha1", config.turn_secret).update(username).digest("base64");
        return { username, password, ...base };
      }
      if (config.turn_username === undefined || config.turn_password === undefined) return {};
      return { username: config.turn_username, password: config.turn_password, ...base };
    },
  };
}
export type TurnCredentials = ReturnType<typeof createTurnCredentials>;
