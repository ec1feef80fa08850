/**
 * GET /_matrix/client/v3/capabilities — https://spec.matrix.org/v1.19/client-server-api/#get_matrixclientv3capabilities
 * What this server lets clients do: change passwords and profiles (no third-party identifiers, no
 * login tokens), and which room versions it offers (every version of the rules table, as stable).
 */
import { Elysia } from "elysia";
import type { Services } from "../../services";
import { roomVersions } from "../../core/room-versions";
import { clientAuth } from "../plugins/client-auth";

export const capabilitiesRoutes = ({ accounts: { tokens: auth }, config }: Services) => {
  const body = {
    capabilities: {
      "m.change_password": { enabled: true },
      "m.room_versions": {
        default: config.default_room_version,
        available: Object.fromEntries(Object.keys(roomVersions).map((v) => [v, "stable"])),
      },
      "m.profile_fields": { enabled: true },
      // Deprecated since v1.16 in favour of m.profile_fields, still read by older clients.
      "m.set_displayname": { enabled: true },
      "m.set_avatar_url": { enabled: true },
      "m.3pid_changes": { enabled: false },
      "m.get_login_token": { enabled: false },
      // MSC4140: the limits on delayed events.
      "org.matrix.msc4140.delayed_events": { max_delay_ms: config.max_delayed_event_delay_ms, max_scheduled: config.max_delayed_events_per_user },
    },
  };
  return new Elysia().use(clientAuth(auth)).get("/_matrix/client/v3/capabilities", () => body, { auth: true });
};
