/**
 * Runs every `bench/*.bench.ts` in turn, each in its own process so one benchmark's JIT state and
 * garbage do not colour the next. `bun bench/index.ts [filter]` runs only files whose name
 * contains the filter.
 */

import { readdirSync } from "node:fs";
import { join } from "node:path";

const dir = import.meta.dir;
const filter = process.argv[2] ?? "";
const files = readdirSync(dir)
  .filter((name) => name.endsWith(".bench.ts") && name.includes(filter))
  .sort();

let failed = 0;
for (const name of files) {
  console.log(`\n== ${name}`);
  const child = Bun.spawn([process.execPath, join(dir, name)], { stdout: "inherit", stderr: "inherit" });
  if ((await child.exited) !== 0) failed++;
}
if (failed > 0) {
  console.error(`${failed} benchmark file(s) failed`);
  process.exit(1);
}
