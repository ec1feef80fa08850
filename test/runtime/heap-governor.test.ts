// The heap governor collects once the heap has grown past its headroom, and never keeps the
// process alive.
import { expect, test } from "bun:test";
import { heapSize } from "bun:jsc";
import { startHeapGovernor } from "../../src/runtime/heap-governor";

test("garbage past the headroom is collected without being asked", async () => {
  Bun.gc(true);
  const base = heapSize();
  const stop = startHeapGovernor(4 * 1024 * 1024, 10);
  try {
    // Objects held long enough to outlive the young generation, then let go: old garbage, which
    // JavaScriptCore alone leaves in place until its heap has grown far more.
    let held: object[][] = [];
    for (let i = 0; i < 400; i++) held.push(Array.from({ length: 1000 }, (_, j) => ({ i, j, s: `garbage ${i} ${j}` })));
    // Well past the headroom (a collection JavaScriptCore starts on its own meanwhile may take some back).
    expect(heapSize() - base).toBeGreaterThan(6 * 1024 * 1024);
    held = [];
    expect(held).toHaveLength(0);
    const deadline = Date.now() + 5_000;
    while (heapSize() - base > 4 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(10);
    expect(heapSize() - base).toBeLessThanOrEqual(4 * 1024 * 1024);
  } finally {
    stop();
  }
});
