/**
 * Properties every state resolution must have, checked over the ruma fixtures: resolving a state
 * with itself gives it back, and the order of the state sets does not matter (seeded random
 * permutations, so a failure can be replayed).
 */
import { describe, expect, test } from "bun:test";
import { resolveState } from "../../../src/core/state-res/resolve-state.ts";
import { seededRandom } from "../../helpers/random-json.ts";
import { fetcherFor, loadBatches, resolveAtomically, resolveStateMaps, roomVersionOf, rumaIndex } from "./vectors.ts";

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const PERMUTATIONS = 8;

describe("state resolution properties", () => {
  for (const vector of rumaIndex.tests) {
    const batches = loadBatches(vector);
    const version = roomVersionOf(batches);
    const fetch = fetcherFor(batches);

    test(`${vector.name}: a resolved state resolved with itself is unchanged`, async () => {
      const state = (await resolveAtomically(batches, resolveState)).sort();
      expect((await resolveState(version, [state], fetch)).sort()).toEqual(state);
      expect((await resolveState(version, [state, [...state].reverse(), state], fetch)).sort()).toEqual(state);
    });

    test(`${vector.name}: the order of the state sets does not change the result`, async () => {
      const stateSets = batches.flat().map((pdu) => [pdu.event_id!]);
      const expected = (await resolveState(version, stateSets, fetch)).sort();
      const next = seededRandom(0x5eed + vector.name.length);
      for (let i = 0; i < PERMUTATIONS; i++) {
        const permuted = shuffled(stateSets, next).map((set) => shuffled(set, next));
        expect((await resolveState(version, permuted, fetch)).sort()).toEqual(expected);
      }
      if (vector.state_maps) {
        const forwards = (await resolveStateMaps(vector, resolveState)).ids.sort();
        const backwards = await resolveStateMaps({ ...vector, state_maps: [...vector.state_maps].reverse() }, resolveState);
        expect(backwards.ids.sort()).toEqual(forwards);
      }
    });
  }
});
