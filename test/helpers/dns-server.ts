/**
 * A tiny authoritative DNS server on a loopback UDP port, answering SRV and A questions from a
 * table (NXDOMAIN otherwise). Discovery tests point a real `node:dns` Resolver at it, so SRV
 * handling runs through genuine DNS packets without depending on the machine's resolver.
 */
export interface SrvAnswer {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsZone {
  srv?: Record<string, SrvAnswer[]>;
  a?: Record<string, string[]>;
}

export interface TestDnsServer {
  /** `127.0.0.1:PORT`, for `Resolver.setServers`. */
  address: string;
  /** Names asked so far, as `TYPE name`. */
  queries: string[];
  close(): void;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function encodeName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.replace(/\.$/, "").split(".")) {
    if (label === "") continue;
    const bytes = new TextEncoder().encode(label);
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

function readName(buf: Uint8Array, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (buf[i] !== 0) {
    const len = buf[i]!;
    labels.push(new TextDecoder().decode(buf.subarray(i + 1, i + 1 + len)));
    i += 1 + len;
  }
  return { name: labels.join(".").toLowerCase(), end: i + 1 };
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u32 = (n: number) => [...u16(n >>> 16), ...u16(n & 0xffff)];

function answer(query: Uint8Array, zone: DnsZone, log: string[]): Uint8Array {
  const { name, end } = readName(query, 12);
  const qtype = (query[end]! << 8) | query[end + 1]!;
  const question = Array.from(query.subarray(12, end + 4));
  const records: number[][] = [];
  if (qtype === TYPE_SRV) {
    log.push(`SRV ${name}`);
    for (const r of zone.srv?.[name] ?? []) {
      const rdata = [...u16(r.priority), ...u16(r.weight), ...u16(r.port), ...encodeName(r.target)];
      records.push([0xc0, 12, ...u16(TYPE_SRV), ...u16(1), ...u32(60), ...u16(rdata.length), ...rdata]);
    }
  } else if (qtype === TYPE_A) {
    log.push(`A ${name}`);
    for (const ip of zone.a?.[name] ?? []) {
      const rdata = ip.split(".").map(Number);
      records.push([0xc0, 12, ...u16(TYPE_A), ...u16(1), ...u32(60), ...u16(4), ...rdata]);
    }
  } else {
    log.push(`${qtype} ${name}`);
  }
  const known = zone.srv?.[name] !== undefined || zone.a?.[name] !== undefined;
  const flags = 0x8400 | 0x0100 | (known ? 0 : 3); // response, authoritative, RD echoed, NXDOMAIN when unknown
  const header = [query[0]!, query[1]!, ...u16(flags), ...u16(1), ...u16(records.length), ...u16(0), ...u16(0)];
  return new Uint8Array([...header, ...question, ...records.flat()]);
}

export async function startDnsServer(zone: DnsZone): Promise<TestDnsServer> {
  const queries: string[] = [];
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(sock, buf, port, addr) {
        sock.send(answer(new Uint8Array(buf), zone, queries), port, addr);
      },
    },
  });
  return { address: `127.0.0.1:${socket.port}`, queries, close: () => socket.close() };
}
