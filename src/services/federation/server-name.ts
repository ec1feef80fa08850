/**
 * Server names as the spec's grammar defines them (appendix "Server Name"): a hostname (IPv4
 * literal, bracketed IPv6 literal or DNS name) and an optional port. Discovery needs the parts
 * apart, and whether the host is an IP literal, which changes the Host header, SNI and port rules.
 */
import { isIP } from "node:net";

export interface ParsedServerName {
  /** The hostname as written; an IPv6 literal keeps its brackets. */
  host: string;
  /** The bare address when the host is an IP literal (IPv6 without brackets). */
  ip?: string;
  port?: number;
}

const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;
const IPV4_SHAPE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Null when `name` is not a valid server name (or delegated server name). */
export function parseServerName(name: string): ParsedServerName | null {
  let host = name;
  let port: number | undefined;
  const portMatch = /:(\d{1,5})$/.exec(name);
  if (portMatch && !(name.startsWith("[") && !name.slice(0, portMatch.index).endsWith("]"))) {
    port = Number(portMatch[1]);
    if (port < 1 || port > 65535) return null;
    host = name.slice(0, portMatch.index);
  }
  if (host.startsWith("[") && host.endsWith("]")) {
    const ip = host.slice(1, -1);
    return isIP(ip) === 6 ? { host, ip, port } : null;
  }
  if (IPV4_SHAPE.test(host)) return isIP(host) === 4 ? { host, ip: host, port } : null;
  if (!DNS_NAME.test(host)) return null;
  return { host, port };
}

/** `host[:port]` back from its parts. */
export function formatServerName(parsed: ParsedServerName): string {
  return parsed.port === undefined ? parsed.host : `${parsed.host}:${parsed.port}`;
}
