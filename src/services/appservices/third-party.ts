/**
 * Third-party networks (spec "Third-party networks"): clients learn the protocols the bridges
 * speak and look up users and locations on them; each question goes to the appservices whose
 * registration lists the protocol (`/_matrix/app/v1/thirdparty/...`). Several appservices'
 * metadata for one protocol is merged, and each appservice's answer is cached for an hour, as
 * Synapse does, so that clients listing protocols do not ask the bridges every time. Answers an
 * appservice gets wrong (no answer, an error, the wrong shape) count as no answer.
 */
import {
  mergeProtocols,
  protocolOfAppservice,
  thirdPartyEntries,
  type Appservice,
  type JsonObject,
} from "../../core";
import { getThirdParty, type AppserviceTarget } from "../../net/appservice-client";
import { createLruMap } from "../../runtime/lru-map";
import { notFound } from "../matrix-error";
import type { SharedDeps } from "../shared-deps";

const CACHE_MS = 60 * 60_000;
const CACHE_ENTRIES = 1000;

export type ThirdPartyKind = "user" | "location";

export function createThirdPartyLookup(deps: Pick<SharedDeps, "config" | "clock" | "appserviceRegistry">) {
  const { clock, appserviceRegistry: registry } = deps;
  const allowInvalidCertificates = deps.config.allow_invalid_tls_certificates;
  /** Each appservice's metadata of a protocol, by appservice id and protocol. */
  const cache = createLruMap<string, { at: number; protocol: JsonObject }>({ maxEntries: CACHE_ENTRIES });
  // A registration changed under its id: what it said before no longer stands.
  registry.onChange(() => cache.clear());

  const targetOf = (as: Appservice, url: string): AppserviceTarget => ({ url, hsToken: as.registration.hsToken, allowInvalidCertificates });

  /** The appservices that can be asked about `protocol` (any protocol when undefined), with their targets. */
  function bridgesOf(protocol: string | undefined): { as: Appservice; target: AppserviceTarget }[] {
    const bridges: { as: Appservice; target: AppserviceTarget }[] = [];
    for (const as of registry.all()) {
      const { url, protocols } = as.registration;
      if (url === null || (protocol === undefined ? protocols.length === 0 : !protocols.includes(protocol))) continue;
      bridges.push({ as, target: targetOf(as, url) });
    }
    return bridges;
  }

  async function protocolOf(as: Appservice, target: AppserviceTarget, protocol: string): Promise<JsonObject | undefined> {
    const key = `${as.registration.id}\u0000${protocol}`;
    const hit = cache.get(key);
    if (hit && clock.now() - hit.at < CACHE_MS) return hit.protocol;
    const answer = protocolOfAppservice(as.registration.id, await getThirdParty(target, `protocol/${encodeURIComponent(protocol)}`));
    if (answer) cache.set(key, { at: clock.now(), protocol: answer });
    return answer;
  }

  /** One protocol as clients see it, from every appservice that answered; undefined when none did. */
  async function mergedProtocol(protocol: string): Promise<JsonObject | undefined> {
    const answers = await Promise.all(bridgesOf(protocol).map(({ as, target }) => protocolOf(as, target, protocol)));
    return mergeProtocols(answers.filter((a): a is JsonObject => a !== undefined));
  }

  async function ask(kind: ThirdPartyKind, protocol: string | undefined, bridges: { target: AppserviceTarget }[], query: URLSearchParams): Promise<JsonObject[]> {
    const path = `${kind}${protocol === undefined ? "" : `/${encodeURIComponent(protocol)}`}?${query}`;
    const answers = await Promise.all(bridges.map(({ target }) => getThirdParty(target, path)));
    return answers.flatMap((answer) => thirdPartyEntries(kind, answer));
  }

  return {
    /** `GET /thirdparty/protocols`: every protocol some appservice answered for. */
    async protocols(): Promise<Record<string, JsonObject>> {
      const names = [...new Set(bridgesOf(undefined).flatMap(({ as }) => as.registration.protocols))];
      const merged = await Promise.all(names.map(async (name) => [name, await mergedProtocol(name)] as const));
      return Object.fromEntries(merged.filter((entry): entry is readonly [string, JsonObject] => entry[1] !== undefined));
    },

    /** `GET /thirdparty/protocol/{protocol}`; 404 when no appservice answers for it. */
    async protocol(protocol: string): Promise<JsonObject> {
      const merged = await mergedProtocol(protocol);
      if (!merged) throw notFound(`No application service bridges the protocol ${protocol}`);
      return merged;
    },

    /**
     * `GET /thirdparty/{user,location}/{protocol}` with the client's search fields: every entry the
     * appservices of the protocol found (404 when none bridges it).
     */
    async lookup(kind: ThirdPartyKind, protocol: string, fields: URLSearchParams): Promise<JsonObject[]> {
      const bridges = bridgesOf(protocol);
      if (bridges.length === 0) throw notFound(`No application service bridges the protocol ${protocol}`);
      return ask(kind, protocol, bridges, fields);
    },

    /** `GET /thirdparty/user?userid=` and `/thirdparty/location?alias=`: asked of every bridge. */
    reverseLookup(kind: ThirdPartyKind, query: URLSearchParams): Promise<JsonObject[]> {
      return ask(kind, undefined, bridgesOf(undefined), query);
    },
  };
}
export type ThirdPartyLookup = ReturnType<typeof createThirdPartyLookup>;
