// Run by heap-governor.test.ts in a process of its own: the whole suite's process allocates in the
// background (other files' servers and readers), so its heap cannot show what the governor freed.
// Exits 0 when garbage past the headroom was collected within 1 s (JavaScriptCore alone takes
// about 2 s here), 1 otherwise, printing what it measured.
import { heapSize } from "bun:jsc";
import { startHeapGovernor } from "../../src/runtime/heap-governor";

Bun.gc(true);
const stop = process.argv[2] === "without" ? () => {} : startHeapGovernor(4 * 1024 * 1024, 10);
// Objects held long enough to outlive the young generation, then let go: old garbage.
let held: object[][] = [];
for (let i = 0; i < 400; i++) held.push(Array.from({ length: 1000 }, (_, j) => ({ i, j, s: `garbage ${i} ${j}` })));
const holding = heapSize();
held = [];
const deadline = Date.now() + 1_000;
while (holding - heapSize() < 8 * 1024 * 1024 && Date.now() < deadline) await Bun.sleep(10);
const freed = holding - heapSize();
stop();
console.log(`held ${held.length}; freed ${freed} bytes`);
process.exit(freed >= 8 * 1024 * 1024 ? 0 : 1);
