/**
 * The small part of the identifier grammar the authorization rules need: the server name of a
 * user, room or event id, and whether a string is a well-formed user id (the same check the spec
 * applies to `sender`, used for power level `users` keys and v12 `additional_creators`).
 */

const textEncoder = new TextEncoder();

/** The server name of `@user:server`, `!room:server` or `$event:server` (everything after the first colon). */
export function serverNameOf(id: string): string | undefined {
  const colon = id.indexOf(":");
  return colon < 0 ? undefined : id.slice(colon + 1);
}

// Historical user ids allow any printable ASCII but ':' in the localpart.
const LOCALPART = /^[\x21-\x39\x3B-\x7E]+$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** True for `host`, `host:port`, IPv4 or `[IPv6]` literals with an optional port. */
export function isValidServerName(name: string): boolean {
  let host = name;
  const portMatch = /:(\d{1,5})$/.exec(name);
  if (portMatch && !name.endsWith("]")) host = name.slice(0, portMatch.index);
  if (host.startsWith("[")) return IPV6.test(host);
  return IPV4.test(host) || DNS_NAME.test(host);
}

export function isValidUserId(value: unknown): value is string {
  if (typeof value !== "string" || !value.startsWith("@")) return false;
  if (textEncoder.encode(value).length > 255) return false;
  const colon = value.indexOf(":");
  if (colon < 2) return false;
  return LOCALPART.test(value.slice(1, colon)) && isValidServerName(value.slice(colon + 1));
}
