// The heap governor collects once the heap has grown past its headroom, and never keeps the
// process alive.
import { expect, test } from "bun:test";
import { heapSize } from "bun:jsc";
import { startHeapGovernor } from "../../src/runtime/heap-governor";

test("garbage past the headroom is collected without being asked", async () => {
  Bun.gc(true);
  const stop = startHeapGovernor(4 * 1024 * 1024, 10);
  try {
    // Objects held long enough to outlive the young generation, then let go: old garbage, which
    // JavaScriptCore alone leaves in place until its heap has grown far more. Measured against the
    // heap while they are held, not against a base from before: other test files share this
    // process, and a collection of their garbage meanwhile must not decide this test.
    let held: object[][] = [];
    for (let i = 0; i < 400; i++) held.push(Array.from({ length: 1000 }, (_, j) => ({ i, j, s: `garbage ${i} ${j}` })));
    const holding = heapSize();
    held = [];
    expect(held).toHaveLength(0);
    const deadline = Date.now() + 5_000;
    while (holding - heapSize() < 8 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(10);
    expect(holding - heapSize()).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  } finally {
    stop();
  }
});
