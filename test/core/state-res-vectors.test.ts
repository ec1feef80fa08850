/**
 * State resolution against the published vectors: Synapse's seven v2 scenarios (and its
 * lexicographical topological sort example) and ruma's thirteen fixtures, including MSC4297
 * problems A and B under state res v2.0 (room v11) and v2.1 (room v12). Batches are resolved in
 * all three ways ruma uses, which must agree with each other and with the snapshot.
 */
import { describe, expect, test } from "bun:test";
import { resolveState } from "../../src/core/state-res/resolve-state.ts";
import {
  describeState,
  expectedSnapshot,
  fetcherFor,
  loadBatches,
  resolveAtomically,
  resolveFileByFile,
  resolveIteratively,
  resolveStateMaps,
  rumaIndex,
  runSynapseScenario,
  sortNodes,
  synapseVectors,
} from "./state-res-vectors.ts";

describe("Synapse v2 scenarios (room v2)", () => {
  test("lexicographical topological sort", () => {
    const { graph, expected } = synapseVectors.lexicographical_topological_sort;
    expect(sortNodes(graph)).toEqual(expected);
  });

  for (const [name, scenario] of Object.entries(synapseVectors.scenarios)) {
    test(name, async () => {
      const { actual, expected } = await runSynapseScenario(scenario, resolveState);
      expect(actual).toEqual(expected);
    });
  }
});

describe("ruma fixtures", () => {
  for (const vector of rumaIndex.tests) {
    const expected = expectedSnapshot(vector);
    if (vector.kind === "state_maps") {
      test(`${vector.name}: state maps resolved once`, async () => {
        const { ids, fetch } = await resolveStateMaps(vector, resolveState);
        expect(describeState(ids, fetch)).toEqual(expected);
      });
      continue;
    }
    const batches = loadBatches(vector);
    const fetch = fetcherFor(batches);
    test(`${vector.name}: iteratively along prev_events`, async () => {
      expect(describeState(await resolveIteratively(batches, resolveState), fetch)).toEqual(expected);
    });
    test(`${vector.name}: file by file`, async () => {
      expect(describeState(await resolveFileByFile(batches, resolveState), fetch)).toEqual(expected);
    });
    test(`${vector.name}: all at once`, async () => {
      expect(describeState(await resolveAtomically(batches, resolveState), fetch)).toEqual(expected);
    });
  }
});
