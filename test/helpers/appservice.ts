/**
 * Appservice test helpers: registration YAML files, and a small appservice that records what the
 * homeserver sends it (transactions, user and alias queries, third-party lookups, pings) and
 * answers as told.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RegistrationOptions {
  id: string;
  url?: string | null;
  asToken?: string;
  hsToken?: string;
  senderLocalpart?: string;
  /** Regexes of exclusive user namespaces (default `@<id>_.*`). */
  users?: string[];
  aliases?: string[];
  rooms?: string[];
  /** The third-party protocols it bridges (`protocols`). */
  protocols?: string[];
  /** Extra YAML lines (`rate_limited: false`, `receive_ephemeral: true`, ...). */
  extra?: string[];
}

export function registrationYaml(o: RegistrationOptions): string {
  const list = (regexes: string[]) => (regexes.length === 0 ? " []" : regexes.map((r) => `\n    - exclusive: true\n      regex: '${r}'`).join(""));
  return [
    `id: ${o.id}`,
    `url: ${o.url === undefined || o.url === null ? "null" : JSON.stringify(o.url)}`,
    `as_token: ${o.asToken ?? `as-${o.id}`}`,
    `hs_token: ${o.hsToken ?? `hs-${o.id}`}`,
    `sender_localpart: ${o.senderLocalpart ?? `${o.id}bot`}`,
    "namespaces:",
    `  users:${list(o.users ?? [`@${o.id}_.*`])}`,
    `  aliases:${list(o.aliases ?? [])}`,
    `  rooms:${list(o.rooms ?? [])}`,
    ...(o.protocols ? [`protocols: ${JSON.stringify(o.protocols)}`] : []),
    ...(o.extra ?? []),
    "",
  ].join("\n");
}

/** Writes a registration file into `dir` and returns its path. */
export function writeRegistration(dir: string, o: RegistrationOptions): string {
  const path = join(dir, `${o.id}-registration.yaml`);
  writeFileSync(path, registrationYaml(o));
  return path;
}

/** The `[global]` TOML line listing registration files. */
export const appserviceFilesToml = (paths: string[]) => `app_service_config_files = ${JSON.stringify(paths)}`;

export interface ReceivedTransaction {
  txnId: string;
  /** The Authorization header it came with. */
  authorization: string | null;
  body: Record<string, unknown> & { events: Record<string, unknown>[] };
}

export interface TestAppservice {
  /** Its base URL, for the registration's `url`. */
  url: string;
  /** Every transaction PUT, in arrival order (retries included). */
  transactions: ReceivedTransaction[];
  userQueries: string[];
  aliasQueries: string[];
  pings: { authorization: string | null; body: Record<string, unknown> }[];
  /** Every `GET /_matrix/app/v1/thirdparty/...`: the path after `thirdparty/` (decoded) and the query. */
  thirdPartyRequests: { path: string; query: Record<string, string>; authorization: string | null }[];
  /** The status transactions get (200 unless a test makes it fail). */
  transactionStatus: number;
  /** How user and alias queries are answered (404 unless set). */
  onUserQuery: (userId: string) => Promise<number> | number;
  onAliasQuery: (alias: string) => Promise<number> | number;
  /** How third-party lookups are answered, by the path after `thirdparty/` (404 unless set). */
  onThirdParty: (path: string, query: URLSearchParams) => Promise<Response> | Response;
  /** The ping's answer (200 `{}` unless set). */
  onPing: () => Promise<Response> | Response;
  /** Resolves once `match` holds for what was received (checked now and after each request). */
  until<T>(match: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  /** Events of the accepted transactions, each accepted transaction counted once. */
  acceptedEvents(): Record<string, unknown>[];
  stop(): void;
}

/** A small appservice on a free loopback port that records what the homeserver sends it (over https with `tls`). */
export function startTestAppservice(tls?: { cert: string; key: string }): TestAppservice {
  const watchers = new Set<() => void>();
  const accepted = new Map<string, ReceivedTransaction>();
  const notify = () => {
    for (const w of [...watchers]) w();
  };
  const json = (status: number, body: unknown = {}) => Response.json(body, { status });
  const as: TestAppservice = {
    url: "",
    transactions: [],
    userQueries: [],
    aliasQueries: [],
    pings: [],
    thirdPartyRequests: [],
    transactionStatus: 200,
    onUserQuery: () => 404,
    onAliasQuery: () => 404,
    onThirdParty: () => json(404, { errcode: "M_NOT_FOUND", error: "nothing bridged here" }),
    onPing: () => json(200),
    until(match, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = match();
          if (value === undefined || value === false) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve(value);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`the appservice did not receive what the test waits for within ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    acceptedEvents: () => [...accepted.values()].flatMap((t) => t.body.events),
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    async fetch(req) {
      const url = new URL(req.url);
      const path = url.pathname;
      const authorization = req.headers.get("authorization");
      try {
        let m: RegExpExecArray | null;
        if (req.method === "PUT" && (m = /^\/_matrix\/app\/v1\/transactions\/([^/]+)$/.exec(path))) {
          const txn: ReceivedTransaction = { txnId: decodeURIComponent(m[1]!), authorization, body: (await req.json()) as ReceivedTransaction["body"] };
          as.transactions.push(txn);
          if (as.transactionStatus >= 200 && as.transactionStatus < 300) accepted.set(txn.txnId, txn);
          return json(as.transactionStatus);
        }
        if (req.method === "GET" && (m = /^\/_matrix\/app\/v1\/users\/([^/]+)$/.exec(path))) {
          const userId = decodeURIComponent(m[1]!);
          as.userQueries.push(userId);
          return json(await as.onUserQuery(userId));
        }
        if (req.method === "GET" && (m = /^\/_matrix\/app\/v1\/rooms\/([^/]+)$/.exec(path))) {
          const alias = decodeURIComponent(m[1]!);
          as.aliasQueries.push(alias);
          return json(await as.onAliasQuery(alias));
        }
        if (req.method === "GET" && (m = /^\/_matrix\/app\/v1\/thirdparty\/(.+)$/.exec(path))) {
          const thirdPartyPath = decodeURIComponent(m[1]!);
          as.thirdPartyRequests.push({ path: thirdPartyPath, query: Object.fromEntries(url.searchParams), authorization });
          return await as.onThirdParty(thirdPartyPath, url.searchParams);
        }
        if (req.method === "POST" && path === "/_matrix/app/v1/ping") {
          as.pings.push({ authorization, body: (await req.json()) as Record<string, unknown> });
          return await as.onPing();
        }
        return json(404, { errcode: "M_UNRECOGNIZED", error: "unknown path" });
      } finally {
        notify();
      }
    },
  });
  as.url = `${tls ? "https" : "http"}://127.0.0.1:${server.port}`;
  return as;
}
