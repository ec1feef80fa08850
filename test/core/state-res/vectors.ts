/**
 * Loading the state resolution vectors (test/fixtures/state-res, copied from /work/shared/vectors)
 * and the harnesses their READMEs describe: Synapse's DAG builder for its v2 scenarios, and ruma's
 * three ways of resolving batches of PDUs (iteratively, file by file, all at once).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { authEventTypesFor } from "../../../src/core/auth/auth-events-selection.ts";
import { rulesFor } from "../../../src/core/room-versions.ts";
import { lexicographicalTopologicalSort } from "../../../src/core/state-res/power-ordering.ts";
import type { JsonObject, Pdu, StateKey } from "../../../src/core/types.ts";
import { stateKeyOf } from "../../../src/core/types.ts";

export type Resolve = (roomVersion: string, stateSets: string[][], fetchEvent: (id: string) => Pdu | undefined) => Promise<string[]>;

const FIXTURES = join(import.meta.dir, "..", "..", "fixtures", "state-res");

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, path), "utf8")) as T;
}

// ---- Synapse's scenarios ----

interface SynapseEvent {
  id: string;
  event_id: string;
  sender: string;
  type: string;
  state_key: string | null;
  content: JsonObject;
}
interface SynapseScenario {
  events: SynapseEvent[];
  edges: string[][];
  expected_state_ids: string[];
}
export interface SynapseVectors {
  room_id: string;
  initial_events: SynapseEvent[];
  initial_edges: string[];
  scenarios: Record<string, SynapseScenario>;
  lexicographical_topological_sort: { graph: Record<string, string[]>; expected: string[] };
}

export const synapseVectors = readJson<SynapseVectors>("synapse-state-res-v2-scenarios.json");

/** Topological order of string nodes (parents first), ties broken by the smallest name. */
export function sortNodes(graph: Record<string, string[]>): string[] {
  const names = Object.keys(graph).sort();
  const number = new Map(names.map((name, i) => [name, i]));
  const sorted = lexicographicalTopologicalSort(
    names.map((_, i) => i),
    (node) => graph[names[node]!]!.map((child) => number.get(child)!),
    (a, b) => a < b,
  );
  return sorted.map((node) => names[node]!);
}

/**
 * Builds the scenario's DAG as Synapse's test does: visiting nodes parents first, each event's
 * auth events drawn from the state before it, that state being the resolution of its parents'
 * states. Returns the assertion's two sides: the filtered end state and the expected state.
 */
export async function runSynapseScenario(
  scenario: SynapseScenario,
  resolve: Resolve,
): Promise<{ actual: Record<string, string>; expected: Record<string, string> }> {
  const roomVersion = "2";
  const rules = rulesFor(roomVersion);
  const all = [...synapseVectors.initial_events, ...scenario.events];
  const byNode = new Map(all.map((event) => [event.id, event]));
  const prevs: Record<string, string[]> = Object.fromEntries(all.map((event) => [event.id, []]));
  const chains = [synapseVectors.initial_edges, ...scenario.edges];
  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!prevs[chain[i]!]!.includes(chain[i + 1]!)) prevs[chain[i]!]!.push(chain[i + 1]!);
    }
  }
  const pdus = new Map<string, Pdu>();
  const stateAfter = new Map<string, Map<StateKey, string>>();
  const fetch = (id: string) => pdus.get(id);
  let ts = 0;
  for (const node of sortNodes(prevs)) {
    const source = byNode.get(node)!;
    const parents = prevs[node]!;
    let before: Map<StateKey, string>;
    if (parents.length === 0) before = new Map();
    else if (parents.length === 1) before = new Map(stateAfter.get(parents[0]!)!);
    else {
      const resolved = await resolve(roomVersion, parents.map((p) => [...stateAfter.get(p)!.values()]), fetch);
      before = new Map(resolved.map((id) => [stateKeyOf(pdus.get(id)!.type, pdus.get(id)!.state_key!), id]));
    }
    const pdu: Pdu = {
      event_id: source.event_id,
      room_id: synapseVectors.room_id,
      sender: source.sender,
      type: source.type,
      content: source.content,
      origin_server_ts: ts,
      depth: ts,
      prev_events: parents.map((p) => byNode.get(p)!.event_id),
      auth_events: [],
      hashes: { sha256: "" },
      signatures: {},
    };
    ts++;
    if (source.state_key !== null) pdu.state_key = source.state_key;
    pdu.auth_events = authEventTypesFor(pdu.type, pdu.sender, pdu.state_key, pdu.content, rules)
      .map((key) => before.get(key))
      .filter((id): id is string => id !== undefined);
    pdus.set(pdu.event_id!, pdu);
    const after = new Map(before);
    if (pdu.state_key !== undefined) after.set(stateKeyOf(pdu.type, pdu.state_key), pdu.event_id!);
    stateAfter.set(node, after);
  }
  const expected: Record<string, string> = {};
  for (const node of scenario.expected_state_ids) {
    const event = byNode.get(node)!;
    expected[stateKeyOf(event.type, event.state_key!)] = event.event_id;
  }
  const start = stateAfter.get("START")!;
  const actual: Record<string, string> = {};
  for (const [key, id] of stateAfter.get("END")!) {
    if (key in expected || start.get(key) !== id) actual[key] = id;
  }
  return { actual, expected };
}

