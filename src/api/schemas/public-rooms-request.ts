/**
 * The body of a POST publicRooms request, which the client-server and server-server APIs share
 * (paging, a search term, network selection).
 */
import { t } from "elysia";

export const PublicRoomsRequest = t.Object({
  limit: t.Optional(t.Integer({ minimum: 0 })),
  since: t.Optional(t.String()),
  filter: t.Optional(t.Object({ generic_search_term: t.Optional(t.String()) })),
  include_all_networks: t.Optional(t.Boolean()),
  third_party_instance_id: t.Optional(t.String()),
});
