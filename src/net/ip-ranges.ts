/**
 * The outbound address guard: federation targets are chosen by remote parties, so before
 * connecting we refuse addresses inside the configured `ip_range_denylist` (loopback, private,
 * link-local… by default). IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
 */
import { BlockList, isIP } from "node:net";

export interface AddressGuard {
  /** True when connecting to `ip` is allowed. */
  allows(ip: string): boolean;
}

export class InvalidCidrError extends Error {}

export function createAddressGuard(cidrs: readonly string[]): AddressGuard {
  const denied = new BlockList();
  for (const cidr of cidrs) {
    const [address, prefixText, extra] = cidr.split("/");
    const family = isIP(address ?? "");
    const prefix = Number(prefixText);
    const maxPrefix = family === 4 ? 32 : 128;
    if (!family || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? "") || prefix > maxPrefix) {
      throw new InvalidCidrError(`"${cidr}" is not a CIDR range such as 10.0.0.0/8 or fc00::/7`);
    }
    denied.addSubnet(address!, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return {
    allows(ip) {
      const family = isIP(ip);
      if (!family) return false;
      return !denied.check(ip, family === 4 ? "ipv4" : "ipv6");
    },
  };
}