// ---- ruma's fixtures ----

interface RumaTest {
  name: string;
  kind: "batches" | "state_maps";
  expected_snapshot: string;
  pdu_batches: string[];
  state_maps?: string[];
}
export const rumaIndex = readJson<{ tests: RumaTest[] }>("ruma/index.json");

export function loadBatches(test: RumaTest): Pdu[][] {
  return test.pdu_batches.map((file) => readJson<Pdu[]>(join("ruma", file)));
}

export function roomVersionOf(batches: Pdu[][]): string {
  const create = batches[0]![0]!;
  return String(create.content.room_version);
}

/** The snapshot's resolved state as sorted `type|state_key|event_id` lines. */
export function expectedSnapshot(test: RumaTest): string[] {
  const text = readFileSync(join(FIXTURES, "ruma", test.expected_snapshot), "utf8");
  const json = text.split(/^---$/m)[2]!;
  const entries = JSON.parse(json) as Array<{ type: string; state_key: string; event_id: string }>;
  return entries.map((entry) => `${entry.type}|${entry.state_key}|${entry.event_id}`).sort();
}

export function describeState(ids: readonly string[], fetch: (id: string) => Pdu | undefined): string[] {
  return ids.map((id) => `${fetch(id)!.type}|${fetch(id)!.state_key}|${id}`).sort();
}

function fetcherOf(pdus: Iterable<Pdu>): (id: string) => Pdu | undefined {
  const map = new Map<string, Pdu>();
  for (const pdu of pdus) map.set(pdu.event_id!, pdu);
  return (id) => map.get(id);
}

/** (3) every PDU its own state map, all resolved in one call. */
export async function resolveAtomically(batches: Pdu[][], resolve: Resolve): Promise<string[]> {
  const pdus = batches.flat();
  return resolve(roomVersionOf(batches), pdus.map((pdu) => [pdu.event_id!]), fetcherOf(pdus));
}

/** (2) per file: each PDU of a file its own state map, resolved with the previous file's result. */
export async function resolveFileByFile(batches: Pdu[][], resolve: Resolve): Promise<string[]> {
  const fetch = fetcherOf(batches.flat());
  let previous: string[] | undefined;
  for (const batch of batches) {
    const stateSets = batch.map((pdu) => [pdu.event_id!]);
    if (previous) stateSets.unshift(previous);
    previous = await resolve(roomVersionOf(batches), stateSets, fetch);
  }
  return previous!;
}

/**
 * (1) iteratively: walking prev_events forward from the create event, the state before a PDU is
 * the resolution of the states after its prev_events; the state after it is the resolution of
 * that state with and without the PDU; finally the leaves' states are resolved.
 */
