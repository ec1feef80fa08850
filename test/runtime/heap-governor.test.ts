// The heap governor collects once the heap has grown past its headroom, measured in a process of its
// own (heap-governor-probe.ts; without the governor the probe misses its 1 s deadline).
import { expect, test } from "bun:test";
import { join } from "node:path";

const probe = join(import.meta.dir, "heap-governor-probe.ts");
const run = (...args: string[]) => Bun.spawnSync([process.execPath, probe, ...args], { stdout: "pipe", stderr: "pipe" });

test("garbage past the headroom is collected without being asked", () => {
  const res = run();
  expect(res.stdout.toString()).toContain("freed");
  expect(res.exitCode).toBe(0);
});
