/**
 * Third-party networks bridged by appservices (spec "Third-party networks", and the appservice
 * API's "Third-party networks"): which answers of an appservice count, the merge of several
 * appservices' metadata for one protocol, and the instance id naming one appservice network,
 * which is also the name of that network's appservice room list.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../types.ts";

const SEPARATOR = "|";

/** The instance id of `networkId` bridged by `appserviceId` (Synapse's form, which clients and SyTest expect). */
export const thirdPartyInstanceId = (appserviceId: string, networkId: string) => `${appserviceId}${SEPARATOR}${networkId}`;

/** Every way to read an instance id as appservice and network, shortest appservice id first (ids may hold `|`). */
export function instanceIdSplits(instanceId: string): { appserviceId: string; networkId: string }[] {
  const splits: { appserviceId: string; networkId: string }[] = [];
  for (let i = instanceId.indexOf(SEPARATOR); i >= 0; i = instanceId.indexOf(SEPARATOR, i + 1)) {
    splits.push({ appserviceId: instanceId.slice(0, i), networkId: instanceId.slice(i + 1) });
  }
  return splits;
}

/**
 * An appservice's answer to `GET /thirdparty/protocol/{protocol}`, as clients see it: each instance
 * with a `network_id` gets its `instance_id`. Undefined when it is no protocol (an object with a
 * list of `instances`); instances that are not objects are dropped.
 */
export function protocolOfAppservice(appserviceId: string, answer: unknown): JsonObject | undefined {
  if (!isJsonObject(answer) || !Array.isArray(answer.instances)) return undefined;
  const instances = answer.instances.filter(isJsonObject).map((instance) =>
    typeof instance.network_id === "string" ? { ...instance, instance_id: thirdPartyInstanceId(appserviceId, instance.network_id) } : instance,
  );
  return { ...answer, instances };
}

/** One protocol served by several appservices: the first one's fields, and every one's instances. */
export function mergeProtocols(protocols: readonly JsonObject[]): JsonObject | undefined {
  const [first] = protocols;
  if (!first) return undefined;
  return { ...first, instances: protocols.flatMap((p) => p.instances as JsonValue[]) };
}

/**
 * The entries of an appservice's answer to a user or location lookup that are what the spec
 * describes (`protocol`, `fields`, and `userid` or `alias`); anything else is dropped.
 */
export function thirdPartyEntries(kind: "user" | "location", answer: unknown): JsonObject[] {
  if (!Array.isArray(answer)) return [];
  const id = kind === "user" ? "userid" : "alias";
  return answer.filter(isJsonObject).filter((e) => typeof e[id] === "string" && typeof e.protocol === "string" && isJsonObject(e.fields));
}