export async function resolveIteratively(batches: Pdu[][], resolve: Resolve): Promise<string[]> {
  const pdus = batches.flat();
  const fetch = fetcherOf(pdus);
  const roomVersion = roomVersionOf(batches);
  const children = new Map<string, string[]>();
  for (const pdu of pdus) {
    for (const prev of pdu.prev_events) {
      const id = typeof prev === "string" ? prev : prev[0];
      children.set(id, [...(children.get(id) ?? []), pdu.event_id!]);
    }
  }
  const stateAfter = new Map<string, string[]>();
  const keyOf = (id: string) => stateKeyOf(fetch(id)!.type, fetch(id)!.state_key!);
  const pending = pdus.filter((pdu) => pdu.prev_events.length === 0).map((pdu) => pdu.event_id!);
  while (pending.length > 0) {
    const id = pending.shift()!;
    if (stateAfter.has(id)) continue;
    const prevIds = fetch(id)!.prev_events.map((prev) => (typeof prev === "string" ? prev : prev[0]));
    if (!prevIds.every((prev) => stateAfter.has(prev))) continue;
    const before = prevIds.length === 0 ? [] : await resolve(roomVersion, prevIds.map((prev) => stateAfter.get(prev)!), fetch);
    const withEvent = [...before.filter((other) => keyOf(other) !== keyOf(id)), id];
    stateAfter.set(id, await resolve(roomVersion, [before, withEvent], fetch));
    pending.push(...(children.get(id) ?? []));
  }
  if (stateAfter.size !== pdus.length) throw new Error("some PDUs were never reached through prev_events");
  const leaves = pdus.filter((pdu) => !children.has(pdu.event_id!)).map((pdu) => stateAfter.get(pdu.event_id!)!);
  return resolve(roomVersion, leaves, fetch);
}

/** state_maps tests: the competing state maps, resolved once. */
export async function resolveStateMaps(test: RumaTest, resolve: Resolve): Promise<{ ids: string[]; fetch: (id: string) => Pdu | undefined }> {
  const batches = loadBatches(test);
  const fetch = fetcherOf(batches.flat());
  const stateSets = test.state_maps!.map((file) => readJson<string[]>(join("ruma", file)));
  return { ids: await resolve(roomVersionOf(batches), stateSets, fetch), fetch };
}

export function fetcherFor(batches: Pdu[][]): (id: string) => Pdu | undefined {
  return fetcherOf(batches.flat());
}

/** One vector resolved one way: what came out and what the vector expects. */
export interface VectorCheck {
  name: string;
  run: (resolve: Resolve) => Promise<{ actual: unknown; expected: unknown }>;
}

/**
 * Every vector as a check: Synapse's scenarios, ruma's state-map tests once, and ruma's batch
 * tests in each of the three ways.
 */
export function vectorChecks(): VectorCheck[] {
  const checks: VectorCheck[] = [];
  for (const [name, scenario] of Object.entries(synapseVectors.scenarios)) {
    checks.push({ name: `Synapse ${name}`, run: (resolve) => runSynapseScenario(scenario, resolve) });
  }
  for (const vector of rumaIndex.tests) {
    const expected = expectedSnapshot(vector);
    if (vector.kind === "state_maps") {
      checks.push({
        name: `ruma ${vector.name}: state maps resolved once`,
        run: async (resolve) => {
          const { ids, fetch } = await resolveStateMaps(vector, resolve);
          return { actual: describeState(ids, fetch), expected };
        },
      });
      continue;
    }
    const batches = loadBatches(vector);
    const fetch = fetcherFor(batches);
    const ways: Array<[string, typeof resolveIteratively]> = [
      ["iteratively along prev_events", resolveIteratively],
      ["file by file", resolveFileByFile],
      ["all at once", resolveAtomically],
    ];
    for (const [way, resolveWay] of ways) {
      checks.push({
        name: `ruma ${vector.name}: ${way}`,
        run: async (resolve) => ({ actual: describeState(await resolveWay(batches, resolve), fetch), expected }),
      });
    }
  }
  return checks;
}
