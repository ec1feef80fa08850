/**
 * A push gateway for tests: an HTTPS server on loopback (certificate from a test CA) that keeps
 * every `POST /_matrix/push/v1/notify` body it receives and answers 200, listing as `rejected`
 * the pushkeys the test told it to reject, or 503 while the test has it "down". A server under test reaches it with
 * `gatewayToml(ca)`: the CA trusted, and loopback allowed (the denylist refuses it by default).
 */
import type { JsonObject } from "../../src/core";
import type { TestCa } from "./tls";

export interface Notify {
  event_id?: string;
  room_id?: string;
  type?: string;
  sender?: string;
  counts?: { unread?: number };
  prio?: string;
  content?: JsonObject;
  devices: { app_id: string; pushkey: string; pushkey_ts: number; data: JsonObject; tweaks: JsonObject }[];
  [field: string]: unknown;
}

export interface PushGateway {
  url: string;
  /** Notifications received, in order. */
  received: Notify[];
  /** Pushkeys the gateway answers as `rejected` whenever they are pushed to. */
  rejecting: Set<string>;
  /** While true every request gets a 503 (the gateway is "down"); such requests are not kept. */
  down: boolean;
  /** How many requests were answered 503 while down. */
  refused: number;
  /** Resolves once a received notification satisfies `match`. */
  waitFor(match: (n: Notify) => boolean, timeoutMs?: number): Promise<Notify>;
  stop(): void;
}

export function gatewayToml(ca: TestCa): string {
  return [`federation_tls_ca = "${ca.caCertPath}"`, "ip_range_denylist = []"].join("\n");
}

export function startPushGateway(ca: TestCa): PushGateway {
  const leaf = ca.issue(`gateway-${crypto.randomUUID().slice(0, 8)}`);
  const waiters: { match: (n: Notify) => boolean; resolve: (n: Notify) => void }[] = [];
  const gateway: PushGateway = {
    url: "",
    received: [],
    rejecting: new Set(),
    down: false,
    refused: 0,
    waitFor(match, timeoutMs = 15_000) {
      const seen = gateway.received.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching push within ${timeoutMs} ms; got ${JSON.stringify(gateway.received)}`)), timeoutMs);
        waiters.push({ match, resolve: (n) => (clearTimeout(timer), resolve(n)) });
      });
    },
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: leaf.cert, key: leaf.key },
    async fetch(req) {
      if (new URL(req.url).pathname !== "/_matrix/push/v1/notify" || req.method !== "POST") {
        return Response.json({ errcode: "M_UNRECOGNIZED", error: "not here" }, { status: 404 });
      }
      if (gateway.down) {
        gateway.refused++;
        return Response.json({ errcode: "M_UNKNOWN", error: "down" }, { status: 503 });
      }
      const body = (await req.json()) as { notification: Notify };
      gateway.received.push(body.notification);
      for (const w of [...waiters]) {
        if (w.match(body.notification)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(body.notification);
        }
      }
      const rejected = body.notification.devices.map((d) => d.pushkey).filter((k) => gateway.rejecting.has(k));
      return Response.json({ rejected });
    },
  });
  gateway.url = `https://127.0.0.1:${server.port}/_matrix/push/v1/notify`;
  return gateway;
}
