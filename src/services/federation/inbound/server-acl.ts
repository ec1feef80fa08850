/**
 * Server access control lists (spec "Server Access Control Lists"): `m.room.server_acl` names,
 * with `*` and `?` globs, the servers allowed and denied in a room, and whether IP literals are
 * allowed. The port is ignored; deny wins over allow; no ACL event means everyone is allowed.
 */
import { isJsonObject, type JsonObject } from "../../../core";

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])$/;

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`, "i");
}

function hostOf(serverName: string): string {
  // A bracketed IPv6 literal keeps its colons; anything after the last colon elsewhere is a port.
  if (serverName.startsWith("[")) return serverName.slice(0, serverName.indexOf("]") + 1);
  const colon = serverName.lastIndexOf(":");
  return colon < 0 ? serverName : serverName.slice(0, colon);
}

const globs = (value: unknown): RegExp[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").map(globToRegExp) : [];

/** Whether `content` (of an m.room.server_acl event) lets `serverName` take part in the room. */
export function serverAllowedByAcl(content: JsonObject | undefined, serverName: string): boolean {
  if (!isJsonObject(content)) return true;
  const host = hostOf(serverName);
  if (content.allow_ip_literals === false && IP_LITERAL.test(host)) return false;
  if (globs(content.deny).some((re) => re.test(host))) return false;
  return globs(content.allow).some((re) => re.test(host));
}
