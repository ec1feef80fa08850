/**
 * State resolution against the published vectors: Synapse's seven v2 scenarios (and its
 * lexicographical topological sort example) and ruma's thirteen fixtures, including MSC4297
 * problems A and B under state res v2.0 (room v11) and v2.1 (room v12). Batches are resolved in
 * all three ways ruma uses, each of which must give the snapshot's state.
 */
import { describe, expect, test } from "bun:test";
import { resolveState } from "../../../src/core/state-res/resolve-state.ts";
import { sortNodes, synapseVectors, vectorChecks } from "./vectors.ts";

test("Synapse's lexicographical topological sort example", () => {
  const { graph, expected } = synapseVectors.lexicographical_topological_sort;
  expect(sortNodes(graph)).toEqual(expected);
});

describe("state resolution vectors", () => {
  for (const check of vectorChecks()) {
    test(check.name, async () => {
      const { actual, expected } = await check.run(resolveState);
      expect(actual).toEqual(expected);
    });
  }
});
